// What the visitor sees and hears besides the messages themselves: scrolling, the typing dots, the
// connection banner, notes in the conversation, announcements for screen readers, the creator's colours.

const $ = (id) => document.getElementById(id);

export class Screen {
  /** @param {{config: object, timeline: import("./timeline.js").Timeline, view: import("./view.js").MessageView}} o */
  constructor(o) {
    Object.assign(this, o);
    this.log = $("log");
    this.box = $("scroller");
    this.live = $("live");
    this.banner = $("banner");
    this.typingTimer = null;
    this.bannerTimer = null;
  }

  nearBottom() {
    return this.box.scrollHeight - this.box.scrollTop - this.box.clientHeight < 120;
  }

  scrollDown(force = false) {
    if (force || this.nearBottom()) requestAnimationFrame(() => (this.box.scrollTop = this.box.scrollHeight));
  }

  /** Show a message (new, or changed in place); the view follows it when the visitor was at the bottom. */
  draw(item) {
    const stick = this.nearBottom();
    const li = this.view.render(item);
    if (!li.isConnected) this.log.append(li);
    this.drawCheckin();
    $("starters").hidden = this.timeline.items.length > 0;
    this.scrollDown(stick || item.role === "member");
  }

  redrawAll() {
    this.log.replaceChildren(...this.timeline.items.map((m) => this.view.render(m)));
    this.drawCheckin();
    $("starters").hidden = this.timeline.items.length > 0;
    this.scrollDown(true);
  }

  /** Answer buttons under the check-in the program waits on, and under no other message. */
  drawCheckin() {
    for (const old of this.log.querySelectorAll(".answers")) old.remove();
    const open = this.timeline.openCheckin();
    if (open) open.el.append(this.view.checkin(open));
  }

  /** Said by screen readers (a polite live region), once. */
  announce(text) {
    this.live.textContent = "";
    setTimeout(() => (this.live.textContent = text), 50);
  }

  typing(on) {
    $("typing").hidden = !on;
    clearTimeout(this.typingTimer);
    if (on) {
      this.announce(`${this.config.name} is typing…`);
      this.typingTimer = setTimeout(() => this.typing(false), 60_000);
      this.scrollDown();
    }
  }

  /** The connection's state: nothing when online; a quick reconnect should not flash a banner. */
  status(state) {
    clearTimeout(this.bannerTimer);
    if (state === "online") {
      this.banner.hidden = true;
      return;
    }
    const text =
      {
        offline: "You're offline. Messages will be sent when you're back.",
        refused: "This website is not allowed to open this chat.",
      }[state] || "Reconnecting…";
    this.bannerTimer = setTimeout(
      () => {
        this.banner.textContent = text;
        this.banner.hidden = false;
      },
      state === "connecting" ? 2000 : 0,
    );
  }

  /** A line in the conversation from the chat itself (not stored anywhere). */
  note(text) {
    const { item } = this.timeline.upsert({ role: "system", text, id: null });
    this.draw(item);
    this.announce(text);
  }
}

/** The creator's colour, with text colours that keep 4.5:1 contrast whatever the colour is. */
export function applyTheme(c) {
  const root = document.documentElement;
  const accent = /^#[0-9a-f]{6}$/i.test(c.color || "") ? c.color : "#4f46e5";
  root.style.setProperty("--accent", accent);
  root.style.setProperty("--on-accent", contrastText(accent));
  // Text and links in the accent colour need 4.5:1 on the page; otherwise they keep a safe indigo.
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
