// Messages in: the socket's frames, the catch-ups after a drop, older pages on demand; each message drawn
// once, in order; unread counts while the chat is out of sight; who answers (the twin or a person).

import { plainText } from "./view.js";

export class Inbox {
  /**
   * @param {object} o
   * @param {object} o.config        the page's settings (key, twin name)
   * @param {string} o.api           the API's origin
   * @param {object} o.timeline      the conversation (timeline.js)
   * @param {object} o.view          the message view (view.js)
   * @param {object} o.screen        the screen (screen.js)
   * @param {(msg: object) => void} o.post   a message to the host page (widget only)
   * @param {(item: object) => void} o.heard  every new message from someone else
   * @param {() => boolean} o.isOpen  the chat is on screen (the widget may be closed)
   * @param {() => boolean} o.consented  the visitor has a session (storage is allowed)
   * @param {(item: object) => void} o.resend  send a failed message again
   */
  constructor(o) {
    Object.assign(this, o);
    this.link = null; // set once the link exists (it calls back into this inbox)
    this.memberId = null;
    this.unread = 0;
    this.holderName = undefined; // who answers; undefined until known
  }

  visible() {
    return this.isOpen() && document.visibilityState === "visible";
  }

  setUnread(n) {
    this.unread = n;
    this.post({ type: "unread", count: n }); // the widget's launcher and the host page's title
    if (this.config.layout === "page") document.title = n ? `(${n}) ${this.config.name}` : this.config.name;
  }

  /** The chat came into view: everything in it is seen. */
  seenAll() {
    this.setUnread(0);
    this.markSeen();
  }

  receive(raw, streamed = false) {
    const { timeline, screen } = this;
    const { item, isNew, changed } = timeline.upsert(raw);
    if (!item.created_at) item.created_at = new Date().toISOString(); // a live reply: now
    if (changed || streamed || !item.el) screen.draw(item);
    // A streamed reply is drawn from its first token but arrives, for everything below, when it is complete.
    if (!(isNew || streamed) || item.role === "member" || item.role === "system") return;
    if (this.visible()) this.markSeen();
    else this.setUnread(this.unread + 1);
    screen.announce(`${this.view.speaker(item)}: ${plainText(item.text)}`);
    this.post({ type: "message", message: { id: item.id, role: item.role, text: item.text } });
    this.heard(item);
  }

  /** Messages fetched from the server: the latest page on first connect, or what a drop made us miss. */
  missed(messages, { initial, hasMore }) {
    const { timeline } = this;
    const last = messages[messages.length - 1];
    if (last && last.conversation_id) this.link.conversationId = last.conversation_id;
    if (!initial) {
      messages.forEach((m) => this.receive(m));
      return;
    }
    // The latest page of the history goes before whatever arrived while it was on its way (a message typed,
    // a reply, a pushed message), each message once.
    const meanwhile = timeline.items.splice(0);
    timeline.clear();
    for (const m of messages) timeline.upsert(m);
    for (const t of meanwhile) {
      if ((t.id && timeline.byId.has(t.id)) || (t.client_id && timeline.byClient.has(t.client_id))) continue;
      timeline.items.push(t);
      if (t.id) timeline.byId.set(t.id, t);
      if (t.client_id) timeline.byClient.set(t.client_id, t);
    }
    this.screen.redrawAll();
    document.getElementById("earlier").hidden = !hasMore;
    const seen = this.readSeen();
    const at = seen ? timeline.items.findIndex((m) => m.id === seen) : -1;
    const fresh = at < 0 ? 0 : timeline.items.slice(at + 1).filter((m) => m.id && m.role !== "member").length;
    if (this.visible()) this.markSeen();
    else if (fresh) this.setUnread(fresh);
  }

  /** Older messages, a page at a time, above the ones shown (the scroll position stays where it was). */
  async loadEarlier() {
    const { timeline, screen } = this;
    const first = timeline.items.find((m) => m.id);
    if (!first || !this.link.token) return;
    const url = new URL("/api/v1/me/messages", this.api);
    url.searchParams.set("before", first.id);
    let body;
    try {
      const r = await fetch(url, { headers: { authorization: `Bearer ${this.link.token}` }, cache: "no-store" });
      if (!r.ok) return;
      body = await r.json();
    } catch {
      return;
    }
    const fromBottom = screen.box.scrollHeight - screen.box.scrollTop;
    const older = [];
    for (const raw of body.messages || []) {
      const { item, isNew } = timeline.upsert(raw);
      if (isNew) {
        timeline.items.pop(); // upsert appended it: it belongs above
        older.push(item);
      }
    }
    timeline.items.unshift(...older);
    screen.log.prepend(...older.map((m) => this.view.render(m)));
    screen.box.scrollTop = screen.box.scrollHeight - fromBottom;
    document.getElementById("earlier").hidden = !body.has_more;
    screen.announce(`${older.length} earlier messages shown.`);
  }

