// Drawing the conversation: one <li> per message, built from text nodes (markdown through md.js), with
// expandable sources, answer buttons for a program's check-in and thumbs on the twin's replies.

import { renderMarkdown } from "./md.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

const ICON_UP =
  "M7 10v11H3V10h4Zm2 11h8.5a2 2 0 0 0 2-1.6l1.4-7A2 2 0 0 0 19 10h-5.2l.8-3.8a1.6 1.6 0 0 0-2.9-1.2L9 10v11Z";

export function icon(path, flip = false) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  if (flip) svg.setAttribute("class", "flip");
  const p = document.createElementNS(ns, "path");
  p.setAttribute("d", path);
  svg.append(p);
  return svg;
}

function timeOf(iso) {
  const d = iso ? new Date(iso) : new Date();
  return Number.isNaN(d.getTime()) ? new Date() : d;
}

function where(c) {
  const loc = c.location || {};
  const parts = [];
  if (loc.page) parts.push(`p. ${loc.page}`);
  if (loc.heading) parts.push(String(loc.heading));
  return parts.join(" · ");
}

let seq = 0;

export class MessageView {
  /**
   * @param {object} o
   * @param {object} o.config          the twin's name, the creator's name
   * @param {(m: object, rating: string, comment?: string) => Promise<boolean>} o.rate
   * @param {(text: string) => void} o.answer   send a check-in answer
   */
  constructor(o) {
    Object.assign(this, o);
  }

  speaker(m) {
    if (m.role === "member") return "You";
    if (m.role === "creator") return m.author || "Your coach";
    if (m.role === "program") return `${this.config.name} · program`;
    if (m.role === "system") return "";
    return this.config.name;
  }

  /** The <li> for a message (made once per message, refreshed in place). */
  render(m) {
    if (!m.el) {
      seq += 1;
      m.key = `m${seq}`;
      m.el = el("li", { class: `msg msg--${m.role}` });
    }
    this.fill(m);
    return m.el;
  }

  fill(m) {
    const li = m.el;
    // Drawn again while a control inside had focus (a thumb, a source): give focus back to its new self.
    const focused = li.contains(document.activeElement) ? document.activeElement.getAttribute("aria-label") : null;
    this.draw(m);
    if (focused) li.querySelector(`[aria-label="${CSS.escape(focused)}"]`)?.focus();
  }

  draw(m) {
    const li = m.el;
    li.className = `msg msg--${m.role}${m.pending ? " is-pending" : ""}${m.failed ? " is-failed" : ""}${
      m.streaming ? " is-streaming" : ""
    }`;
    li.replaceChildren();
    if (m.role === "system") {
      li.append(el("p", { class: "note", text: m.text }));
      return;
    }
    const who = this.speaker(m);
    const head = el(
      "p",
      { class: "who" },
      el("span", { class: m.role === "member" ? "sr-only" : "name", text: who }),
      m.role === "creator" ? el("span", { class: "tag", text: "Human" }) : null,
      el("span", { class: "sr-only", text: ", " }),
      el("time", { datetime: timeOf(m.created_at).toISOString(), text: fmtTime(timeOf(m.created_at)) }),
    );
    const body = el("div", { class: "bubble" });
    if (m.role === "member") {
      // The member's own words, exactly as typed: text, never markup.
      body.append(el("p", { class: "plain", text: m.text }));
    } else {
      body.append(renderMarkdown(m.text, { cite: (n) => this.citeButton(m, n) }));
    }
    li.append(head, body);
    if (m.citations.length && !m.streaming) li.append(this.sources(m));
    if (m.failed) li.append(this.failure(m));
    if (m.pending && !m.failed && m.role === "member") li.append(el("p", { class: "state", text: "Sending…" }));
    if ((m.role === "twin" || m.role === "creator") && m.id && !m.streaming && m.mode !== "program") {
      li.append(this.rating(m));
    }
  }

  citeButton(m, n) {
    const c = m.citations[n - 1];
    if (!c) return `[${n}]`;
    return el("button", {
      type: "button",
      class: "cite",
      "aria-label": `Source ${n}: ${c.document_title || "source"}`,
      text: String(n),
      onclick: () => {
        const details = m.el.querySelector("details.sources");
        if (!details) return;
        details.open = true;
        const item = details.querySelector(`[data-n="${n}"]`);
        if (item) {
          item.scrollIntoView({ block: "nearest" });
          item.focus();
        }
      },
    });
  }

