// An open-answer (text) poll on its page: the answer box (its length limit shown as the voter
// types, and their own answers with where each stands: shown, waiting for approval, hidden),
// the word cloud and the approved answers (they follow `poll_results` live), and for the
// creator the moderation queue (`GET /api/polls/{id}/answers`, then `poll_answer` events live),
// each answer with Approve and Hide. The word cloud is also what the presenter view shows.
// Kept apart from poll.ts, which shows choice polls.

import { api, ApiError } from "../api";
import { h, fill, setText } from "../dom";
import { describe } from "../errors";
import type { Poll } from "../store";
import { announce, toast } from "../ui";
import { busyClick } from "./common";
import { plural, syncList } from "./screen";
import type * as wire from "../wire";

type Word = wire.WordCount;
type Queued = wire.QueuedAnswer;

const STATUS_TEXT: Record<wire.AnswerStatus, string> = {
  pending: "Waiting for approval",
  approved: "Shown",
  hidden: "Hidden by the creator",
};

/** The words as a cloud: sized by count (the largest `max` em, the smallest `min` em), the
 * most frequent in the middle, each word's count in its label. */
export function wordCloud(words: Word[], min = 1, max = 3.2): HTMLElement {
  const list = h("ul", { class: "cloud", "aria-label": "Word cloud" });
  if (words.length === 0) {
    list.append(h("li", { class: "cloud-empty hint" }, "No words yet."));
    return list;
  }
  const top = Math.max(...words.map((w) => w.count));
  const low = Math.min(...words.map((w) => w.count));
  // Largest first, then alternately after and before it: a cloud that grows from its middle.
  const placed: Word[] = [];
  [...words]
    .sort((a, b) => b.count - a.count || a.word.localeCompare(b.word))
    .forEach((w, i) => (i % 2 === 0 ? placed.push(w) : placed.unshift(w)));
  for (const w of placed) {
    const t = top === low ? 0.5 : (w.count - low) / (top - low);
    const li = h(
      "li",
      { class: "cloud-word", "data-word": w.word, "data-count": String(w.count), title: plural(w.count, "answer") },
      w.word,
    );
    // In em: the cloud's own font size sets the scale (the presenter's grows with the screen).
    li.style.fontSize = `${(min + t * (max - min)).toFixed(2)}em`;
    li.style.setProperty("--weight", t.toFixed(2));
    li.setAttribute("aria-label", `${w.word}: ${plural(w.count, "answer")}`);
    list.append(li);
  }
  return list;
}

export interface TextPanel {
  el: HTMLElement;
  draw(p: Poll, canAnswer: boolean, creator: boolean): void;
  /** A `poll_answer` (the creator's queue). */
  answer(a: Queued): void;
}

