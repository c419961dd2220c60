// Pieces several game screens share: the round header, the host's control bar, player avatars.

import { h } from "../dom";
import { isHost, state, type Game, type Round } from "../store";
import { countdown } from "../ui";

/** "Round 2 of 3" and, while a phase runs, its countdown. */
export function roundHeader(g: Game, round: Round, phase: string): HTMLElement {
  return h(
    "div",
    { class: "round-head" },
    h(
      "p",
      { class: "eyebrow" },
      // From the room's second game on, which game too (play again).
      `${(g.room.game_number ?? 1) > 1 ? `Game ${g.room.game_number} · ` : ""}Round ${round.round_number} of ${g.room.settings.max_rounds}`,
      h("span", { class: "phase-tag" }, phase),
    ),
    round.deadline ? countdown(round.deadline, round.time_limit) : null,
  );
}

/** A bar of host-only buttons (shown to the host only; the server checks anyway). */
export function hostBar(...buttons: HTMLElement[]): HTMLElement {
  const bar = h(
    "div",
    { class: "host-bar", role: "group", "aria-label": "Host controls" },
    h("span", { class: "host-bar-label" }, "Host"),
    ...buttons,
  );
  bar.hidden = !isHost(state.game, state.me);
  return bar;
}

export function refreshHostBar(bar: HTMLElement): void {
  bar.hidden = !isHost(state.game, state.me);
}

/** A coloured initial for a player (the colour comes from their id, so it is stable). */
export function avatar(userId: string, name: string): HTMLElement {
  let hash = 0;
  for (const ch of userId) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  const initial = Array.from(name.trim())[0]?.toUpperCase() ?? "?";
  return h("span", { class: `avatar hue-${hash % 8}`, "aria-hidden": "true" }, initial);
}

/** Runs an async action from a button, disabling it meanwhile (no double sends). */
export function busyClick(button: HTMLButtonElement, action: () => Promise<unknown>): void {
  button.addEventListener("click", async () => {
    if (button.disabled) return;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    try {
      await action();
    } finally {
      button.disabled = false;
      button.removeAttribute("aria-busy");
    }
  });
}
