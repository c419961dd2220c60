// The end of the game: the podium (ties share a step) and the full final leaderboard.

import { h } from "../dom";
import * as game from "../game";
import { state, type Entry } from "../store";
import { icon } from "../icons";
import { avatar, busyClick } from "./common";
import { leaderboardList, rankMarks } from "./reveal";
import { plural, type Screen } from "./screen";

type Navigate = (path: string) => void;

export function podiumScreen(navigate: Navigate): Screen {
  const g = state.game;
  const final: Entry[] = g?.final ?? g?.leaderboard ?? [];
  const winners = final.filter((e) => e.rank === 1);
  const iWon = winners.some((e) => e.user_id === state.me?.id);
  const title =
    winners.length === 0
      ? "Game over"
      : iWon
        ? winners.length > 1
          ? "You share the win!"
          : "You win!"
        : `${winners.map((w) => w.display_name).join(" & ")} ${winners.length > 1 ? "win" : "wins"}!`;

  // Second, first, third from left to right, as on a real podium.
  const top = final.slice(0, 3);
  const order = [top[1], top[0], top[2]].filter((e): e is Entry => !!e);
  // A shared place reads "=2" on its steps, as on the leaderboard (not two plain 2s).
  const mark = rankMarks(final);
  const podium = h(
    "ol",
    { class: "podium", "aria-label": "Podium" },
    order.map((e) =>
      h(
        "li",
        { class: `step step-${Math.min(e.rank, 3)}${e.user_id === state.me?.id ? " me" : ""}` },
        avatar(e.user_id, e.display_name),
        h("span", { class: "step-name" }, e.display_name),
        h("span", { class: "step-score" }, plural(e.score, "pt")),
        h(
          "span",
          { class: "step-block" },
          h("span", { class: "step-rank", "aria-label": mark(e).label }, mark(e).text),
        ),
      ),
    ),
  );

  const code = g?.room.code ?? "";
  const again = h("a", { href: "/", "data-link": true, class: "btn btn-primary btn-big" }, "Play another game");
  const leave = h("button", { type: "button", class: "btn btn-quiet" }, "Leave room");
  busyClick(leave, async () => {
    if (await game.leave(code)) navigate("/");
  });

  const el = h(
    "section",
    { class: "screen screen-game" },
    h("p", { class: "eyebrow" }, "Final results"),
    icon("trophy", "trophy"),
    h("h1", { class: "winner-title" }, title),
    podium,
    final.length > 3 || final.length === 0
      ? h("div", { class: "card" }, h("h2", null, "Everyone"), leaderboardList(final))
      : null,
    h("div", { class: "row center" }, again, leave),
  );
  return { el, title: "Final results", update() {} };
}