  sources(m) {
    const list = el("ol", { class: "source-list" });
    m.citations.forEach((c, i) => {
      const place = where(c);
      list.append(
        el(
          "li",
          { "data-n": i + 1, tabindex: "-1" },
          el("p", { class: "source-title" }, el("cite", { text: c.document_title || "Source" }), place ? ` — ${place}` : ""),
          c.text ? el("blockquote", { text: c.text }) : null,
        ),
      );
    });
    const n = m.citations.length;
    return el("details", { class: "sources" }, el("summary", { text: `${n} source${n === 1 ? "" : "s"}` }), list);
  }

  failure(m) {
    return el(
      "p",
      { class: "state state--error" },
      el("span", { text: m.failed === true ? "Not sent." : m.failed }),
      m.retry ? el("button", { type: "button", class: "link", text: "Try again", onclick: m.retry }) : null,
    );
  }

  rating(m) {
    const group = el("div", { class: "rate", role: "group", "aria-label": "Rate this reply" });
    const label = { up: "Helpful", down: "Not helpful" };
    const press = async (rating) => {
      const before = m.rating;
      m.rating = rating;
      m.rated = null;
      this.fill(m);
      m.el.querySelector(`.thumb[aria-label="${label[rating]}"]`)?.focus();
      const ok = await this.rate(m, rating);
      if (!ok) {
        m.rating = before;
        m.rated = "Could not save your rating.";
        this.fill(m);
      } else if (rating === "down") {
        this.askWhy(m);
      } else {
        m.rated = "Thanks!";
        this.fill(m);
      }
      if (rating !== "down" || !ok) m.el.querySelector(`.thumb[aria-label="${label[rating]}"]`)?.focus();
    };
    group.append(
      el(
        "button",
        { type: "button", class: "thumb", "aria-label": "Helpful", "aria-pressed": m.rating === "up" ? "true" : "false", onclick: () => press("up") },
        icon(ICON_UP),
      ),
      el(
        "button",
        { type: "button", class: "thumb", "aria-label": "Not helpful", "aria-pressed": m.rating === "down" ? "true" : "false", onclick: () => press("down") },
        icon(ICON_UP, true),
      ),
    );
    if (m.rated) group.append(el("span", { class: "thanks", role: "status", text: m.rated }));
    return group;
  }

  askWhy(m) {
    if (m.el.querySelector("form.why")) return;
    const id = `why-${m.key}`;
    const input = el("input", { id, type: "text", maxlength: "1000", autocomplete: "off" });
    const form = el(
      "form",
      { class: "why" },
      el("label", { for: id, text: "What was wrong? (optional)" }),
      el("div", { class: "row" }, input, el("button", { type: "submit", class: "small", text: "Send" })),
    );
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const comment = input.value.trim();
      if (comment) await this.rate(m, "down", comment);
      m.rated = "Thanks for telling us.";
      this.fill(m);
      m.el.querySelector(".thumb[aria-pressed=true]")?.focus();
    });
    m.el.append(form);
    input.focus();
  }

  /** Answer buttons for a check-in the program waits on. */
  checkin(m) {
    const c = m.checkin;
    const group = el("div", { class: "answers", role: "group", "aria-label": "Your answer" });
    for (const v of c.options) {
      group.append(el("button", { type: "button", class: "answer", text: v, onclick: () => this.answer(v) }));
    }
    if (c.kind === "scale") {
      group.prepend(el("span", { class: "scale-end", "aria-hidden": "true", text: `${c.min} = low` }));
      group.append(el("span", { class: "scale-end", "aria-hidden": "true", text: `${c.max} = high` }));
    }
    return group;
  }
}

export function fmtTime(d) {
  return d.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
}

/** Plain text of markdown for announcements (no markup characters read aloud). */
export function plainText(text, max = 300) {
  const plain = String(text)
    .replace(/\[(\d{1,2})\]/g, "")
    .replace(/[*_`>#]+/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return plain.length > max ? `${plain.slice(0, max - 1)}…` : plain;
}
