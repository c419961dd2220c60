// A ranked poll on its page: the voter's ranking as an ordered list they reorder by dragging
// (HTML5 drag and drop) or by keyboard ("Move up" / "Move down" buttons, each move announced),
// and the instant runoff as a chart (one group of bars per round, the eliminated options
// marked, the winner named). Kept apart from poll.ts, which shows choice polls.

import { h, fill } from "../dom";
import type { Poll } from "../store";
import { announce } from "../ui";
import { plural } from "./screen";

type Option = Poll["options"][number];

export interface RankedBallot {
  el: HTMLElement;
  /** Draws `options` in the voter's order: their ranking first, then what they left out. */
  set(options: Option[], ranking: string[], enabled: boolean): void;
  /** The ranking as shown (option ids, most preferred first). */
  order(): string[];
  /** Whether the voter moved anything since the server's ranking was shown. */
  moved(): boolean;
  /** Forgets the voter's moves (their ranking was sent, or withdrawn). */
  reset(): void;
}

/** `changed` runs after every move the voter makes. */
export function rankedBallot(changed: () => void): RankedBallot {
  const list = h("ol", { class: "rank-list", "aria-label": "Your ranking, most preferred first" });
  const help = h(
    "p",
    { class: "hint", id: "rank-help" },
    "Drag the options into your order, or use Move up and Move down. Your first choice is at the top.",
  );
  const el = h("div", { class: "rank-ballot" }, help, list);
  let ids: string[] = [];
  let texts = new Map<string, string>();
  let enabled = true;
  /** Set by the voter; null: show the ranking the server has. */
  let mine: string[] | null = null;
  let dragging: string | null = null;

  function move(id: string, to: number, focus: "up" | "down" | null): void {
    const from = ids.indexOf(id);
    if (from < 0 || to < 0 || to >= ids.length || to === from) return;
    ids.splice(from, 1);
    ids.splice(to, 0, id);
    mine = [...ids];
    draw();
    announce(`${texts.get(id) ?? "Option"} moved to position ${to + 1} of ${ids.length}.`);
    if (focus) {
      const li = list.querySelector<HTMLElement>(`li[data-id="${id}"]`);
      const btn = li?.querySelector<HTMLButtonElement>(`button[data-move="${focus}"]`);
      // At the top or bottom the pressed button is disabled: keep focus on the other one.
      const other = li?.querySelector<HTMLButtonElement>(`button[data-move="${focus === "up" ? "down" : "up"}"]`);
      (btn && !btn.disabled ? btn : other)?.focus();
    }
    changed();
  }

  /** What the list shows, to redraw only when that changes. */
  const key = () => JSON.stringify([enabled, ids.map((id) => [id, texts.get(id)])]);
  let drawn = "";

  function draw(): void {
    drawn = key();
    fill(
      list,
      ...ids.map((id, i) => {
        const text = texts.get(id) ?? "";
        const up = h(
          "button",
          { type: "button", class: "btn btn-quiet btn-small", "data-move": "up", "aria-label": `Move ${text} up`, disabled: !enabled || i === 0 },
          "Move up",
        );
        const down = h(
          "button",
          {
            type: "button",
            class: "btn btn-quiet btn-small",
            "data-move": "down",
            "aria-label": `Move ${text} down`,
            disabled: !enabled || i === ids.length - 1,
          },
          "Move down",
        );
        up.addEventListener("click", () => move(id, i - 1, "up"));
        down.addEventListener("click", () => move(id, i + 1, "down"));
        const li = h(
          "li",
          { class: "rank-item", "data-id": id, draggable: enabled ? "true" : "false" },
          h("span", { class: "rank-pos", "aria-hidden": "true" }, String(i + 1)),
          h("span", { class: "rank-text" }, text),
          h("span", { class: "rank-moves" }, up, down),
        );
        li.setAttribute("draggable", enabled ? "true" : "false");
        li.addEventListener("dragstart", (e) => {
          dragging = id;
          e.dataTransfer?.setData("text/plain", id);
          if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
          li.classList.add("dragging");
        });
        li.addEventListener("dragend", () => {
          dragging = null;
          li.classList.remove("dragging");
        });
        li.addEventListener("dragover", (e) => {
          if (dragging && enabled) e.preventDefault();
        });
        li.addEventListener("drop", (e) => {
          e.preventDefault();
          const from = dragging ?? e.dataTransfer?.getData("text/plain") ?? null;
          dragging = null;
          if (from && from !== id) move(from, ids.indexOf(id), null);
        });
        return li;
      }),
    );
  }

  return {
    el,
    set(options, ranking, on) {
      texts = new Map(options.map((o) => [o.id, o.text]));
      const known = new Set(texts.keys());
      const base = (mine ?? ranking).filter((id) => known.has(id));
      const rest = options.map((o) => o.id).filter((id) => !base.includes(id));
      const next = [...base, ...rest];
      ids = next;
      enabled = on;
      // Redrawn only when what shows changed: a redraw would take the focus off a button.
      if (key() !== drawn) draw();
    },
    order: () => [...ids],
    moved: () => mine !== null,
    reset: () => {
      mine = null;
    },
  };
}

