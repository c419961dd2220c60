// Page-wide feedback: toasts for errors and news, a polite screen-reader announcer, the
// server-clock estimate and the countdowns that use it.

import { h, setText } from "./dom";
import { plural } from "./screens/screen";

/** Shows a message for a while; errors are announced at once (role=alert). */
export function toast(text: string, kind: "error" | "info" = "error"): void {
  const box = document.getElementById("toasts");
  if (!box) return;
  // The same message twice in a row (a burst of refusals) shows once.
  const last = box.lastElementChild as HTMLElement | null;
  if (last?.dataset.text === text) return;
  const close = h("button", { class: "toast-close", type: "button", "aria-label": "Dismiss" }, "×");
  const el = h(
    "div",
    { class: `toast toast-${kind}`, role: kind === "error" ? "alert" : "status", "data-text": text },
    h("span", null, text),
    close,
  );
  const remove = () => el.remove();
  close.addEventListener("click", remove);
  box.append(el);
  setTimeout(remove, kind === "error" ? 8000 : 4000);
}

export function clearToasts(): void {
  document.getElementById("toasts")?.replaceChildren();
}

let announceTimer = 0;
/** Read out by screen readers (polite), without showing anything. */
export function announce(text: string): void {
  const el = document.getElementById("announcer");
  if (!el) return;
  // Clearing first makes the same text be read again.
  el.textContent = "";
  clearTimeout(announceTimer);
  announceTimer = window.setTimeout(() => (el.textContent = text), 50);
}

// --- time -----------------------------------------------------------------------------------

/** Server clock minus ours, when a response's Date header showed a clear difference. */
let skewMs = 0;

export function noteServerDate(date: string | null): void {
  if (!date) return;
  const server = Date.parse(date);
  if (Number.isNaN(server)) return;
  // Date has whole seconds: the true server time is on average half a second later.
  const diff = server + 500 - Date.now();
  skewMs = Math.abs(diff) > 1500 ? diff : 0;
}

/** Whole seconds left until a server deadline (never negative). */
export function secondsLeft(deadline: string | null): number {
  if (!deadline) return 0;
  const ms = Date.parse(deadline) - (Date.now() + skewMs);
  return Math.max(0, Math.ceil(ms / 1000));
}

export function formatSeconds(s: number): string {
  const m = Math.floor(s / 60);
  const r = s % 60;
  return m > 0 ? `${m}:${String(r).padStart(2, "0")}` : String(r);
}

/**
 * A countdown to `deadline`: the number, a shrinking bar, and announcements at a few moments
 * (every second would drown a screen reader).
 */
export function countdown(deadline: string | null, total: number): HTMLElement {
  const num = h("span", { class: "countdown-num" });
  const bar = h("span", { class: "countdown-bar-fill" });
  const el = h(
    "div",
    { class: "countdown", role: "timer", "aria-label": "Time left" },
    h("span", { class: "countdown-bar", "aria-hidden": "true" }, bar),
    num,
  );
  let lastAnnounced = -1;
  const tick = () => {
    const left = secondsLeft(deadline);
    setText(num, left > 0 ? `${formatSeconds(left)} s` : "Time's up");
    const share = total > 0 ? Math.min(1, left / total) : 0;
    bar.style.transform = `scaleX(${share})`;
    el.classList.toggle("urgent", left > 0 && left <= 5);
    el.setAttribute("aria-label", left > 0 ? `${plural(left, "second")} left` : "Time's up");
    if ([30, 10, 5].includes(left) && left !== lastAnnounced && left < total) {
      lastAnnounced = left;
      announce(`${left} seconds left`);
    }
  };
  tick();
  timers.add(tick);
  return el;
}

const timers = new Set<() => void>();
setInterval(() => {
  for (const t of timers) t();
}, 250);

/** Stops the countdowns of a screen that is going away. */
export function stopCountdowns(): void {
  timers.clear();
}
