// The conversation as the member sees it: every message once, in the order the server gave them.
// Messages come from four places (the history on load, the catch-up after a reconnect, frames pushed on the
// socket, the reply to the member's own message) and may overlap; ids decide what is already shown.

const ROLES = {
  user: "member",
  member: "member",
  assistant: "twin",
  twin: "twin",
  program: "program",
  proactive: "program",
  creator: "creator",
  staff: "creator",
  human: "creator",
  system: "system",
};

/** A message from any source in one shape: {id, role, text, created_at, citations, author, checkin, ...}. */
export function normalize(raw) {
  let role = ROLES[raw.role] ?? (raw.role ? String(raw.role) : "twin");
  // Program messages are stored as the twin's with mode "program"; show them as the program's.
  if (role === "twin" && (raw.mode === "program" || raw.source === "program")) role = "program";
  return {
    id: raw.id ?? raw.message_id ?? null,
    role,
    text: String(raw.text ?? raw.content ?? raw.reply ?? ""),
    created_at: raw.created_at ?? null,
    client_id: raw.client_id ?? null,
    citations: Array.isArray(raw.citations) ? raw.citations : [],
    author: raw.author_name ?? raw.author ?? raw.sender_name ?? null,
    checkin: checkinOf(raw),
    mode: raw.mode ?? null,
    grounded: raw.grounded ?? null,
    rating: raw.rating ?? raw.feedback ?? null,
    channel: raw.channel ?? null,
  };
}

/** A program's check-in as answer buttons: {kind, options, min, max}; null when it takes free text. */
export function checkinOf(raw) {
  const c = raw.check_in ?? raw.checkin ?? null;
  if (!c || typeof c !== "object") return null;
  let options = Array.isArray(c.options) ? c.options.map(String).filter(Boolean).slice(0, 11) : [];
  const min = Number.isFinite(+c.min) && c.min !== null ? +c.min : 1;
  const max = Number.isFinite(+c.max) && c.max !== null ? +c.max : 5;
  if (!options.length && c.kind === "scale" && max >= min && max - min <= 10 && Number.isInteger(min + max)) {
    options = Array.from({ length: max - min + 1 }, (_, i) => String(min + i));
  }
  if (!options.length && c.kind === "yes_no") options = ["Yes", "No"];
  return options.length ? { kind: String(c.kind), options, min, max } : null;
}

/** What a message looks like on screen: when it is the same, it need not be drawn again. */
function signature(m) {
  return JSON.stringify([m.id, m.role, m.text, m.citations.length, m.rating, m.pending, m.author, m.checkin, m.mode]);
}

export class Timeline {
  constructor() {
    this.items = [];
    this.byId = new Map();
    this.byClient = new Map();
  }

  /** The id of the newest message the server has given us (the `after` of the next catch-up). */
  lastServerId() {
    for (let i = this.items.length - 1; i >= 0; i -= 1) if (this.items[i].id) return this.items[i].id;
    return null;
  }

  /** The member's own message, shown at once, before the server has it. */
  addPending(clientId, text) {
    const now = new Date().toISOString();
    const item = { ...normalize({ role: "member", text, client_id: clientId, created_at: now }), pending: true, local: true };
    this.items.push(item);
    this.byClient.set(clientId, item);
    return item;
  }

  /** Add a message, or merge it into the one already shown. Returns {item, isNew}. */
  upsert(raw) {
    const msg = normalize(raw);
    let item = (msg.id && this.byId.get(msg.id)) || (msg.client_id && this.byClient.get(msg.client_id)) || null;
    if (!item && msg.role === "member") {
      // The server's copy of a message sent here whose reply never arrived (a drop): same text, still pending.
      item = this.items.find((it) => it.local && it.pending && !it.id && it.text === msg.text) ?? null;
    }
    if (item) {
      const before = signature(item);
      for (const [k, v] of Object.entries(msg)) if (v !== null && v !== undefined && !(k === "text" && !v)) item[k] = v;
      if (msg.id) {
        this.byId.set(msg.id, item);
        item.pending = false;
      }
      return { item, isNew: false, changed: signature(item) !== before };
    }
    this.items.push(msg);
    if (msg.id) this.byId.set(msg.id, msg);
    if (msg.client_id) this.byClient.set(msg.client_id, msg);
    return { item: msg, isNew: true, changed: true };
  }

  /** The check-in still waiting for an answer: the last program message, if it asks one and nothing followed. */
  openCheckin() {
    const last = this.items[this.items.length - 1];
    return last && last.role === "program" && last.checkin ? last : null;
  }

  /** Take a message out (a streamed copy of a reply the server has already given us whole). */
  remove(item) {
    this.items = this.items.filter((it) => it !== item);
    if (item.id && this.byId.get(item.id) === item) this.byId.delete(item.id);
    if (item.client_id && this.byClient.get(item.client_id) === item) this.byClient.delete(item.client_id);
  }

  clear() {
    this.items = [];
    this.byId.clear();
    this.byClient.clear();
  }
}