/** The runoff as a chart: each round a group of bars (votes out of the round's counted
 * ballots), the options eliminated at its end marked, and the winner said in words. */
export function runoffChart(p: Poll): HTMLElement {
  const r = p.runoff;
  const text = new Map(p.options.map((o) => [o.id, o.text]));
  const name = (id: string) => text.get(id) ?? "An option";
  if (!r || p.voters === 0) {
    return h("section", { class: "runoff", "aria-label": "Instant runoff" }, h("p", { class: "hint" }, "No rankings yet."));
  }
  const winner = r.winner ? name(r.winner) : null;
  const rounds = r.rounds.map((round, i) => {
    const counted = round.tallies.reduce((n, t) => n + t.votes, 0);
    const out = new Set(round.eliminated);
    return h(
      "li",
      { class: "runoff-round" },
      h("h3", null, `Round ${i + 1}`),
      h(
        "ul",
        { class: "runoff-bars" },
        ...round.tallies.map((t) => {
          const share = counted > 0 ? Math.round((t.votes / counted) * 100) : 0;
          const status = out.has(t.option_id) ? "eliminated" : r.winner === t.option_id && i === r.rounds.length - 1 ? "winner" : "";
          const gained = t.transferred > 0 ? ` (+${t.transferred})` : "";
          const bar = h("span", { class: "poll-bar", "aria-hidden": "true" }, h("span", { class: "poll-bar-fill" }));
          (bar.firstChild as HTMLElement).style.width = `${share}%`;
          return h(
            "li",
            { class: `runoff-bar ${status}`.trim(), "data-option": t.option_id },
            h("span", { class: "runoff-text" }, name(t.option_id)),
            h("span", { class: "poll-count" }, `${plural(t.votes, "vote")}${gained} · ${share}%`, status ? ` · ${status}` : ""),
            bar,
          );
        }),
      ),
      round.exhausted > 0 ? h("p", { class: "hint" }, `${plural(round.exhausted, "ballot")} with no option left`) : null,
    );
  });
  return h(
    "section",
    { class: "runoff", "aria-labelledby": "runoff-h" },
    h("h2", { id: "runoff-h" }, "Instant runoff"),
    h("p", { class: "runoff-winner" }, winner ? `${winner} wins in round ${r.rounds.length}.` : "No winner yet."),
    h("ol", { class: "runoff-rounds" }, ...rounds),
  );
}

/** Replaces `box`'s chart when the runoff changed (keeps focus and screen readers calm). */
export function drawRunoff(box: HTMLElement, p: Poll): void {
  const key = JSON.stringify([p.runoff ?? null, p.options.map((o) => o.text)]);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  fill(box, runoffChart(p));
}
