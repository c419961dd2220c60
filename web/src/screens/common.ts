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

/**
 * Avatar colours (`.hue-0` … in styles.css): the first BOLD are the most unlike one another,
 * the rest are for rooms of more than BOLD. Twelve in all, more than a room usually holds.
 */
const BOLD = 6;
const HUES = 12;

/** A person's own colour, from their id: what their profile shows, and their first choice in a room. */
function ownHue(userId: string): number {
  let hash = 0;
  for (const ch of userId) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return hash % BOLD;
}

let huesFor = "";
let hues = new Map<string, number>();

/**
 * Everyone's colour in the room, so that no two players share one while there are colours left.
 * Players are taken in the room's order as the server sends it (the order they joined), then
 * anyone the game still names who has left (on the leaderboard or among a round's authors) by
 * id. Each gets their own colour unless someone earlier has it, else the next free bold one,
 * else the next free other one; past HUES players, their own. Every page has the same list in
 * the same order, so every viewer and every screen shows the same colours. A newcomer never
 * changes an earlier player's colour; when someone leaves, only players who had been moved off
 * their own may change (in rooms of up to BOLD).
 */
function roomHues(g: Game): Map<string, number> {
  const ids = g.room.participants.map((p) => p.user_id);
  const inRoom = new Set(ids);
  const gone = new Set<string>();
  for (const e of g.final ?? g.leaderboard) if (!inRoom.has(e.user_id)) gone.add(e.user_id);
  for (const r of g.results) if (!inRoom.has(r.author_id)) gone.add(r.author_id);
  ids.push(...[...gone].sort());
  const key = ids.join(",");
  if (key === huesFor) return hues;
  const taken = new Set<number>();
  /** The first free colour of `first`…`first + count - 1`, looking from `first + at` on. */
  const free = (first: number, count: number, at: number): number | undefined => {
    for (let i = 0; i < count; i++) {
      const hue = first + ((at + i) % count);
      if (!taken.has(hue)) return hue;
    }
    return undefined;
  };
  const next = new Map<string, number>();
  for (const id of ids) {
    const own = ownHue(id);
    const hue = free(0, BOLD, own) ?? free(BOLD, HUES - BOLD, own) ?? own;
    taken.add(hue);
    next.set(id, hue);
  }
  huesFor = key;
  hues = next;
  return hues;
}

/** The colour class of a player: their room's choice in a room, else their own. */
function hueClass(userId: string): string {
  const g = state.game;
  return `hue-${(g && roomHues(g).get(userId)) ?? ownHue(userId)}`;
}

/** A coloured initial for a player (the colour: see roomHues). */
export function avatar(userId: string, name: string): HTMLElement {
  const initial = Array.from(name.trim())[0]?.toUpperCase() ?? "?";
  return h("span", { class: `avatar ${hueClass(userId)}`, "aria-hidden": "true" }, initial);
}

/** Gives an avatar drawn earlier the colour its player has now (the room's players changed). */
export function repaintAvatar(el: HTMLElement, userId: string): void {
  const want = `avatar ${hueClass(userId)}`;
  if (el.className !== want) el.className = want;
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
