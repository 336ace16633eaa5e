// The chat UI: the widget's iframe (layout "frame") and the companion page (layout "page").
// Served by the API, so its storage, socket and requests are the API origin's; the host page can neither
// style nor script it. Talks to the host page's loader only by postMessage, to one exact origin.
// Messages in: inbox.js; the screen: screen.js; the socket: link.js; sessions: session.js.

import { Inbox } from "./inbox.js";
import { ChatLink, newClientId } from "./link.js";
import { applyTheme, Screen } from "./screen.js";
import { FrameSessions, PageSessions, SessionError } from "./session.js";
import { Timeline } from "./timeline.js";
import { el, MessageView } from "./view.js";

const config = JSON.parse(document.getElementById("ct-config").textContent);
const FRAME = config.layout === "frame";
const API = location.origin;
const $ = (id) => document.getElementById(id);
const input = $("input");

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

// ---- the parts ----

const sessions = FRAME ? new FrameSessions(post) : new PageSessions(config.key, API);
const timeline = new Timeline();
const hooks = { session: [], message: [] }; // the companion page listens (companion.js)
let isOpen = !FRAME;
let started = false;
let handoffAsked = false;

const view = new MessageView({
  config,
  rate: async (m, rating, comment) =>
    Boolean(await memberPost("/api/v1/me/feedback", { message_id: m.id, rating, ...(comment ? { comment } : {}) })),
  answer: (value) => submit(value),
});
const screen = new Screen({ config, timeline, view });
const inbox = new Inbox({
  config,
  api: API,
  timeline,
  view,
  screen,
  post,
  heard: (item) => hooks.message.forEach((fn) => fn(item)),
  isOpen: () => isOpen,
  consented: () => started,
  resend: (item) => send(item),
});
const link = new ChatLink({
  api: API,
  lastId: () => timeline.lastServerId(),
  onFrame: (f) => inbox.frame(f),
  onMissed: (messages, page) => inbox.missed(messages, page),
  onReady: () => inbox.reconnected(),
  onStatus: (state) => screen.status(state),
  renew: () => sessions.renew().catch(sessionFailed),
});
inbox.link = link;

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
  if (member && inbox.memberId && member !== inbox.memberId) {
    // Another member on this device now (identify or reset): their conversation, not the last one's.
    timeline.clear();
    screen.redrawAll();
  }
  if (member) inbox.memberId = member;
  if (!started) {
    started = true;
    link.start(token);
  } else if (token !== link.token) {
    link.setToken(token);
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
    inbox.failed(item, err.message, err.code === "offline" || err.code === "rate_limited");
    return;
  }
  link.send(item.text, item.client_id);
}

function submit(text) {
  text = text.trim();
  if (!text) return;
  if (text.length > 4000) {
    screen.announce("Your message is too long (4,000 characters at most).");
    return;
  }
  const item = timeline.addPending(newClientId(), text);
  screen.draw(item);
  post({ type: "message", message: { id: null, role: "member", text } });
  send(item);
}

/** A POST as the member (feedback, handoff): its JSON answer, or false. */
async function memberPost(path, body) {
  interact();
  let token;
  try {
    token = await session();
  } catch (err) {
    screen.note(err.message);
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
  const button = el("button", { type: "button", class: "starter", text: prompt, onclick: () => submit(prompt) });
  $("starter-list").append(el("li", {}, button));
}
$("starters").hidden = !(config.starter_prompts || []).length;

$("handoff").addEventListener("click", async () => {
  if (handoffAsked) return;
  const answer = await memberPost("/api/v1/me/handoff", {});
  if (answer) {
    handoffAsked = true;
    $("handoff").setAttribute("aria-disabled", "true");
    if (answer.message) inbox.receive(answer.message);
    else screen.note("We've asked for a person to join. They will answer here.");
  } else {
    screen.note("We could not reach a person right now. Please try again later.");
  }
});

$("earlier").addEventListener("click", () => inbox.loadEarlier());

if (FRAME) {
  $("close").addEventListener("click", () => post({ type: "close" }));
  document.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") post({ type: "close" });
  });
}

document.addEventListener("visibilitychange", () => {
  if (inbox.visible()) inbox.seenAll();
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
      inbox.seenAll();
      screen.scrollDown(true);
      if (msg.focus) input.focus({ preventScroll: true });
      break;
    case "close":
      isOpen = false;
      break;
    case "reset":
      link.stop();
      started = false;
      inbox.memberId = null;
      sessions.reset();
      timeline.clear();
      screen.redrawAll();
      inbox.setUnread(0);
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
  if (sessions.consented) session().catch((err) => screen.note(err.message));
}
