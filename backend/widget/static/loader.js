/* CoachTwin web widget loader: <script src="{API}/widget.js" data-key="{public key}" async></script>
 * Draws a launcher on the host page and opens the chat in an iframe served by the API's origin.
 * Host-page API: CoachTwin.open() close() toggle() identify({external_id, identity_hash, name}) reset(),
 * CoachTwin.on(event, fn) / off(event, fn) for ready, open, close, message, error (also dispatched on
 * window as "coachtwin:<event>" CustomEvents). Nothing is stored on the device before the visitor first
 * interacts with the chat. Messages to and from the iframe are checked against its exact origin. */
(() => {
  "use strict";
  const w = window;
  const d = document;
  if (w.CoachTwin && w.CoachTwin.version) return; // loaded twice: the first one stays
  const VERSION = "__VERSION__";
  const queued = Array.isArray(w.CoachTwin) ? w.CoachTwin : [];
  const script = d.currentScript || d.querySelector('script[data-key][src*="/widget.js"]');
  const settings = w.coachTwinSettings || {};
  const key = (script && script.getAttribute("data-key")) || settings.key;
  const listeners = {};
  const api = script ? new URL(script.src, location.href).origin : "";
  const slot = `coachtwin:${key}`;
  let state = {};
  let consent = false;
  let identity = null;
  let config = null;
  let host;
  let root;
  let launcher;
  let panel;
  let badge;
  let frame = null;
  let frameReady = false;
  let outbox = [];
  let isOpen = false;
  let unread = 0;
  let baseTitle = null;
  let pendingSession = null;
  let unlockScroll = null;

  function emit(name, detail) {
    (listeners[name] || []).slice().forEach((fn) => {
      try {
        fn(detail);
      } catch (e) {
        setTimeout(() => {
          throw e;
        });
      }
    });
    w.dispatchEvent(new CustomEvent(`coachtwin:${name}`, { detail }));
  }

  // Timings a site (and our bench) can read: launcher drawn, chat asked for, chat ready.
  function mark(name) {
    if (w.performance && performance.mark) performance.mark(name);
  }

  function fail(error, detail) {
    emit("error", { error, detail });
  }

  // ---- storage: read freely, written only once the visitor has interacted ----

  try {
    const saved = JSON.parse(localStorage.getItem(slot) || "null");
    if (saved && typeof saved === "object") {
      state = saved;
      consent = true;
    }
  } catch (e) {
    state = {};
  }

  function save() {
    if (!consent) return;
    try {
      localStorage.setItem(slot, JSON.stringify(state));
    } catch (e) {
      /* storage blocked: the session lasts as long as the page */
    }
  }

  function randomId() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (x) => x.toString(16).padStart(2, "0")).join("");
  }

  // ---- sessions: created here, so the API sees this page's real Origin ----

  function session() {
    if (pendingSession) return pendingSession;
    // The identity this session is for: a reset() or identify() while it is on its way leaves it unused.
    const s = state;
    const who = identity;
    const asked = (pendingSession = (async () => {
      const same = who ? s.x === who.external_id : !s.x;
      if (s.t && same && s.e > Date.now() + 60000) return { token: s.t, member_id: s.m };
      if (!s.v) s.v = randomId();
      const body = { key, visitor_id: s.v };
      try {
        body.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
      } catch (e) {
        /* the API assumes UTC */
      }
      if (who) {
        body.external_id = who.external_id;
        body.identity_hash = who.identity_hash;
        if (who.name) body.display_name = who.name;
      }
      let r;
      try {
        r = await fetch(`${api}/api/v1/widget/sessions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
          credentials: "omit",
        });
      } catch (e) {
        throw { error: "offline", detail: "The chat service could not be reached" };
      }
      const data = await r.json().catch(() => ({}));
      if (r.status !== 201) throw { error: data.error || `http_${r.status}`, detail: data.detail || "" };
      if (s !== state || who !== identity) return { token: data.token, member_id: data.member_id }; // stale
      Object.assign(s, { t: data.token, e: Date.now() + (Number(data.expires_in) || 3600) * 1000, m: data.member_id });
      if (data.visitor_id) s.v = data.visitor_id;
      if (who) Object.assign(s, { x: who.external_id, h: who.identity_hash, n: who.name || "" });
      else ["x", "h", "n"].forEach((k) => delete s[k]);
      save();
      return { token: data.token, member_id: data.member_id };
    })());
    const done = () => {
      if (pendingSession === asked) pendingSession = null;
    };
    asked.then(done, done);
    return asked;
  }

  let epoch = 0; // bumped by reset(): a session asked for before it belongs to the visitor who left
  function sendSession() {
    const asked = epoch;
    session().then(
      (s) => asked === epoch && toFrame({ type: "session", token: s.token, member_id: s.member_id }),
      (err) => {
        if (asked !== epoch) return;
        toFrame({ type: "session-error", error: err.error, detail: err.detail });
        fail(err.error || "unavailable", err.detail || "");
      },
    );
  }

  // ---- the iframe ----

  function toFrame(msg) {
    if (!frame) return;
    if (!frameReady) {
      outbox.push(msg);
      return;
    }
    frame.contentWindow.postMessage({ ns: "coachtwin", ...msg }, api);
  }

  function makeFrame() {
    if (frame) return;
    frame = d.createElement("iframe");
    const q = new URLSearchParams({ key, origin: location.origin, v: VERSION });
    frame.src = `${api}/widget/frame?${q}`;
    frame.title = `Chat with ${config.name}`;
    frame.setAttribute("allow", "clipboard-write");
    frame.setAttribute("referrerpolicy", "origin");
    panel.append(frame);
  }

  w.addEventListener("message", (ev) => {
    if (!frame || ev.source !== frame.contentWindow || ev.origin !== api) return;
    const msg = ev.data;
    if (!msg || typeof msg !== "object" || msg.ns !== "coachtwin") return;
    switch (msg.type) {
      case "ready":
        frameReady = true;
        mark("coachtwin:chat-ready");
        outbox.splice(0).forEach(toFrame);
        break;
      case "consent": // the visitor's first interaction: from now on we may remember them
        consent = true;
        save();
        break;
      case "need-session":
        sendSession();
        break;
      case "session-expired":
        state.t = null;
        sendSession();
        break;
      case "close":
        close();
        break;
      case "unread":
        setUnread(Math.max(0, Number(msg.count) || 0));
        break;
      case "message":
        emit("message", msg.message);
        break;
      case "error":
        fail(msg.error, msg.detail);
        break;
      default:
        break;
    }
  });

  // ---- launcher ----

  const CSS = `
:host { all: initial; }
.ct { position: fixed; bottom: 20px; z-index: 2147483000; font: 15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.ct.right { right: 20px; } .ct.left { left: 20px; }
.launcher { min-width: 58px; height: 58px; border-radius: 29px; border: 0; cursor: pointer; display: flex; align-items: center;
  justify-content: center; gap: 8px; padding: 0 17px; font: 600 16px/1 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  background: var(--accent); color: var(--on-accent); box-shadow: 0 4px 16px rgb(0 0 0 / .25); position: relative; }
.launcher:hover { filter: brightness(1.08); }
.open .launcher .label { display: none; }
.launcher:focus-visible { outline: 3px solid #1d4ed8; outline-offset: 3px; }
.launcher svg { width: 28px; height: 28px; fill: currentColor; }
.launcher .shut { display: none; } .open .launcher .chat { display: none; } .open .launcher .shut { display: block; }
.badge { position: absolute; top: -4px; right: -4px; min-width: 22px; height: 22px; padding: 0 6px; border-radius: 11px;
  background: #b91c1c; color: #fff; font-size: 12px; font-weight: 700; display: grid; place-items: center; box-sizing: border-box; }
.badge[hidden] { display: none; }
.panel { position: absolute; bottom: 72px; width: 384px; height: min(660px, calc(100vh - 110px));
  border-radius: 16px; overflow: hidden; box-shadow: 0 12px 40px rgb(0 0 0 / .3); background: #fff; }
.right .panel { right: 0; } .left .panel { left: 0; }
.panel[hidden] { display: none; }
.panel iframe { border: 0; width: 100%; height: 100%; display: block; color-scheme: normal; }
@media (max-width: 520px) {
  .launcher .label { display: none; }
  .open .panel { position: fixed; inset: 0; width: 100vw; height: 100vh; height: 100dvh; border-radius: 0; }
  .open .launcher { display: none; }
}`;

  const CHAT_ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2Zm3 6.5a1.5 1.5 0 1 0 0 .01Zm5 0a1.5 1.5 0 1 0 0 .01Zm5 0a1.5 1.5 0 1 0 0 .01Z";
  const SHUT_ICON = "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6 6.4 5Z";

  function svg(path, cls) {
    const ns = "http://www.w3.org/2000/svg";
    const s = d.createElementNS(ns, "svg");
    const p = d.createElementNS(ns, "path");
    s.setAttribute("class", cls);
    s.setAttribute("viewBox", "0 0 24 24");
    s.setAttribute("aria-hidden", "true");
    s.setAttribute("focusable", "false");
    p.setAttribute("d", path);
    s.append(p);
    return s;
  }

  function luminance(hex) {
    const c = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
    const l = c.map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
  }

  function draw() {
    host = d.createElement("div");
    host.id = "coachtwin-widget";
    root = host.attachShadow({ mode: "open" }); // open: assistive tech and tests reach it either way
    try {
      const sheet = new CSSStyleSheet(); // not subject to the host page's style-src policy
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch (e) {
      const style = d.createElement("style");
      style.textContent = CSS;
      root.append(style);
    }
    const box = d.createElement("div");
    const side = settings.position === "left" || (settings.position !== "right" && config.position === "left");
    box.className = `ct ${side ? "left" : "right"}`;
    const color = /^#[0-9a-f]{6}$/i.test(config.color || "") ? config.color : "#4f46e5";
    box.style.setProperty("--accent", color);
    const lum = luminance(color);
    box.style.setProperty("--on-accent", (lum + 0.05) / 0.05 > 1.05 / (lum + 0.05) ? "#111111" : "#ffffff");
    panel = d.createElement("div");
    panel.className = "panel";
    panel.id = "coachtwin-panel";
    panel.hidden = true;
    launcher = d.createElement("button");
    launcher.type = "button";
    launcher.className = "launcher";
    launcher.setAttribute("aria-controls", "coachtwin-panel");
    launcher.setAttribute("aria-expanded", "false");
    badge = d.createElement("span");
    badge.className = "badge";
    badge.setAttribute("aria-hidden", "true"); // the launcher's name carries the count
    badge.hidden = true;
    const text = d.createElement("span");
    text.className = "label";
    text.textContent = config.label;
    launcher.append(svg(CHAT_ICON, "chat"), svg(SHUT_ICON, "shut"), text, badge);
    launcher.addEventListener("click", toggle);
    // Load the chat while the pointer or focus approaches the launcher: it opens without a wait.
    ["pointerenter", "focus", "touchstart"].forEach((t) => launcher.addEventListener(t, makeFrame, { passive: true }));
    box.append(panel, launcher);
    if (settings.hideLauncher) launcher.hidden = true;
    root.append(box);
    label();
    d.body.append(host);
    mark("coachtwin:launcher");
  }

  function label() {
    // The visible label first (what speech-input users say), then whom it opens, then the unread count.
    let text = isOpen ? `Close chat with ${config.name}` : `${config.label}: ${config.name}`;
    if (unread && !isOpen) text += `, ${unread} unread message${unread === 1 ? "" : "s"}`;
    launcher.setAttribute("aria-label", text);
  }

  function setUnread(n) {
    unread = isOpen ? 0 : n;
    badge.textContent = unread > 9 ? "9+" : String(unread);
    badge.hidden = !unread;
    label();
    // The host page's title shows the count too, and gets its own title back when read.
    if (unread) {
      if (baseTitle === null) baseTitle = d.title;
      d.title = `(${unread}) ${baseTitle}`;
    } else if (baseTitle !== null) {
      if (/^\(\d+\) /.test(d.title)) d.title = baseTitle;
      baseTitle = null;
    }
  }

  // ---- the public API ----

  function open() {
    if (isOpen) return;
    mark("coachtwin:open");
    makeFrame();
    isOpen = true;
    panel.hidden = false;
    panel.parentNode.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    if (w.matchMedia("(max-width: 520px)").matches) {
      const html = d.documentElement;
      const before = html.style.overflow;
      html.style.overflow = "hidden"; // full screen on a phone: the page behind must not scroll
      unlockScroll = () => {
        html.style.overflow = before;
      };
    }
    setUnread(0);
    toFrame({ type: "open", focus: true });
    frame.focus();
    emit("open");
  }

  function close() {
    if (!isOpen) return;
    const hadFocus = root.activeElement === frame || d.activeElement === host;
    isOpen = false;
    panel.hidden = true;
    panel.parentNode.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    if (unlockScroll) unlockScroll();
    unlockScroll = null;
    label();
    toFrame({ type: "close" });
    if (hadFocus) launcher.focus();
    emit("close");
  }

  function toggle() {
    if (isOpen) close();
    else open();
  }

  function identify(user) {
    if (!user || typeof user !== "object" || !user.external_id) {
      fail("invalid_input", "identify() needs {external_id, identity_hash}");
      return;
    }
    const next = {
      external_id: String(user.external_id),
      identity_hash: String(user.identity_hash || ""),
      name: user.name ? String(user.name) : "",
    };
    if (identity && identity.external_id === next.external_id && identity.identity_hash === next.identity_hash) return;
    identity = next;
    epoch += 1; // a session on its way for the previous identity is not this one's
    pendingSession = null;
    if (state.x !== next.external_id) state.t = null; // another member now; the visitor id is merged into them
    makeFrame();
    sendSession();
  }

  function reset() {
    try {
      localStorage.removeItem(slot);
    } catch (e) {
      /* nothing stored */
    }
    state = {};
    consent = false;
    identity = null;
    epoch += 1;
    pendingSession = null;
    setUnread(0);
    close();
    toFrame({ type: "reset" });
  }

  // Calls made before the launcher is drawn (the script loads async) wait for it.
  const later =
    (fn) =>
    (...args) => {
      if (launcher) fn(...args);
      else queued.push(() => fn(...args));
    };
  const CoachTwin = {
    version: VERSION,
    open: later(open),
    close: later(close),
    toggle: later(toggle),
    identify: later(identify),
    reset: later(reset),
    on(name, fn) {
      (listeners[name] = listeners[name] || []).push(fn);
      return CoachTwin;
    },
    off(name, fn) {
      listeners[name] = (listeners[name] || []).filter((f) => f !== fn);
      return CoachTwin;
    },
    get isOpen() {
      return isOpen;
    },
  };
  w.CoachTwin = CoachTwin;

  if (!key || !api) {
    fail("invalid_input", "The CoachTwin script tag needs a data-key attribute");
    return;
  }
  async function start() {
    let r;
    try {
      r = await fetch(`${api}/api/v1/widget/config?key=${encodeURIComponent(key)}`, { credentials: "omit" });
    } catch (e) {
      fail("offline", "The chat service could not be reached");
      return;
    }
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      fail(body.error || `http_${r.status}`, body.detail || "");
      return;
    }
    const theme = body.theme || {};
    config = {
      name: String(body.twin_name || "Coach"),
      label: String(theme.launcher_label || "Chat"),
      color: theme.color,
      position: theme.position,
    };
    const ready = () => {
      draw();
      if (settings.user) identify(settings.user);
      // Calls queued before the script loaded (window.CoachTwin = [["open"], ...]) or before the launcher.
      queued.splice(0).forEach((call) => {
        if (typeof call === "function") call();
        else if (Array.isArray(call) && typeof CoachTwin[call[0]] === "function") CoachTwin[call[0]](...call.slice(1));
      });
      // A returning visitor (or a member the host identified): connect now, for live messages and unread counts.
      if (consent && !identity) {
        makeFrame();
        sendSession();
      }
      emit("ready");
      if (settings.open) open();
    };
    if (d.body) ready();
    else d.addEventListener("DOMContentLoaded", ready);
  }
  start();
})();
