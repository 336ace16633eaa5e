// The chat UI: the widget's iframe (layout "frame") and the companion page (layout "page").
// Served by the API, so its storage, socket and requests are the API origin's; the host page can neither
// style nor script it. Talks to the host page's loader only by postMessage, to one exact origin.

import { ChatLink, newClientId } from "./link.js";
import { FrameSessions, PageSessions, SessionError } from "./session.js";
import { Timeline } from "./timeline.js";
import { el, MessageView, plainText } from "./view.js";

const config = JSON.parse(document.getElementById("ct-config").textContent);
const FRAME = config.layout === "frame";
const API = location.origin;
const $ = (id) => document.getElementById(id);
const log = $("log");
const input = $("input");
const live = $("live");
const banner = $("banner");

applyTheme(config);

// ---- the host page (frame layout only) ----

const parentOrigin = FRAME ? hostOrigin() : null;
function hostOrigin() {
  const claimed = new URLSearchParams(location.search).get("origin") || "";
  let origin = null;
  try {
    origin = new URL(claimed).origin;
  } catch {
    origin = null;
  }
  // Where the browser says we are embedded wins over what the URL claims (Chromium and Safari tell us).
  const actual = location.ancestorOrigins && location.ancestorOrigins.length ? location.ancestorOrigins[0] : null;
  if (!origin || origin !== claimed || (actual && actual !== origin) || window.parent === window) return null;
  return origin;
}

function post(msg) {
  if (FRAME && parentOrigin) window.parent.postMessage({ ns: "coachtwin", ...msg }, parentOrigin);
}

const sessions = FRAME ? new FrameSessions(post) : new PageSessions(config.key, API);
const timeline = new Timeline();
let memberId = null;
let isOpen = !FRAME;
let unread = 0;
let started = false;
let handoffAsked = false;
const hooks = { session: [], message: [] }; // the companion page listens (companion.js)

const view = new MessageView({
  config,
  rate: async (m, rating, comment) =>
    Boolean(await memberPost("/api/v1/me/feedback", { message_id: m.id, rating, ...(comment ? { comment } : {}) })),
  answer: (value) => submit(value),
});

const link = new ChatLink({
  api: API,
  lastId: () => timeline.lastServerId(),
  onFrame: frame,
  onMissed: missed,
  onReady: () => {
    dropOrphans();
    whoIsHere();
  },
  onStatus: status,
  renew: () => sessions.renew().catch(sessionFailed),
});

// ---- drawing ----

function nearBottom() {
  const box = $("scroller");
  return box.scrollHeight - box.scrollTop - box.clientHeight < 120;
}

function scrollDown(force = false) {
  const box = $("scroller");
  if (force || nearBottom()) requestAnimationFrame(() => (box.scrollTop = box.scrollHeight));
}

function draw(item) {
  const stick = nearBottom();
  const li = view.render(item);
  if (!li.isConnected) log.append(li);
  drawCheckin();
  $("starters").hidden = timeline.items.length > 0;
  scrollDown(stick || item.role === "member");
}

function redrawAll() {
  log.replaceChildren(...timeline.items.map((m) => view.render(m)));
  drawCheckin();
  $("starters").hidden = timeline.items.length > 0;
  scrollDown(true);
}

function drawCheckin() {
  for (const old of log.querySelectorAll(".answers")) old.remove();
  const open = timeline.openCheckin();
  if (open) open.el.append(view.checkin(open));
}

function announce(text) {
  live.textContent = "";
  setTimeout(() => (live.textContent = text), 50);
}

let typingTimer = null;
function typing(on) {
  $("typing").hidden = !on;
  clearTimeout(typingTimer);
  if (on) {
    announce(`${config.name} is typing…`);
    typingTimer = setTimeout(() => typing(false), 60_000);
    scrollDown();
  }
}

let bannerTimer = null;
function status(state) {
  clearTimeout(bannerTimer);
  if (state === "online") {
    banner.hidden = true;
    return;
  }
  const text = {
    offline: "You're offline. Messages will be sent when you're back.",
    refused: "This website is not allowed to open this chat.",
  }[state] || "Reconnecting…";
  // A quick reconnect should not flash a banner.
  bannerTimer = setTimeout(() => {
    banner.textContent = text;
    banner.hidden = false;
  }, state === "connecting" ? 2000 : 0);
}

function note(text) {
  const { item } = timeline.upsert({ role: "system", text, id: null });
  draw(item);
  announce(text);
}

// ---- messages in ----

