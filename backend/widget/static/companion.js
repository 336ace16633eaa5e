// The companion page's extras: the member's program step, streak and goals beside the chat; installing it
// as an app (its service worker is registered only once the member has interacted: nothing on the device
// before that); a link to continue on another device; forgetting this device.

import { el } from "./view.js";

const VIEW_PATH = "/api/v1/me/overview";

export function start(ctx) {
  const { config, sessions } = ctx;
  const panel = document.getElementById("progress");
  const tools = document.getElementById("page-tools");
  let installPrompt = null;

  const refresh = async () => {
    let token;
    try {
      token = await sessions.obtain();
    } catch {
      return;
    }
    try {
      const r = await fetch(new URL(VIEW_PATH, ctx.API), { headers: { authorization: `Bearer ${token}` }, cache: "no-store" });
      if (r.ok) drawProgress(panel, await r.json());
    } catch {
      /* offline: the panel keeps what it showed */
    }
  };

  const consented = () => {
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/m/sw.js", { scope: "/m/" }).catch(() => {});
    refresh();
    drawTools();
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
          onclick: () => {
            sessions.reset();
            try {
              localStorage.removeItem(`coachtwin:seen:${config.key}:${sessions.state.m || "anon"}`);
            } catch {
              /* nothing stored */
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
  ctx.onMessage((m) => {
    if (m.role === "program") refresh();
  });
  drawTools();
}

function drawProgress(panel, data) {
  const programs = Array.isArray(data.programs) ? data.programs : [];
  const body = document.getElementById("progress-body");
  const parts = [];
  if (!programs.length) {
    parts.push(el("p", { class: "empty", text: "No program yet. When your coach starts one with you, your steps show here." }));
  }
  for (const p of programs) {
    const stats = el(
      "dl",
      { class: "stats" },
      stat("Current step", p.step || p.current_step || "—"),
      stat("Streak", p.streak === undefined || p.streak === null ? "—" : `${p.streak} in a row`),
      stat("Status", p.status || "active"),
    );
    const goals = Array.isArray(p.goals) ? p.goals : [];
    parts.push(
      el(
        "section",
        { class: "program", "aria-label": p.name || "Program" },
        el("h3", { text: p.name || "Your program" }),
        stats,
        goals.length
          ? el(
              "ul",
              { class: "goals", "aria-label": "Goals" },
              ...goals.map((g) =>
                el("li", { class: g.achieved ? "done" : "" }, `${g.achieved ? "✓ " : ""}${g.name}`, g.achieved ? el("span", { class: "sr-only", text: " (reached)" }) : null),
              ),
            )
          : null,
      ),
    );
  }
  body.replaceChildren(...parts);
  panel.hidden = false;
}

function stat(label, value) {
  return el("div", { class: "stat" }, el("dt", { text: label }), el("dd", { text: String(value) }));
}
