// Where the chat's member token comes from.
// In the widget, the loader on the host page creates sessions (so the API sees the host's real Origin) and
// hands the token to this frame by postMessage; the frame asks for one on the visitor's first interaction
// and when the server refuses an expired one. On the companion page (the API's own origin) the page makes
// sessions itself. Either way nothing is written to the device before the visitor first interacts.

export class SessionError extends Error {
  constructor(code, detail) {
    super(detail || code);
    this.code = code;
  }
}

/** The widget frame: sessions come from the loader on the host page. */
export class FrameSessions {
  constructor(post) {
    this.post = post;
    this.waiting = [];
    this.token = null;
  }

  obtain() {
    if (this.token) return Promise.resolve(this.token);
    return this._ask("need-session");
  }

  renew() {
    this.token = null;
    return this._ask("session-expired");
  }

  _ask(type) {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (this.waiting.length === 1) this.post({ type });
    });
  }

  /** The loader's answer: {type: "session", token} or {type: "session-error", error, detail}. */
  receive(msg) {
    const waiting = this.waiting;
    this.waiting = [];
    if (msg.type === "session") {
      this.token = msg.token;
      for (const w of waiting) w.resolve(msg.token);
    } else {
      this.token = null;
      for (const w of waiting) w.reject(new SessionError(msg.error, msg.detail));
    }
  }

  reset() {
    this.token = null;
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.reject(new SessionError("reset", "The site signed the visitor out"));
  }
}

function randomId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** The companion page: sessions made here, the visitor's identity kept in this origin's storage. */
export class PageSessions {
  constructor(key, api) {
    this.key = key;
    this.api = api;
    this.slot = `coachtwin:${key}`;
    this.state = this._load();
    this.token = null;
    this.pending = null;
    this._fromLink();
  }

  /** True when this device already holds the member's identity (they interacted before). */
  get consented() {
    return Boolean(this.state.v || this.state.x);
  }

  get identified() {
    return Boolean(this.state.x);
  }

  _load() {
    try {
      return JSON.parse(localStorage.getItem(this.slot) || "{}") || {};
    } catch {
      return {};
    }
  }

  _save() {
    try {
      localStorage.setItem(this.slot, JSON.stringify(this.state));
    } catch {
      /* storage blocked: the session lives as long as the page */
    }
  }

  /**
   * A link from the widget or the creator's site carries who the member is in its fragment (never sent to
   * any server): #v=<visitor id> or #x=<external id>&h=<identity hash>&n=<name>. Following it is the
   * member's own act, so it is kept; the fragment is then removed from the address bar.
   */
  _fromLink() {
    const hash = new URLSearchParams(location.hash.slice(1));
    const v = hash.get("v");
    const x = hash.get("x");
    if (!v && !x) return;
    if (x) this.state = { ...this.state, x, h: hash.get("h") || "", n: hash.get("n") || this.state.n, t: null };
    if (v && /^[\w-]{8,64}$/.test(v)) this.state = { ...this.state, v, t: null };
    this._save();
    history.replaceState(null, "", location.pathname + location.search);
  }

  async obtain() {
    if (this.token) return this.token;
    const t = this.state.t;
    if (t && this.state.e > Date.now() + 60_000) {
      this.token = t;
      return t;
    }
    return this._create();
  }

  renew() {
    this.token = null;
    this.state.t = null;
    return this._create();
  }

  _create() {
    if (this.pending) return this.pending;
    this.pending = (async () => {
      if (!this.state.v) this.state.v = randomId();
      const body = { key: this.key, visitor_id: this.state.v, timezone: timezone() };
      if (this.state.x) Object.assign(body, { external_id: this.state.x, identity_hash: this.state.h || "" });
      if (this.state.n) body.display_name = this.state.n;
      let r;
      try {
        r = await fetch(new URL("/api/v1/widget/sessions", this.api), {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      } catch {
        throw new SessionError("offline", "No connection");
      }
      const data = await r.json().catch(() => ({}));
      if (r.status !== 201) throw new SessionError(data.error || `http_${r.status}`, data.detail);
      this.token = data.token;
      this.state.t = data.token;
      this.state.e = Date.now() + (Number(data.expires_in) || 3600) * 1000;
      this.state.m = data.member_id;
      this._save();
      return data.token;
    })();
    return this.pending.finally(() => {
      this.pending = null;
    });
  }

  /** A link that opens this conversation elsewhere (another device): carries the visitor's identity. */
  shareLink() {
    const frag = this.state.x
      ? new URLSearchParams({ x: this.state.x, h: this.state.h || "", n: this.state.n || "" })
      : new URLSearchParams({ v: this.state.v || "" });
    return `${location.origin}${location.pathname}#${frag}`;
  }

  reset() {
    this.state = {};
    this.token = null;
    try {
      localStorage.removeItem(this.slot);
    } catch {
      /* nothing stored */
    }
  }
}

export function timezone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}