function visibleToMember() {
  return isOpen && document.visibilityState === "visible";
}

function setUnread(n) {
  unread = n;
  if (FRAME) post({ type: "unread", count: n });
  else document.title = n ? `(${n}) ${config.name}` : config.name;
}

function receive(raw, streamed = false) {
  const { item, isNew, changed } = timeline.upsert(raw);
  if (!item.created_at) item.created_at = new Date().toISOString(); // a live reply: now
  if (changed || streamed || !item.el) draw(item);
  // A streamed reply is drawn from its first token but arrives, for everything below, when it is complete.
  if (!(isNew || streamed) || item.role === "member" || item.role === "system") return;
  if (visibleToMember()) markSeen();
  else setUnread(unread + 1);
  announce(`${view.speaker(item)}: ${plainText(item.text)}`);
  post({ type: "message", message: { id: item.id, role: item.role, text: item.text } });
  hooks.message.forEach((fn) => fn(item));
}

/** Messages fetched from the server: the latest page on first connect, or what a drop made us miss. */
function missed(messages, { initial, hasMore }) {
  const last = messages[messages.length - 1];
  if (last && last.conversation_id) link.conversationId = last.conversation_id;
  if (!initial) {
    messages.forEach(receive);
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
  redrawAll();
  $("earlier").hidden = !hasMore;
  const seen = readSeen();
  const at = seen ? timeline.items.findIndex((m) => m.id === seen) : -1;
  const fresh = at < 0 ? 0 : timeline.items.slice(at + 1).filter((m) => m.id && m.role !== "member").length;
  if (visibleToMember()) markSeen();
  else if (fresh) setUnread(fresh);
}

/** Older messages, a page at a time, above the ones shown (the scroll position stays where it was). */
async function loadEarlier() {
  const first = timeline.items.find((m) => m.id);
  if (!first || !link.token) return;
  const url = new URL("/api/v1/me/messages", API);
  url.searchParams.set("before", first.id);
  let body;
  try {
    const r = await fetch(url, { headers: { authorization: `Bearer ${link.token}` }, cache: "no-store" });
    if (!r.ok) return;
    body = await r.json();
  } catch {
    return;
  }
  const box = $("scroller");
  const fromBottom = box.scrollHeight - box.scrollTop;
  const older = [];
  for (const raw of body.messages || []) {
    const { item, isNew } = timeline.upsert(raw);
    if (isNew) {
      timeline.items.pop(); // upsert appended it: it belongs above
      older.push(item);
    }
  }
  timeline.items.unshift(...older);
  log.prepend(...older.map((m) => view.render(m)));
  box.scrollTop = box.scrollHeight - fromBottom;
  $("earlier").hidden = !body.has_more;
  announce(`${older.length} earlier messages shown.`);
}

/** A reply that was streaming when the socket dropped: the resent message brings it back whole. */
function dropOrphans() {
  for (const m of timeline.items.filter((it) => it.streaming && !it.id)) {
    timeline.remove(m);
    m.el?.remove();
  }
}

const seenSlot = () => `coachtwin:seen:${config.key}:${memberId || "anon"}`;
function readSeen() {
  try {
    return localStorage.getItem(seenSlot());
  } catch {
    return null;
  }
}
function markSeen() {
  const last = timeline.lastServerId();
  if (!last || !started) return; // a session exists only after the visitor's first interaction
  try {
    localStorage.setItem(seenSlot(), last);
  } catch {
    /* storage blocked */
  }
}

function frame(f) {
  const cid = f.client_id;
  const mine = cid ? timeline.byClient.get(cid) : null;
  switch (f.type) {
    case "ack":
      if (mine) {
        mine.acked = true;
        mine.pending = false;
        view.fill(mine);
      }
      break;
    case "typing":
      typing(true);
      break;
    case "token": {
      typing(false);
      let reply = timeline.byClient.get(`re:${cid}`);
      if (!reply) {
        const now = new Date().toISOString();
        reply = timeline.upsert({ role: "assistant", content: "", client_id: `re:${cid}`, created_at: now }).item;
        reply.streaming = true;
      }
      if (reply.streaming) {
        reply.text += f.text;
        draw(reply);
      }
      break;
    }
    case "reply": {
      typing(false);
      if (mine) timeline.upsert({ id: f.user_message_id, role: "user", client_id: cid, content: mine.text });
      if (mine) view.fill(mine);
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
      receive({
        id: f.message_id,
        role: "assistant",
        client_id: `re:${cid}`,
        content: f.reply,
        citations: f.citations,
        mode: f.mode,
        grounded: f.grounded,
      }, streamed);
      // A check-in answer moved the program on: its next messages are stored; fetch them with their ids.
      if (f.program && f.program.messages && f.program.messages.length) link.catchUp();
      break;
    }
    case "held":
      // A person holds the conversation: no twin reply; their answer arrives as a message.
      typing(false);
      if (mine) {
        timeline.upsert({ id: f.user_message_id, role: "user", client_id: cid, content: mine.text });
        view.fill(mine);
      }
      break;
    case "takeover":
      holder(f.active ? f.by || "A person" : null);
      break;
    case "message":
      typing(false);
      receive(f);
      break;
    case "error":
      typing(false);
      if (mine) {
        link.drop(cid);
        failed(mine, f.detail || "Not sent.", f.error === "rate_limited" || f.error === "unavailable");
      }
      break;
    default:
      break;
  }
}

function failed(item, reason, retryable = true) {
  item.failed = reason;
  item.pending = false;
  item.retry = retryable
    ? () => {
        item.failed = null;
        item.pending = true;
        view.fill(item);
        send(item);
      }
    : null;
  view.fill(item);
  announce(`Your message was not sent. ${reason}`);
}

// ---- sessions and sending ----

const SESSION_WORDS = {
  origin_not_allowed: "This website is not allowed to use this chat.",
  forbidden: "This chat is not available here.",
  identity_required: "Please sign in on this website to chat.",
  not_authenticated: "We could not confirm who you are. Please sign in again.",
  identity_invalid: "We could not confirm who you are. Please sign in again.",
  rate_limited: "Too many attempts. Please wait a moment.",
  offline: "You're offline.",
};

function sessionFailed(err) {
  const code = err instanceof SessionError ? err.code : "unavailable";
  post({ type: "error", error: code, detail: err.message });
  throw new SessionError(code, SESSION_WORDS[code] || "The chat is unavailable right now.");
}

function startLink(token, member) {
  if (member && memberId && member !== memberId) {
    // Another member on this device now (identify or reset): their conversation, not the last one's.
    timeline.clear();
    redrawAll();
  }
  if (member) memberId = member;
  if (!started) {
    started = true;
    link.start(token);
  } else if (token !== link.token) {
    link.setToken(token);
  }
}

/** The header says who answers, the AI twin or the person who took the conversation over; a change is noted
 * in the conversation. Told by `takeover` frames, and asked on every (re)connection (a frame may be missed). */
let holderName; // undefined until known
function holder(name) {
  if (name === holderName) return;
  const before = holderName;
  holderName = name;
  $("subtitle").textContent = name ? `${name} (a person) is answering` : "AI twin";
  if (name) note(`${name} has joined the conversation.`);
  else if (before) note("You are talking with the AI twin again.");
}

async function whoIsHere() {
  try {
    const r = await fetch(new URL("/api/v1/me", API), {
      headers: { authorization: `Bearer ${link.token}` },
      cache: "no-store",
    });
    if (!r.ok) return;
    const me = await r.json();
    holder(me.takeover && me.takeover.active ? me.takeover.by || "A person" : null);
    if (me.conversation_id && !link.conversationId) link.conversationId = me.conversation_id;
  } catch {
    /* offline: asked again on the next connection */
  }
}

async function session() {
  try {
    const token = await sessions.obtain();
    const first = !started;
    startLink(token, sessions.state ? sessions.state.m : null);
    if (first) hooks.session.forEach((fn) => fn());
    return token;
  } catch (err) {
    if (err instanceof SessionError && SESSION_WORDS[err.code]) throw new SessionError(err.code, SESSION_WORDS[err.code]);
    return sessionFailed(err);
  }
}

/** The visitor's first own act (a message, a button): from now on the loader may remember them. */
let interacted = false;
function interact() {
  if (interacted) return;
  interacted = true;
  post({ type: "consent" });
}

async function send(item) {
  interact();
  try {
    await session();
  } catch (err) {
    failed(item, err.message, err.code === "offline" || err.code === "rate_limited");
    return;
  }
  link.send(item.text, item.client_id);
}

function submit(text) {
  text = text.trim();
  if (!text) return;
  if (text.length > 4000) {
    announce("Your message is too long (4,000 characters at most).");
    return;
  }
  const item = timeline.addPending(newClientId(), text);
  draw(item);
  post({ type: "message", message: { id: null, role: "member", text } });
  send(item);
}

async function memberPost(path, body) {
  interact();
  let token;
  try {
    token = await session();
  } catch (err) {
    note(err.message);
    return false;
  }
  try {
    const r = await fetch(new URL(path, API), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return r.ok ? await r.json().catch(() => ({})) : false;
  } catch {
    return false;
  }
}

// ---- controls ----

$("composer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = input.value;
  input.value = "";
  autosize();
  submit(text);
  input.focus();
});

input.addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    $("composer").requestSubmit();
  }
});