export function textPanel(setPoll: (p: Poll) => void): TextPanel {
  let poll: Poll | null = null;
  let sending = false;
  const input = h("input", { id: "text-answer", name: "text", autocomplete: "off", "aria-describedby": "text-answer-count text-answer-error" });
  const count = h("span", { id: "text-answer-count", class: "hint text-count", "aria-live": "polite" });
  const error = h("p", { id: "text-answer-error", class: "form-error", role: "alert" });
  const send = h("button", { type: "submit", class: "btn btn-primary" }, "Send");
  const left = h("p", { class: "hint text-left" });
  const mineList = h("ul", { class: "text-mine", "aria-label": "Your answers" });
  const form = h(
    "form",
    { class: "stack text-form", onsubmit: (e: Event) => void submit(e) },
    h("label", { for: "text-answer" }, "Your answer"),
    h("div", { class: "row text-row" }, input, send),
    h("div", { class: "row between" }, left, count),
    error,
  );
  input.addEventListener("input", () => {
    drawCount();
    setText(error, "");
  });

  const cloudBox = h("div", { class: "cloud-box" });
  const answersHead = h("h2", { id: "text-answers-h" }, "Answers");
  const answers = h("ul", { class: "text-answers", "aria-labelledby": "text-answers-h" });
  const results = h(
    "section",
    { class: "card text-results", "aria-label": "Results" },
    h("h2", null, "Word cloud"),
    cloudBox,
    answersHead,
    answers,
  );

  // --- the creator's queue
  const queueCounts = h("p", { class: "hint queue-counts", "aria-live": "polite" });
  const queueList = h("ul", { class: "queue", "aria-label": "Answers to moderate" });
  const queue = h(
    "section",
    { class: "card text-queue", "aria-labelledby": "text-queue-h" },
    h("h2", { id: "text-queue-h" }, "Moderation"),
    queueCounts,
    queueList,
  );
  queue.hidden = true;
  let queued = new Map<string, Queued>();
  let queueLoaded = false;

  const el = h("div", { class: "stack text-poll" }, form, mineList, results, queue);

  function drawCount(): void {
    const max = poll?.text?.max_length ?? 140;
    const n = Array.from(input.value.trim()).length;
    setText(count, `${n} / ${max}`);
    count.classList.toggle("over", n > max);
  }

  async function submit(e: Event): Promise<void> {
    e.preventDefault();
    if (!poll || sending) return;
    const value = input.value.trim();
    if (!value) {
      setText(error, "Write an answer first.");
      input.focus();
      return;
    }
    sending = true;
    send.disabled = true;
    try {
      const r = await api<{ answer: wire.MyAnswer; poll: Poll }>("POST", `/api/polls/${poll.id}/answers`, { text: value });
      input.value = "";
      drawCount();
      setPoll(r.poll);
      announce(r.answer.status === "pending" ? "Sent: your answer shows once the creator approves it." : "Your answer is in.");
    } catch (err) {
      const why = describe(err instanceof ApiError ? err : { code: "network" }).replace(/^Text: (.)/, (_, c: string) => c.toUpperCase());
      setText(error, why);
    } finally {
      sending = false;
      send.disabled = false;
    }
  }

  async function loadQueue(id: string): Promise<void> {
    queueLoaded = true;
    try {
      const r = await api<wire.AnswerQueue>("GET", `/api/polls/${id}/answers`);
      for (const a of r.answers) if (!queued.has(a.id)) queued.set(a.id, a);
      drawQueue();
    } catch (err) {
      queueLoaded = false;
      fill(queueList, h("li", { class: "form-error" }, describe(err instanceof ApiError ? err : { code: "network" })));
    }
  }

  async function decide(a: Queued, status: "approved" | "hidden"): Promise<void> {
    try {
      const r = await api<{ answer: Queued }>("PATCH", `/api/polls/${a.poll_id}/answers/${a.id}`, { status });
      queued.set(r.answer.id, r.answer);
      drawQueue();
      announce(status === "approved" ? "Approved." : "Hidden.");
    } catch (err) {
      toast(describe(err instanceof ApiError ? err : { code: "network" }));
    }
  }

  function drawQueue(): void {
    // Waiting first (oldest first: the order to work through), then the rest, newest first.
    const all = [...queued.values()];
    const order = (a: Queued) => (a.status === "pending" ? 0 : 1);
    all.sort((a, b) => order(a) - order(b) || (order(a) === 0 ? a.created_at.localeCompare(b.created_at) : b.created_at.localeCompare(a.created_at)));
    const n = (s: wire.AnswerStatus) => all.filter((a) => a.status === s).length;
    setText(queueCounts, `${n("pending")} waiting · ${n("approved")} shown · ${n("hidden")} hidden`);
    syncList(
      queueList,
      all,
      (a) => a.id,
      (a) => {
        const approve = h("button", { type: "button", class: "btn btn-secondary btn-small", "data-action": "approve" }, "Approve");
        const hide = h("button", { type: "button", class: "btn btn-quiet btn-small", "data-action": "hide" }, "Hide");
        busyClick(approve, () => decide(queued.get(a.id) ?? a, "approved"));
        busyClick(hide, () => decide(queued.get(a.id) ?? a, "hidden"));
        return h(
          "li",
          { class: "queue-item" },
          h("p", { class: "queue-text" }),
          h("p", { class: "hint queue-meta" }),
          h("div", { class: "row queue-actions" }, approve, hide),
        );
      },
      (li, a) => {
        li.dataset.status = a.status;
        li.dataset.id = a.id;
        setText(li.querySelector(".queue-text") as HTMLElement, a.text);
        const who = a.author?.display_name ?? "Anonymous";
        setText(
          li.querySelector(".queue-meta") as HTMLElement,
          [STATUS_TEXT[a.status].replace(" by the creator", ""), a.flagged ? "caught by the word filter" : "", who].filter(Boolean).join(" · "),
        );
        const [approve, hide] = Array.from(li.querySelectorAll("button"));
        approve.hidden = a.status === "approved";
        hide.hidden = a.status === "hidden";
        approve.setAttribute("aria-label", `Approve “${a.text}”`);
        hide.setAttribute("aria-label", `Hide “${a.text}”`);
      },
    );
  }

  function draw(p: Poll, canAnswer: boolean, creator: boolean): void {
    poll = p;
    const t = p.text;
    if (!t) return;
    input.maxLength = t.max_length;
    // Broadcasts carry no one's own answers: a waiting answer of mine that shows up among the
    // approved ones has been approved.
    const shown = new Set(t.results.answers.map((a) => a.id));
    const mine = (t.my_answers ?? []).map((a) => (a.status === "pending" && shown.has(a.id) ? { ...a, status: "approved" as const } : a));
    const room = t.answers_per_voter - mine.length;
    form.hidden = !canAnswer;
    input.disabled = room <= 0;
    send.disabled = sending || room <= 0;
    setText(
      left,
      room <= 0
        ? t.answers_per_voter === 1
          ? "You have answered."
          : `You have given your ${t.answers_per_voter} answers.`
        : t.answers_per_voter > 1
          ? `${plural(room, "answer")} left · up to ${t.max_length} characters each`
          : `Up to ${t.max_length} characters`,
    );
    drawCount();
    mineList.hidden = mine.length === 0;
    fill(
      mineList,
      ...mine.map((a) =>
        h("li", { class: "text-mine-item", "data-status": a.status }, h("span", null, a.text), h("span", { class: "hint" }, STATUS_TEXT[a.status])),
      ),
    );
    const r = t.results;
    const key = JSON.stringify(r.words);
    if (cloudBox.dataset.key !== key) {
      cloudBox.dataset.key = key;
      fill(cloudBox, wordCloud(r.words));
    }
    setText(answersHead, `Answers (${r.answer_count})`);
    if (r.answers.length === 0) {
      fill(answers, h("li", { class: "hint" }, t.moderation === "pre" ? "Approved answers show here." : "Answers show here."));
    } else {
      for (const li of Array.from(answers.children) as HTMLElement[]) if (!li.dataset.key) li.remove();
      syncList(
        answers,
        r.answers,
        (a) => a.id,
        () => h("li", { class: "text-answer" }),
        (li, a) => setText(li, a.text),
      );
    }
    queue.hidden = !creator;
    if (creator && !queueLoaded) void loadQueue(p.id);
  }

  return {
    el,
    draw,
    answer(a: Queued) {
      queued.set(a.id, a);
      if (!queue.hidden) drawQueue();
    },
  };
}
