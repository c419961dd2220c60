// After a round: who wrote what, the votes and points each got, and the leaderboard. The host
// starts the next round (or ends the game after the last one).
//
// The reveal runs in the big screen's order (CSS delays, so it costs nothing and a reduced-motion
// setting shows it all at once): the answers one at a time from the fewest votes to the most,
// each with its votes and, in a room that hides votes, who voted for it; then the authors; then
// the leaderboard with each player's gain.

import { h, setText } from "../dom";
import * as game from "../game";
import { hostName, isHost, state, type Entry, type Result } from "../store";
import { icon } from "../icons";
import { avatar, busyClick, roundHeader } from "./common";
import { plural, type Screen } from "./screen";

/**
 * How a rank reads among `entries`: "=2" (and "Rank 2, tied" aloud) when others share it, as
 * the leaderboard and the podium both show it.
 */
export function rankMarks(entries: Entry[]): (e: Entry) => { text: string; label: string } {
  const counts = new Map<number, number>();
  for (const e of entries) counts.set(e.rank, (counts.get(e.rank) ?? 0) + 1);
  return (e) => {
    const tie = (counts.get(e.rank) ?? 0) > 1;
    return { text: tie ? `=${e.rank}` : String(e.rank), label: `Rank ${e.rank}${tie ? ", tied" : ""}` };
  };
}

/** The leaderboard as an ordered list; ties share a rank and say so. */
export function leaderboardList(
  entries: Entry[],
  cls = "leaderboard",
  before?: Map<string, number>,
): HTMLElement {
  const mark = rankMarks(entries);
  return h(
    "ol",
    { class: cls, "aria-label": "Leaderboard" },
    entries.map((e) => {
      const rank = mark(e);
      const me = e.user_id === state.me?.id;
      return h(
        "li",
        { class: me ? "me" : null, "data-rank": String(e.rank) },
        h("span", { class: "rank", "aria-label": rank.label }, rank.text),
        avatar(e.user_id, e.display_name),
        h("span", { class: "lb-name" }, e.display_name, me ? h("span", { class: "badge" }, "You") : null),
        gainOf(e, before),
        h("span", { class: "score" }, plural(e.score, "pt")),
      );
    }),
  );
}

/** "+n" for what `e` gained since `before` (nothing when there is no before, or no gain). */
function gainOf(e: Entry, before?: Map<string, number>): HTMLElement | null {
  if (!before?.size) return null;
  const gain = e.score - (before.get(e.user_id) ?? 0);
  return gain > 0 ? h("span", { class: "gain", "aria-label": `up ${gain} this round` }, `+${gain}`) : null;
}

/** "Voted by …", or for one's own answer "Voted for you: …". */
function votersLine(r: Result, mine: boolean): HTMLElement | null {
  if (!r.voters?.length) return null;
  // By name: the order votes came in would tell who followed whom.
  const names = [...r.voters]
    .sort((a, b) => a.display_name.localeCompare(b.display_name))
    .map((v) => (v.user_id === state.me?.id ? "you" : v.display_name))
    .join(", ");
  return h("p", { class: "voters" }, mine ? "Voted for you: " : "Voted by ", names);
}

export function revealScreen(): Screen {
  const g = state.game;
  const round = g?.round;
  if (!g || !round) return { el: h("section"), title: "Results", update() {} };
  const last = round.round_number >= g.room.settings.max_rounds;

  const results = [...g.results].sort((a, b) => b.votes - a.votes);
  const top = results[0]?.votes ?? 0;
  const n = results.length;
  const list = h(
    "ul",
    { class: "results reveal", "aria-label": "Answers and their authors", style: `--n:${Math.max(n, 1)}` },
    results.map((r, i) => {
      const mine = r.author_id === state.me?.id;
      const winner = top > 0 && r.votes === top;
      return h(
        "li",
        { class: `result${mine ? " mine" : ""}${winner ? " winner" : ""}`, style: `--i:${n - 1 - i}` },
        winner ? icon("crown", "crown") : null,
        h("p", { class: "answer-text" }, r.content),
        votersLine(r, mine),
        h(
          "p",
          { class: "result-foot" },
          h(
            "span",
            { class: "byline" },
            avatar(r.author_id, r.display_name),
            h("span", { class: "author" }, r.display_name, mine ? " (you)" : ""),
          ),
          h("span", { class: "votes" }, plural(r.votes, "vote")),
          h("span", { class: "points" }, `+${r.votes}`),
        ),
      );
    }),
  );

  const next = h(
    "button",
    { type: "button", class: "btn btn-primary btn-block btn-big" },
    last ? "Show final results" : `Start round ${round.round_number + 1}`,
  );
  busyClick(next, () => game.nextRound());
  const waiting = h("p", { class: "waiting", role: "status" });

  const el = h(
    "section",
    { class: "screen screen-game" },
    roundHeader(g, { ...round, deadline: null }, "Results"),
    h("h1", { class: "question" }, round.question),
    results.length ? list : h("p", { class: "lead" }, "Nobody answered this round."),
    h(
      "div",
      { class: "card reveal-board", style: `--n:${Math.max(n, 1)}` },
      h("h2", null, "Leaderboard"),
      leaderboardList(g.leaderboard, "leaderboard", g.before),
    ),
    next,
    waiting,
  );
  return {
    el,
    title: `Round ${round.round_number} results`,
    update() {
      const g = state.game;
      if (!g) return;
      const host = isHost(g, state.me);
      next.hidden = !host;
      waiting.hidden = host;
      const by = hostName(g);
      setText(
        waiting,
        last ? `Waiting for ${by} to reveal the final results…` : `Waiting for ${by} to start the next round…`,
      );
    },
  };
}