function autosize() {
  input.style.height = "auto";
  input.style.height = `${Math.min(input.scrollHeight, 140)}px`;
}
input.addEventListener("input", autosize);

for (const prompt of config.starter_prompts || []) {
  $("starter-list").append(el("li", {}, el("button", { type: "button", class: "starter", text: prompt, onclick: () => submit(prompt) })));
}
$("starters").hidden = !(config.starter_prompts || []).length;

$("handoff").addEventListener("click", async () => {
  if (handoffAsked) return;
  const answer = await memberPost("/api/v1/me/handoff", {});
  if (answer) {
    handoffAsked = true;
    $("handoff").setAttribute("aria-disabled", "true");
    if (answer.message) receive(answer.message);
    else note("We've asked for a person to join. They will answer here.");
  } else {
    note("We could not reach a person right now. Please try again later.");
  }
});

$("earlier").addEventListener("click", loadEarlier);

if (FRAME) {
  $("close").addEventListener("click", () => post({ type: "close" }));
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") post({ type: "close" });
  });
}

document.addEventListener("visibilitychange", () => {
  if (visibleToMember()) {
    setUnread(0);
    markSeen();
  }
});

// ---- the host page's messages ----

function fromHost(msg) {
  switch (msg.type) {
    case "session":
      sessions.receive(msg);
      startLink(msg.token, msg.member_id);
      break;
    case "session-error":
      sessions.receive(msg);
      if (msg.error === "identity_required") showSignInNeeded();
      break;
    case "open":
      isOpen = true;
      setUnread(0);
      markSeen();
      scrollDown(true);
      if (msg.focus) input.focus({ preventScroll: true });
      break;
    case "close":
      isOpen = false;
      break;
    case "reset":
      link.stop();
      started = false;
      memberId = null;
      sessions.reset();
      timeline.clear();
      redrawAll();
      setUnread(0);
      break;
    default:
      break;
  }
}

