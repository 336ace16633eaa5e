// The member's say over the twin's reminders, on the companion page: pause them for a while, keep quiet
// hours (the member's own clock), or stop them altogether. Reads and writes /api/v1/me/preferences.

import { el } from "./view.js";

const PATH = "/api/v1/me/preferences";
const PAUSES = [
  ["", "Don't pause"],
  ["1", "For 1 day"],
  ["3", "For 3 days"],
  ["7", "For a week"],
  ["30", "For a month"],
];

export async function drawReminders(box, ctx) {
  const call = async (method, body) => {
    const token = await ctx.sessions.obtain();
    const r = await fetch(new URL(PATH, ctx.API), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
      cache: "no-store",
    });
    if (!r.ok) throw new Error((await r.json().catch(() => ({}))).detail || `error ${r.status}`);
    return r.json();
  };
  let prefs;
  try {
    prefs = await call("GET");
  } catch {
    return; // offline or not signed in yet: the section stays as it was
  }
  render(box, prefs, call);
}

function render(box, prefs, call) {
  const paused = prefs.paused_until && new Date(prefs.paused_until) > new Date() ? new Date(prefs.paused_until) : null;
  const optedOut = new Set(prefs.opt_out_channels || []);
  const status = el("p", { class: "hint", role: "status" });
  const save = async (body, done) => {
    status.textContent = "Saving…";
    try {
      render(box, await call("PUT", body), call);
      box.querySelector("[role=status]").textContent = done;
    } catch (err) {
      status.textContent = `Not saved: ${err.message}`;
    }
  };

  const pause = el("select", { id: "reminders-pause" }, ...PAUSES.map(([v, t]) => el("option", { value: v, text: t })));
  const pauseRow = paused
    ? el(
        "p",
        {},
        `Paused until ${paused.toLocaleString([], { dateStyle: "medium", timeStyle: "short" })}. `,
        el("button", {
          type: "button",
          text: "Resume reminders",
          onclick: () => save({ paused_until: new Date().toISOString() }, "Reminders are back on."),
        }),
      )
    : el("p", { class: "field" }, el("label", { for: "reminders-pause", text: "Pause reminders" }), pause);

  const quiet = prefs.quiet_hours;
  const quietOn = el("input", { type: "checkbox", id: "reminders-quiet", checked: Boolean(quiet) });
  const from = el("input", { type: "time", id: "reminders-from", value: quiet ? quiet.start : "22:00" });
  const to = el("input", { type: "time", id: "reminders-to", value: quiet ? quiet.end : "07:00" });
  const times = el(
    "p",
    { class: "field times" },
    el("label", { for: "reminders-from", text: "From" }),
    from,
    el("label", { for: "reminders-to", text: "to" }),
    to,
  );
  times.hidden = !quiet;
  quietOn.addEventListener("change", () => (times.hidden = !quietOn.checked));

  const stopAll = el("input", { type: "checkbox", id: "reminders-stop", checked: optedOut.has("all") });

  const form = el(
    "form",
    { class: "reminders", "aria-labelledby": "reminders-title" },
    el("h3", { id: "reminders-title", text: "Reminders" }),
    el("p", { class: "hint", text: "Your coach's twin may check in when you go quiet. You decide when." }),
    pauseRow,
    el("p", { class: "field" }, quietOn, el("label", { for: "reminders-quiet", text: "Quiet hours (your time)" })),
    times,
    el("p", { class: "field" }, stopAll, el("label", { for: "reminders-stop", text: "Stop all reminders" })),
    el("button", { type: "submit", text: "Save reminder settings" }),
    status,
  );
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    if (quietOn.checked && (!from.value || !to.value || from.value === to.value)) {
      status.textContent = "Quiet hours need a start and an end that differ.";
      return;
    }
    const body = {
      quiet_hours: quietOn.checked ? { start: from.value, end: to.value } : null,
      opt_out_channels: [...[...optedOut].filter((c) => c !== "all"), ...(stopAll.checked ? ["all"] : [])],
    };
    if (!paused && pause.value) body.paused_until = new Date(Date.now() + Number(pause.value) * 86_400_000).toISOString();
    save(body, "Saved.");
  });
  box.replaceChildren(form);
  box.hidden = false;
}
