// The question and the answer box (1–280 characters), how many have answered, and the host's
// "end answering now". A draft survives a reload (sessionStorage, per round).

import { h, setText } from "../dom";
import * as game from "../game";
import { runsOnly, state } from "../store";
import { announce } from "../ui";
import { busyClick, hostBar, refreshHostBar, roundHeader } from "./common";
import { plural, type Screen } from "./screen";

export const MAX_ANSWER = 280;

/** Lengths count Unicode characters, as the server does. */
const length = (s: string) => Array.from(s.trim()).length;

export function answerScreen(roundId: string): Screen {
  const g = state.game;
  const round = g?.round;
  if (!g || !round) return { el: h("section"), title: "Round", update() {} };
  const draftKey = `vg.draft.${roundId}`;
  // What we sent, to show it again after a reload (the server keeps answers anonymous).
  const sentKey = `vg.sent.${roundId}`;

  const input = h("textarea", {
    id: "answer",
    name: "answer",
    rows: 3,
    required: true,
    placeholder: "Your funniest answer…",
    enterKeyHint: "send",
    "aria-describedby": "answer-count",
    value: sessionStorage.getItem(draftKey) ?? "",
  });
  const counter = h("p", { id: "answer-count", class: "char-count" });
  const limitNote = h("span", { class: "sr-only", "aria-live": "polite" });
  const send = h("button", { type: "submit", class: "btn btn-primary btn-block btn-big" }, "Send answer");
  let sending = false;

  const form = h(
    "form",
    {
      class: "stack answer-form",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const text = input.value.trim();
        if (sending || !text || length(text) > MAX_ANSWER) return;
        sending = true;
        send.disabled = true;
        setText(send, "Sending…");
        // Stored first: the screen that shows it is drawn as soon as the ack arrives.
        sessionStorage.setItem(sentKey, text);
        const ok = await game.submitAnswer(roundId, text);
        sending = false;
        setText(send, "Send answer");
        send.disabled = false;
        if (ok) {
          sessionStorage.removeItem(draftKey);
          announce("Answer sent");
        } else {
          sessionStorage.removeItem(sentKey);
          input.focus();
        }
      },
    },
    h("label", { for: "answer", class: "sr-only" }, "Your answer"),
    input,
    h("div", { class: "row between" }, counter, limitNote),
    send,
  );

  // Enter sends, Shift+Enter is a new line (answers are one-liners; phones show "send").
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });
  let lastWarned = Infinity;
  const drawCount = () => {
    const n = length(input.value);
    const left = MAX_ANSWER - n;
    setText(counter, `${n} / ${MAX_ANSWER}`);
    counter.classList.toggle("over", left < 0);
    counter.classList.toggle("near", left >= 0 && left <= 20);
    send.disabled = sending || n === 0 || left < 0;
    if (left <= 20 && left !== lastWarned && (left % 10 === 0 || left < 0)) {
      lastWarned = left;
      setText(limitNote, left < 0 ? `${plural(-left, "character")} over the limit` : `${plural(left, "character")} left`);
    }
  };
  input.addEventListener("input", () => {
    sessionStorage.setItem(draftKey, input.value);
    drawCount();
  });
  drawCount();

  const mine = h("blockquote", { class: "my-answer" });
  const done = h(
    "div",
    { class: "card done-card", tabIndex: -1 },
    h("p", { class: "done-title" }, "✓ Your answer is in"),
    mine,
    h("p", { class: "hint" }, "Waiting for the others…"),
  );
  // The audience never answers: they watch the answers come in, and vote next.
  const watching = h(
    "div",
    { class: "card done-card" },
    h("p", { class: "done-title" }, "You're watching"),
    h("p", { class: "hint" }, "The players are answering. You'll vote for your favourite next."),
  );
  // A host who doesn't play runs the round: the progress below and "end answering now".
  const hosting = h(
    "div",
    { class: "card done-card" },
    h("p", { class: "done-title" }, "You're running this round"),
    h("p", { class: "hint" }, "The players are answering. End it early below, or let the timer run out."),
  );
  const progress = h("p", { class: "progress-text", "aria-live": "polite" });
  const dots = h("div", { class: "dots", "aria-hidden": "true" });

  const endBtn = h("button", { type: "button", class: "btn btn-secondary btn-small" }, "End answering now");
  busyClick(endBtn, () => game.startVoting(roundId));
  const bar = hostBar(endBtn);

  const el = h(
    "section",
    { class: "screen screen-game" },
    roundHeader(g, round, "Answer"),
    h("h1", { class: "question" }, round.question),
    h("div", { class: "card" }, form),
    done,
    watching,
    hosting,
    h("div", { class: "progress" }, dots, progress),
    bar,
  );

  let answeredBefore: boolean | null = null;
  return {
    el,
    title: `Round ${round.round_number}`,
    focus: g.myAnswerId || g.audience || runsOnly(g, state.me) ? undefined : input,
    update() {
      const g = state.game;
      if (!g) return;
      const answered = !!g.myAnswerId;
      const runs = runsOnly(g, state.me);
      form.parentElement!.hidden = answered || g.audience || runs;
      done.hidden = !answered;
      watching.hidden = !g.audience;
      hosting.hidden = !runs;
      // Keep the keyboard user's place: the button they pressed is gone now.
      if (answered && answeredBefore === false) done.focus();
      answeredBefore = answered;
      if (answered) setText(mine, sessionStorage.getItem(sentKey) ?? "Sent from another window.");
      const total = g.room.participants.length;
      const n = Math.min(g.submitted, total);
      setText(progress, `${n} of ${total} answered`);
      if (dots.childElementCount !== total) {
        dots.replaceChildren(...Array.from({ length: total }, () => h("span", { class: "dot" })));
      }
      Array.from(dots.children).forEach((d, i) => d.classList.toggle("on", i < n));
      refreshHostBar(bar);
    },
  };
}