function showSignInNeeded() {
  $("composer").hidden = true;
  $("signin").hidden = false;
}

// Ready for the visitor: the composer works from now on (disabled in the page until this script runs).
input.disabled = false;
$("send").disabled = false;

if (FRAME) {
  if (!parentOrigin) {
    document.body.replaceChildren(el("p", { class: "blocked", text: "This chat cannot be shown on this page." }));
  } else {
    addEventListener("message", (ev) => {
      if (ev.source !== window.parent || ev.origin !== parentOrigin) return;
      const msg = ev.data;
      if (msg && typeof msg === "object" && msg.ns === "coachtwin" && typeof msg.type === "string") fromHost(msg);
    });
    post({ type: "ready" });
  }
} else {
  if (config.require_identity && !sessions.identified) showSignInNeeded();
  import("./companion.js").then((m) =>
    m.start({
      config,
      sessions,
      API,
      onSession: (fn) => (started ? fn() : hooks.session.push(fn)),
      onMessage: (fn) => hooks.message.push(fn),
    }),
  );
  // A member who chatted here before: connect now, so their history and new messages show.
  if (sessions.consented) session().catch((err) => note(err.message));
}

function applyTheme(c) {
  const root = document.documentElement;
  const accent = /^#[0-9a-f]{6}$/i.test(c.color || "") ? c.color : "#4f46e5";
  root.style.setProperty("--accent", accent);
  root.style.setProperty("--on-accent", contrastText(accent));
  // Text and links in the accent colour need 4.5:1 on the page; otherwise they keep the body colour.
  root.style.setProperty("--accent-ink-light", ratio(accent, "#ffffff") >= 4.5 ? accent : "#3730a3");
  root.style.setProperty("--accent-ink-dark", ratio(accent, "#15171c") >= 4.5 ? accent : "#c7d2fe");
}

function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const lin = (v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function ratio(a, b) {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

function contrastText(hex) {
  return ratio(hex, "#ffffff") >= ratio(hex, "#111111") ? "#ffffff" : "#111111";
}
