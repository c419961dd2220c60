// The end of the game: the podium (ties share a step) and the full final leaderboard. The host
// gets "Play again" (same players, the same settings or a few changed; the `play_again` event),
// after which every page in the room follows `game_reset` to the next game without a reload;
// everyone else waits for the host, or leaves.

import { h, setText } from "../dom";
import * as game from "../game";
import { hostName, isHost, state, type Entry } from "../store";
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
  // The host's next game: the same players and settings, the number of rounds changeable.
  const settings = g?.room.settings;
  const rounds = h(
    "select",
    { id: "again-rounds", name: "max_rounds" },
    [1, 2, 3, 4, 5, 6, 8, 10].map((n) =>
      h("option", { value: String(n), selected: n === settings?.max_rounds }, plural(n, "round")),
    ),
  );
  const again = h("button", { type: "button", class: "btn btn-primary btn-big" }, "Play again");
  busyClick(again, async () => {
    const n = Number(rounds.value);
    await game.playAgain(n !== settings?.max_rounds ? { max_rounds: n } : undefined);
  });
  // Right under the podium, where the host's thumb is (the full list comes after).
  const hostControls = h(
    "div",
    { class: "card stack play-again" },
    h(
      "div",
      { class: "play-again-row" },
      h("div", { class: "field" }, h("label", { for: "again-rounds" }, "Rounds"), rounds),
      again,
    ),
    h("p", { class: "hint" }, "The same players and settings, everyone back to 0 points."),
  );
  const waiting = h("p", { class: "waiting", role: "status" });
  const leave = h("button", { type: "button", class: "btn btn-quiet" }, g?.audience ? "Stop watching" : "Leave room");
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
    hostControls,
    waiting,
    final.length > 3 || final.length === 0
      ? h("div", { class: "card" }, h("h2", null, "Everyone"), leaderboardList(final))
      : null,
    h("div", { class: "row center" }, leave),
  );
  return {
    el,
    title: "Final results",
    update() {
      // The host may change hands on this screen (the host left).
      const g = state.game;
      const host = isHost(g, state.me);
      hostControls.hidden = !host;
      waiting.hidden = host;
      const by = hostName(g);
      setText(waiting, `Waiting for ${by} to start another game…`);
    },
  };
}
