// The chat's connection: one WebSocket to /ws/chat, kept alive, and the REST catch-up that makes a drop
// invisible. Every message the member sends carries a client id and stays in the outbox until its reply
// arrives; after any reconnect (network back, tab visible again, laptop woken) the link fetches what the
// server stored after the last message id it has, then resends the outbox with the same client ids (the
// server replays a stored reply instead of answering twice).

const PING_EVERY_MS = 25_000;
const PONG_WITHIN_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;

export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

export class ChatLink {
  /**
   * @param {object} o
   * @param {string} o.api        the API's origin, e.g. "https://api.example.com"
   * @param {() => string|null} o.lastId   the newest server message id the page holds
   * @param {(frame: object) => void} o.onFrame    socket frames (ack, typing, token, reply, message, error)
   * @param {(messages: object[], page: {initial: boolean, hasMore: boolean}) => void} o.onMissed
   *        messages fetched by a catch-up, in order (`initial`: the latest page, when we held none)
   * @param {() => void} [o.onReady]   the socket is (again) ready, before the catch-up
   * @param {(status: string) => void} o.onStatus  "connecting" | "online" | "offline" | "refused"
   * @param {() => Promise<string|null>} o.renew  a new token when the server refused ours (null: give up)
   */
  constructor(o) {
    Object.assign(this, o);
    this.token = null;
    this.ws = null;
    this.outbox = new Map(); // client_id -> frame, until its reply (or a final error)
    this.written = new Set(); // client ids written on the current socket
    this.attempt = 0;
    this.timer = null;
    this.pingTimer = null;
    this.pongTimer = null;
    this.catching = null;
    this.again = false;
    this.stopped = true;
    this.status = "offline";
    this.conversationId = null;
    this._wake = () => this.wake();
    this._visible = () => document.visibilityState === "visible" && this.wake();
  }

  start(token) {
    this.token = token;
    if (this.stopped) {
      this.stopped = false;
      addEventListener("online", this._wake);
      addEventListener("pageshow", this._wake);
      addEventListener("focus", this._wake);
      document.addEventListener("visibilitychange", this._visible);
    }
    this._reconnectNow();
  }

  /** A new token (another identity, or a renewed session): reconnect with it. */
  setToken(token) {
    this.token = token;
    this._reconnectNow();
  }

  stop() {
    this.stopped = true;
    this.written.clear();
    removeEventListener("online", this._wake);
    removeEventListener("pageshow", this._wake);
    removeEventListener("focus", this._wake);
    document.removeEventListener("visibilitychange", this._visible);
    clearTimeout(this.timer);
    this._closeSocket();
    this.outbox.clear();
    this._setStatus("offline");
  }

  /** Send a chat message (kept until answered; resent after a reconnect with the same client id). */
  send(text, clientId = newClientId()) {
    this.outbox.set(clientId, { type: "message", text, client_id: clientId });
    this._offer();
    return clientId;
  }

  /** Write what waits in the outbox. A member's first message opens their conversation: the next ones wait
   * for its id (from the reply) instead of each opening another conversation. */
  _offer() {
    for (const frame of this.outbox.values()) {
      if (this.written.has(frame.client_id)) continue;
      if (!frame.conversation_id && this.conversationId) frame.conversation_id = this.conversationId;
      if (!frame.conversation_id && [...this.written].some((id) => !this.outbox.get(id)?.conversation_id)) return;
      if (!this._write(frame)) return;
      this.written.add(frame.client_id);
    }
  }

  /** Forget a message that failed for good (its error frame said so). */
  drop(clientId) {
    this.outbox.delete(clientId);
    this.written.delete(clientId);
    this._offer();
  }

