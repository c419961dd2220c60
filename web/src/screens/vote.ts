// Voting: the anonymous answer cards with live counts (`vote_update`), or, in a room that hides
// votes, only how many have voted (`votes_cast`); one's own answer marked and not votable, one
// vote per round, and the host's "end voting now".

import { h, setText } from "../dom";
import * as game from "../game";
import { runsOnly, state, type Card } from "../store";
import { announce } from "../ui";
import { busyClick, hostBar, refreshHostBar, roundHeader } from "./common";
import { plural, syncList, type Screen } from "./screen";

export function voteScreen(roundId: string): Screen {
  const g = state.game;
  const round = g?.round;
  if (!g || !round) return { el: h("section"), title: "Vote", update() {} };

  const instructions = h("p", { class: "lead", role: "status" });
  const cards = h("ul", { class: "cards", "aria-label": "Answers" });
  const total = h("p", { class: "progress-text", "aria-live": "polite" });
  const endBtn = h("button", { type: "button", class: "btn btn-secondary btn-small" }, "End voting now");
  busyClick(endBtn, () => game.endRound(roundId));
  const bar = hostBar(endBtn);

  const el = h(
    "section",
    { class: "screen screen-game" },
    roundHeader(g, round, "Vote"),
    h("h1", { class: "question" }, round.question),
    instructions,
    cards,
    total,
    bar,
  );

  function makeCard(c: Card): HTMLElement {
    const btn = h("button", { type: "button", class: "btn btn-primary vote-btn" }, "Vote");
    busyClick(btn, async () => {
      if (await game.vote(roundId, c.id)) {
        announce("Vote counted");
        // The button is gone now: keep the keyboard on the card just chosen.
        li.focus();
      }
    });
    const li = h(
      "li",
      { class: "answer-card", tabIndex: -1 },
      h("p", { class: "answer-text" }, c.content),
      h(
        "div",
        { class: "answer-foot" },
        h("span", { class: "votes" }, h("span", { class: "votes-num" }), h("span", { class: "votes-label" })),
        h("span", { class: "tag" }),
        btn,
      ),
    );
    return li;
  }

  function patchCard(li: HTMLElement, c: Card): void {
    const g = state.game;
    const mine = g?.myAnswerId === c.id;
    const chosen = g?.myVote === c.id;
    const voted = !!g?.myVote || runsOnly(g, state.me);
    (li.querySelector(".votes") as HTMLElement).hidden = !!g?.room.settings.hide_votes;
    li.classList.toggle("mine", mine);
    li.classList.toggle("chosen", chosen);
    const num = li.querySelector(".votes-num") as HTMLElement;
    if (num.textContent !== String(c.votes) && num.textContent !== "") {
      // A short pulse when a count changes under the player's eyes.
      li.classList.remove("bump");
      void li.offsetWidth;
      li.classList.add("bump");
    }
    setText(num, String(c.votes));
    setText(li.querySelector(".votes-label") as HTMLElement, c.votes === 1 ? " vote" : " votes");
    const tag = li.querySelector(".tag") as HTMLElement;
    setText(tag, mine ? "Your answer" : chosen ? "✓ Your vote" : "");
    tag.hidden = !mine && !chosen;
    const btn = li.querySelector(".vote-btn") as HTMLButtonElement;
    btn.hidden = mine || voted;
    btn.setAttribute("aria-label", `Vote for: ${c.content}`);
  }

  return {
    el,
    title: `Round ${round.round_number}: vote`,
    update() {
      const g = state.game;
      if (!g) return;
      syncList(cards, g.cards, (c) => c.id, makeCard, patchCard);
      const votable = g.cards.some((c) => c.id !== g.myAnswerId);
      setText(
        instructions,
        g.cards.length === 0
          ? "Nobody answered this round."
          : runsOnly(g, state.me)
            ? "You're running this round: the players are voting."
            : g.myVote
            ? g.room.settings.hide_votes
              ? "Thanks for voting! Votes stay secret until the reveal."
              : "Thanks for voting! Watch the votes come in."
            : g.audience
              ? "Vote for your favourite answer: the audience's votes are counted apart."
              : votable
                ? "Vote for your favourite answer. Authors stay secret until the round ends."
                : "Only your answer is in, so there's nothing to vote for this time.",
      );
      const n = g.cards.reduce((sum, c) => sum + c.votes, 0);
      setText(
        total,
        !g.room.settings.hide_votes
          ? `${plural(n, "vote")} so far`
          : g.voted
            ? `${g.voted.voted} of ${g.voted.total} voted`
            : "Votes stay hidden until the reveal",
      );
      refreshHostBar(bar);
    },
  };
}
