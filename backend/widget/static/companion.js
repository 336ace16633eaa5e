// The companion page's extras: the member's program step, streak and goals beside the chat; installing it
// as an app (its service worker is registered only once the member has interacted: nothing on the device
// before that); a link to continue on another device; forgetting this device; the member's reminder settings.

import { drawReminders } from "./reminders.js";
import { el } from "./view.js";

const VIEW_PATH = "/api/v1/me";

export function start(ctx) {
  const { config, sessions } = ctx;
  // On a phone the progress folds into one line above the chat; on a wide screen it stays open beside it.
  const box = document.getElementById("progress-box");
  if (box && matchMedia("(max-width: 859px)").matches) box.open = false;
  const panel = document.getElementById("progress");
  const tools = document.getElementById("page-tools");
  let installPrompt = null;
  let channels = []; // messaging apps this coach's twin is on (the member's view says)

  const refresh = async () => {
    let token;
    try {
      token = await sessions.obtain();
    } catch {
      return;
    }
    try {
      const r = await fetch(new URL(VIEW_PATH, ctx.API), { headers: { authorization: `Bearer ${token}` }, cache: "no-store" });
      if (r.ok) {
        const data = await r.json();
        drawProgress(panel, data);
        channels = Array.isArray(data.channels) ? data.channels : [];
        drawTools();
      }
    } catch {
      /* offline: the panel keeps what it showed */
    }
  };

  const consented = () => {
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(() => {});
    refresh();
    drawTools();
    drawReminders(document.getElementById("reminders"), ctx);
  };

  function drawTools() {
    const buttons = [];
    if (installPrompt) {
      buttons.push(
        el("button", {
          type: "button",
          text: "Install app",
          onclick: async () => {
            const prompt = installPrompt;
            installPrompt = null;
            prompt.prompt();
            await prompt.userChoice.catch(() => null);
            drawTools();
          },
        }),
      );
    }
    if (sessions.consented && channels.includes("telegram")) buttons.push(telegramButton(ctx));
    if (sessions.consented) {
      const copy = el("button", {
        type: "button",
        text: "Copy link for another device",
        onclick: async () => {
          try {
            await navigator.clipboard.writeText(sessions.shareLink());
            copy.textContent = "Link copied. It signs you in: keep it to yourself.";
          } catch {
            copy.textContent = "Could not copy the link";
          }
        },
      });
      buttons.push(
        copy,
        el("button", {
          type: "button",
          text: "Forget me on this device",
          onclick: async () => {
            sessions.reset();
            try {
              // This origin's storage is the chat's alone: everything of ours goes (identity, token, seen marks).
              for (const k of Object.keys(localStorage)) if (k.startsWith("coachtwin:")) localStorage.removeItem(k);
            } catch {
              /* nothing stored */
            }
            try {
              const workers = (await navigator.serviceWorker?.getRegistrations()) || [];
              await Promise.all(workers.map((r) => r.unregister()));
              const shells = (await caches.keys()).filter((k) => k.startsWith("coachtwin-"));
              await Promise.all(shells.map((k) => caches.delete(k)));
            } catch {
              /* no service worker or cache here */
            }
            location.reload();
          },
        }),
      );
    }
    tools.replaceChildren(...buttons);
    tools.hidden = !buttons.length;
  }

  addEventListener("beforeinstallprompt", (ev) => {
    ev.preventDefault();
    installPrompt = ev;
    drawTools();
  });

  ctx.onSession(consented);
  // Any new message may move the program on (an answer, a goal reached, a day's streak): read the view again.
  let soon = null;
  ctx.onMessage(() => {
    clearTimeout(soon);
    soon = setTimeout(refresh, 300);
  });
  drawTools();
}

// A one-time link that joins the Telegram chat opening it to this member (the twin continues there).
function telegramButton(ctx) {
  const button = el("button", {
    type: "button",
    text: "Continue on Telegram",
    onclick: async () => {
      const opened = window.open("", "_blank"); // opened in the click, or a popup blocker stops it
      try {
        const token = await ctx.sessions.obtain();
        const r = await fetch(new URL("/api/v1/me/telegram-link", ctx.API), {
          method: "POST",
          headers: { authorization: `Bearer ${token}` },
        });
        if (!r.ok) throw new Error(String(r.status));
        const { url } = await r.json();
        if (opened) {
          opened.opener = null;
          opened.location.href = url;
        } else location.href = url;
        button.textContent = "Telegram opened: press Start there";
      } catch {
        opened?.close();
        button.textContent = "Telegram is not available right now";
      }
    },
  });
  return button;
}

function drawProgress(panel, data) {
  const body = document.getElementById("progress-body");
  const parts = [];
  const p = data.program;
  const streak = data.streak || { current: 0, best: 0 };
  const days = (n) => `${n} day${n === 1 ? "" : "s"}`;
  const stats = el(
    "dl",
    { class: "stats" },
    stat("Streak", days(streak.current || 0)),
    stat("Best streak", days(streak.best || 0)),
  );
  if (p) {
    const step = p.step ? p.step.label || p.step.type : p.status === "completed" ? "Finished" : "—";
    parts.push(
      el(
        "section",
        { class: "program", "aria-labelledby": "program-name" },
        el("h3", { id: "program-name", text: p.name || "Your program" }),
        el("dl", { class: "stats" }, stat("Current step", step), stat("Steps taken", String(p.steps_taken ?? 0))),
        p.check_in ? el("p", { class: "hint", text: "A check-in is waiting for your answer in the chat." }) : null,
      ),
    );
  } else {
    parts.push(el("p", { text: "No program yet. When your coach starts one with you, your steps show here." }));
  }
  parts.push(stats);
  const goals = Array.isArray(data.goals) ? data.goals : [];
  parts.push(
    el("h3", { text: "Goals" }),
    goals.length
      ? el(
          "ul",
          { class: "goals" },
          ...goals.map((g) =>
            el(
              "li",
              { class: g.done ? "done" : "" },
              `${g.done ? "✓ " : ""}${g.name}`,
              el("span", { class: "sr-only", text: g.done ? " (reached)" : " (not reached yet)" }),
            ),
          ),
        )
      : el("p", { text: "Tell the twin what you want to achieve; your goals show here." }),
  );
  body.replaceChildren(...parts);
  const line = [`Streak ${days(streak.current || 0)}`];
  if (p && p.step) line.unshift(p.step.label || p.step.type);
  document.getElementById("progress-summary").textContent = line.join(" · ");
  panel.hidden = false;
}

function stat(label, value) {
  return el("div", { class: "stat" }, el("dt", { text: label }), el("dd", { text: String(value) }));
}