  /** Tab visible, network back, page restored: check the socket now and fetch what may have been missed. */
  wake() {
    if (this.stopped || !this.token) return;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this._ping();
      this.catchUp();
    } else if (!this.ws || this.ws.readyState === WebSocket.CLOSED) {
      this._reconnectNow();
    }
  }

  /** Fetch the messages stored after the last one we hold (one request at a time, repeated if asked meanwhile). */
  async catchUp() {
    if (!this.token) return;
    if (this.catching) {
      this.again = true;
      return this.catching;
    }
    const token = this.token;
    this.catching = (async () => {
      do {
        this.again = false;
        const after = this.lastId();
        let body = await this._messages(after);
        if (body === "gone") body = await this._messages(null); // our last message is gone (reset, merge)
        // Signed out (reset) or another member while this was on its way: not theirs to show.
        if (this.stopped || this.token !== token) return;
        if (!body || body === "gone") return;
        const messages = Array.isArray(body.messages) ? body.messages : [];
        this.onMissed(messages, { initial: !after, hasMore: Boolean(body.has_more) });
        if (after && body.has_more && messages.length) this.again = true; // more were stored after these
      } while (this.again);
    })();
    try {
      await this.catching;
    } finally {
      this.catching = null;
    }
  }

  /** One page of the member's messages after `after` (null: the latest); "gone" when `after` is unknown. */
  async _messages(after) {
    const url = new URL("/api/v1/me/messages", this.api);
    if (after) url.searchParams.set("after", after);
    try {
      const r = await fetch(url, { headers: { authorization: `Bearer ${this.token}` }, cache: "no-store" });
      if (r.status === 401) {
        await this._renew();
        return null;
      }
      if (r.status === 404 && after) return "gone";
      return r.ok ? await r.json() : null;
    } catch {
      return null; // offline: the next reconnect catches up
    }
  }

  // internals

  _setStatus(status) {
    if (status !== this.status) {
      this.status = status;
      this.onStatus(status);
    }
  }

  _write(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN && this.ready) {
      this.ws.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  _closeSocket() {
    this.written.clear(); // a new socket sends again what is still unanswered
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000);
      } catch {
        /* already closed */
      }
    }
    this.ready = false;
  }

  _reconnectNow() {
    clearTimeout(this.timer);
    this.attempt = 0;
    this._connect();
  }

  _schedule() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    if (navigator.onLine === false) {
      this._setStatus("offline"); // the `online` event wakes us
      return;
    }
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt);
    this.attempt += 1;
    this.timer = setTimeout(() => this._connect(), base / 2 + Math.random() * (base / 2));
  }

  _connect() {
    if (this.stopped || !this.token) return;
    this._closeSocket();
    this._setStatus("connecting");
    const url = new URL("/ws/chat", this.api);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("token", this.token);
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this._schedule();
      return;
    }
    this.ws = ws;
    ws.onmessage = (ev) => this._frame(ev.data);
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this._closeSocket();
      if (ev.code === 4401) {
        this._renew();
        return;
      }
      if (ev.code === 4403) {
        this._setStatus("refused"); // this page's origin may not open the chat: retrying cannot help
        return;
      }
      this._setStatus("connecting");
      this._schedule();
    };
  }

  async _renew() {
    this._closeSocket();
    this._setStatus("connecting");
    let token = null;
    try {
      token = await this.renew();
    } catch {
      token = null;
    }
    if (this.stopped) return;
    if (!token) {
      this._setStatus("offline");
    } else if (token !== this.token || !this.ws) {
      // (setToken may already have reconnected with it, when the new session came from the host page)
      this.token = token;
      this._connect();
    }
  }

  _ping() {
    if (!this._write({ type: "ping" })) return;
    clearTimeout(this.pongTimer);
    // No frame at all within the window: the socket is dead (a sleeping laptop, a dropped NAT entry).
    this.pongTimer = setTimeout(() => {
      if (this.ws) this.ws.close();
      this._closeSocket();
      this._reconnectNow();
    }, PONG_WITHIN_MS);
  }

  _frame(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    clearTimeout(this.pongTimer);
    if (frame.type === "ready") {
      this.ready = true;
      this.attempt = 0;
      this._setStatus("online");
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this._ping(), PING_EVERY_MS);
      // What was stored while we were away first, then the messages still waiting for their replies.
      if (this.onReady) this.onReady();
      this.catchUp().catch(() => {}).then(() => this._offer());
      return;
    }
    if (frame.type === "pong") return;
    if (frame.type === "reply" || frame.type === "held") {
      if (frame.client_id) {
        this.outbox.delete(frame.client_id);
        this.written.delete(frame.client_id);
      }
      if (frame.conversation_id) this.conversationId = frame.conversation_id;
      this._offer(); // messages held back until the conversation had its id
    }
    if (frame.type === "message" && frame.conversation_id) this.conversationId = frame.conversation_id;
    if (frame.type === "error" && frame.error === "not_authenticated") {
      this._renew();
      return;
    }
    this.onFrame(frame);
  }
}