  /** On every (re)connection: a reply that was streaming when the socket dropped comes back whole with the
   * resent message; and who answers may have changed meanwhile. */
  reconnected() {
    for (const m of this.timeline.items.filter((it) => it.streaming && !it.id)) {
      this.timeline.remove(m);
      m.el?.remove();
    }
    this.whoIsHere();
  }

  seenSlot() {
    return `coachtwin:seen:${this.config.key}:${this.memberId || "anon"}`;
  }

  readSeen() {
    try {
      return localStorage.getItem(this.seenSlot());
    } catch {
      return null;
    }
  }

  markSeen() {
    const last = this.timeline.lastServerId();
    if (!last || !this.consented()) return; // nothing on the device before the visitor's first interaction
    try {
      localStorage.setItem(this.seenSlot(), last);
    } catch {
      /* storage blocked */
    }
  }

  /** A frame from the socket. */
  frame(f) {
    const { timeline, view, screen } = this;
    const cid = f.client_id;
    const mine = cid ? timeline.byClient.get(cid) : null;
    switch (f.type) {
      case "ack":
        if (mine) {
          mine.pending = false;
          view.fill(mine);
        }
        break;
      case "typing":
        screen.typing(true);
        break;
      case "token": {
        screen.typing(false);
        let reply = timeline.byClient.get(`re:${cid}`);
        if (!reply) {
          const now = new Date().toISOString();
          reply = timeline.upsert({ role: "assistant", content: "", client_id: `re:${cid}`, created_at: now }).item;
          reply.streaming = true;
        }
        if (reply.streaming) {
          reply.text += f.text;
          screen.draw(reply);
        }
        break;
      }
      case "reply":
        this.replied(f, mine);
        break;
      case "held":
        // A person holds the conversation: no twin reply; their answer arrives as a message.
        screen.typing(false);
        if (mine) {
          timeline.upsert({ id: f.user_message_id, role: "user", client_id: cid, content: mine.text });
          view.fill(mine);
        }
        break;
      case "takeover":
        this.holder(f.active ? f.by || "A person" : null);
        break;
      case "message":
        screen.typing(false);
        this.receive(f);
        break;
      case "error":
        screen.typing(false);
        if (mine) {
          this.link.drop(cid);
          this.failed(mine, f.detail || "Not sent.", f.error === "rate_limited" || f.error === "unavailable");
        }
        break;
      default:
        break;
    }
  }

  /** The twin's whole reply to one of the member's messages (after its stream of tokens, if any). */
  replied(f, mine) {
    const { timeline, view } = this;
    const cid = f.client_id;
    this.screen.typing(false);
    if (mine) {
      timeline.upsert({ id: f.user_message_id, role: "user", client_id: cid, content: mine.text });
      view.fill(mine);
    }
    let reply = timeline.byClient.get(`re:${cid}`);
    const known = timeline.byId.get(f.message_id);
    if (reply && known && known !== reply) {
      // A resent message's replayed reply, already fetched whole by the catch-up: keep that one.
      timeline.remove(reply);
      reply.el?.remove();
      reply = null;
    }
    const streamed = Boolean(reply && reply.streaming && !reply.id);
    if (reply) reply.streaming = false;
    const whole = { id: f.message_id, role: "assistant", client_id: `re:${cid}`, content: f.reply };
    this.receive({ ...whole, citations: f.citations, mode: f.mode, grounded: f.grounded }, streamed);
    // A check-in answer moved the program on: its next messages are stored; fetch them with their ids.
    if (f.program && f.program.messages && f.program.messages.length) this.link.catchUp();
  }

  failed(item, reason, retryable = true) {
    item.failed = reason;
    item.pending = false;
    item.retry = retryable
      ? () => {
          item.failed = null;
          item.pending = true;
          this.view.fill(item);
          this.resend(item);
        }
      : null;
    this.view.fill(item);
    this.screen.announce(`Your message was not sent. ${reason}`);
  }

  /** The header says who answers, the AI twin or the person who took the conversation over; a change is
   * noted in the conversation. Told by `takeover` frames, and asked on every connection (a frame may be
   * missed). */
  holder(name) {
    if (name === this.holderName) return;
    const before = this.holderName;
    this.holderName = name;
    document.getElementById("subtitle").textContent = name ? `${name} (a person) is answering` : "AI twin";
    if (name) this.screen.note(`${name} has joined the conversation.`);
    else if (before) this.screen.note("You are talking with the AI twin again.");
  }

  async whoIsHere() {
    try {
      const r = await fetch(new URL("/api/v1/me", this.api), {
        headers: { authorization: `Bearer ${this.link.token}` },
        cache: "no-store",
      });
      if (!r.ok) return;
      const me = await r.json();
      this.holder(me.takeover && me.takeover.active ? me.takeover.by || "A person" : null);
      if (me.conversation_id && !this.link.conversationId) this.link.conversationId = me.conversation_id;
    } catch {
      /* offline: asked again on the next connection */
    }
  }
}
