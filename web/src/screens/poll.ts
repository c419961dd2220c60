// A poll's page (`/p/{code}` or `/p/{id}`; the short link `/p/{code}` is its share link): the
// question, a live bar chart of the counts (`poll_results` after `subscribe_poll`; anonymous
// visitors watch too), voting and changing or withdrawing the vote (REST; visitors too on a poll
// that allows anonymous votes: the server then knows them by an HttpOnly cookie), the share link
// with the code and Present (the presenter view, screens/present.ts), and the creator's
// close/reopen/delete and stats (votes by hour as a small SVG chart, voters, likes, views). A
// text poll shows its answer box, word cloud and moderation queue instead (screens/textpoll.ts).

import { api, ApiError } from "../api";
import { fill as fillEl, h, setText } from "../dom";
import { describe, type ErrorLike } from "../errors";
import { pollState, unwatch, watch, withResults, type PollState } from "../polls";
import { state, update, type Poll, type PollResults, type PollStats } from "../store";
import { icon } from "../icons";
import { announce, toast } from "../ui";
import { busyClick } from "./common";
import { drawRunoff, rankedBallot } from "./ranked";
import { textPanel } from "./textpoll";
import { plural, syncList, type Screen } from "./screen";

type Navigate = (path: string) => void;

const STATE_TEXT: Record<PollState, string> = {
  draft: "Draft",
  open: "Open",
  closed: "Closed",
  expired: "Expired",
};

const pct = (votes: number, total: number) => (total > 0 ? Math.round((votes / total) * 100) : 0);

function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

/** A poll's id, as opposed to its code (both name it in a path). */
export const isPollId = (ref: string): boolean => ref.length === 36;

/** `ref` is the poll's id or its code; a code is read once (`GET /api/polls/{code}`) and the
 * page then works with the id like any other. */
export function pollScreen(ref: string, navigate: Navigate): Screen {
  /** The poll's id: known at once from an id link, after the first read from a code link. */
  let id = isPollId(ref) ? ref : "";
  let poll: Poll | null = null;
  let gone: string | null = null;
  /** What the voter has ticked but not sent yet (null: show what they voted). */
  let picked: Set<string> | null = null;
  /** A vote is on its way: the button stays disabled whatever else redraws meanwhile. */
  let sending = false;
  let expiryTimer = 0;

  const eyebrow = h("p", { class: "eyebrow poll-meta" });
  const badge = h("span", { class: "poll-state" });
  const title = h("h1", { class: "poll-question" }, "Loading the poll…");
  const desc = h("p", { class: "lead poll-desc" });
  const list = h("ul", { class: "poll-options" });
  const legend = h("legend", { class: "hint" });
  const total = h("p", { class: "poll-total", "aria-live": "polite", "aria-atomic": "true" });
  const formError = h("p", { class: "form-error", role: "alert" });
  const voteBtn = h("button", { type: "submit", class: "btn btn-primary" }, "Vote");
  const withdrawBtn = h("button", { type: "button", class: "btn btn-quiet" }, "Withdraw my vote");
  const signInBtn = h("button", { type: "button", class: "btn btn-secondary" }, "Sign in to vote");
  signInBtn.addEventListener("click", () => update((s) => (s.pollSignIn = true)));
  const note = h("p", { class: "hint poll-note" });
  // A ranked poll: the voter's ranking instead of the option list, and the runoff below.
  const ballot = rankedBallot(() => {
    setText(formError, "");
    draw();
  });
  const runoffBox = h("div", { class: "runoff-box" });
  // A text poll: the answer box, the cloud and answers, and the creator's queue instead.
  const textBox = textPanel((p) => setPoll(p));

  // --- like: optimistic (the button and count change at once), then set from the server's
  // {likes, liked_by_me}; a second press during a request is sent after it (the last press
  // wins); the count also follows `poll_results` from everyone else's likes.
  const likeBtn = h(
    "button",
    { type: "button", class: "btn btn-quiet like-btn", "aria-pressed": "false" },
    icon("heart", "like-heart"),
    h("span", null, "Like"),
  );
  const likeCount = h("span", { class: "like-count", "aria-live": "polite", "aria-atomic": "true" });
  const likeBar = h("div", { class: "row like-bar" }, likeBtn, likeCount);
  /** The state the viewer asked for while it is not yet the server's (null: nothing pending). */
  let likeWant: boolean | null = null;
  let liking = false;
  likeBar.hidden = true;
  likeBtn.addEventListener("click", () => void like());

  async function like(): Promise<void> {
    if (!poll) return;
    if (!state.me) {
      update((s) => (s.pollSignIn = true));
      return;
    }
    likeWant = !(likeWant ?? poll.liked_by_me);
    draw();
    if (liking) return;
    liking = true;
    // Until the server has the last press (a reload before that would lose it).
    likeBtn.setAttribute("aria-busy", "true");
    try {
      while (poll && likeWant !== null && likeWant !== poll.liked_by_me) {
        const want: boolean = likeWant;
        const r: { likes: number; liked_by_me: boolean } = await api(want ? "PUT" : "DELETE", `/api/polls/${id}/like`);
        if (!poll) break;
        poll = { ...poll, likes: r.likes, liked_by_me: r.liked_by_me };
      }
      likeWant = null;
    } catch (e) {
      likeWant = null;
      toast(describe(err(e)));
    } finally {
      liking = false;
      likeBtn.removeAttribute("aria-busy");
      draw();
    }
  }

  const form = h(
    "form",
    { class: "stack poll-form", onsubmit: (e: Event) => void vote(e) },
    h("fieldset", { class: "poll-fieldset" }, legend, list, ballot.el),
    total,
    formError,
    h("div", { class: "row" }, voteBtn, withdrawBtn, signInBtn),
    note,
  );

  // --- share: the short link and its code (filled in once the poll is known), and Present.
  let link = "";
  const linkEl = h("a", { class: "share-link" });
  const codeEl = h("strong", { class: "share-code" });
  const copyBtn = h("button", { type: "button", class: "btn btn-secondary" }, "Copy link");
  copyBtn.addEventListener("click", async () => {
    if (!link) return;
    try {
      await navigator.clipboard.writeText(link);
      setText(copyBtn, "Copied!");
      setTimeout(() => setText(copyBtn, "Copy link"), 2000);
    } catch {
      // No clipboard access (an insecure origin, a refused permission): select it instead.
      const range = document.createRange();
      range.selectNodeContents(linkEl);
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
      toast("Copy the selected link to share it.", "info");
    }
  });
  const presentBtn = h(
    "a",
    { class: "btn btn-secondary present-btn", "data-link": true, title: "Show the poll and its live results on a projector" },
    "Present",
  );
  const share = h(
    "div",
    { class: "card poll-share" },
    h("h2", null, "Share this poll"),
    h("p", { class: "share-code-line" }, "Code ", codeEl),
    h("p", null, linkEl),
    h("div", { class: "row" }, copyBtn, presentBtn),
  );
  share.hidden = true;
  function drawShare(p: Poll): void {
    if (link) return;
    link = `${location.origin}/p/${p.code}`;
    linkEl.setAttribute("href", link);
    setText(linkEl, link);
    setText(codeEl, p.code);
    codeEl.setAttribute("aria-label", p.code.split("").join(" "));
    presentBtn.setAttribute("href", `/p/${p.code}/present`);
    share.hidden = false;
  }

  // --- creator ---
  const closeBtn = h("button", { type: "button", class: "btn btn-secondary" }, "Close voting");
  const reopenBtn = h("button", { type: "button", class: "btn btn-secondary" }, "Reopen voting");
  const deleteBtn = h("button", { type: "button", class: "btn btn-danger" }, "Delete poll");
  let armed = false;
  const creatorBar = h(
    "div",
    { class: "host-bar", role: "group", "aria-label": "Creator controls" },
    h("span", { class: "host-bar-label" }, "Yours"),
    closeBtn,
    reopenBtn,
    deleteBtn,
  );
  busyClick(closeBtn, () => change("POST", "close"));
  busyClick(reopenBtn, () => change("POST", "reopen"));
  busyClick(deleteBtn, async () => {
    // Two presses: a poll and its votes cannot come back.
    if (!armed) {
      armed = true;
      setText(deleteBtn, "Really delete?");
      setTimeout(() => {
        armed = false;
        setText(deleteBtn, "Delete poll");
      }, 5000);
      return;
    }
    try {
      await api("DELETE", `/api/polls/${id}`);
      unwatch();
      toast("Poll deleted.", "info");
      navigate("/");
    } catch (e) {
      toast(describe(err(e)));
    }
  });

  // --- stats (the creator's only): asked when the page shows, and again a second after the
  // counts change (one request per second at most, however many votes arrive meanwhile).
  const statsNums = h("dl", { class: "stats" });
  const chart = h("div", { class: "stats-chart" });
  const stats = h(
    "section",
    { class: "card poll-stats", "aria-labelledby": "poll-stats-h" },
    h("h2", { id: "poll-stats-h" }, "Stats"),
    statsNums,
    h("p", { class: "hint" }, "Votes by hour, the 24 hours up to the latest vote"),
    chart,
  );
  stats.hidden = true;
  let statsTimer = 0;
  function loadStats(delay: number): void {
    if (statsTimer) return;
    statsTimer = window.setTimeout(async () => {
      statsTimer = 0;
      if (!el.isConnected && delay) return;
      try {
        drawStats(await api<PollStats>("GET", `/api/polls/${id}/stats`));
      } catch (e) {
        fillEl(chart, h("p", { class: "form-error" }, describe(err(e))));
      }
    }, delay);
  }
  function drawStats(st: PollStats): void {
    const at = (iso: string | null) => (iso ? when(iso) : "–");
    fillEl(
      statsNums,
      ...(
        [
          ["Voters", st.voters],
          ["Likes", st.likes],
          ["Views", st.views],
          ["First vote", at(st.first_vote_at ?? null)],
          ["Last vote", at(st.last_vote_at ?? null)],
        ] as const
      ).map(([k, v]) => h("div", { class: "stat" }, h("dt", null, k), h("dd", null, v))),
    );
    fillEl(chart, hourChart(st.votes_by_hour));
  }

  const body = h("div", { class: "stack" }, form, textBox.el, runoffBox, creatorBar, stats, share);
  const el = h("section", { class: "screen screen-narrow poll-page" }, eyebrow, title, desc, likeBar, body);

  const err = (e: unknown): ErrorLike => (e instanceof ApiError ? e : { code: "network" });

  async function change(method: string, action: string): Promise<void> {
    try {
      const r = await api<{ poll: Poll }>(method, `/api/polls/${id}/${action}`);
      setPoll(r.poll);
    } catch (e) {
      toast(describe(err(e)));
    }
  }

  function setPoll(p: Poll, broadcast = false): void {
    // Broadcasts (poll_updated) say nothing of this viewer's own choice: keep the one we know.
    const mine = broadcast ? (poll?.my_votes ?? []) : (p.my_votes ?? []);
    const liked = broadcast ? (poll?.liked_by_me ?? false) : !!p.liked_by_me;
    const myAnswers = broadcast ? (poll?.text?.my_answers ?? []) : (p.text?.my_answers ?? []);
    const text = p.text ? { ...p.text, my_answers: myAnswers } : p.text;
    poll = { ...p, my_votes: mine, liked_by_me: liked, text };
    draw();
  }

  function failed(e: ErrorLike): void {
    if (poll) return; // a refused re-subscription: the page still shows what it had
    gone = e.code === "poll_not_found" || e.code === "not_found" ? "There's no poll here (any more)." : describe(e);
    draw();
  }

  async function vote(e: Event): Promise<void> {
    e.preventDefault();
    if (!poll || sending || voteBtn.disabled) return;
    const ids =
      poll.kind === "ranked"
        ? ballot.order()
        : Array.from(list.querySelectorAll<HTMLInputElement>("input:checked")).map((i) => i.value);
    if (ids.length === 0) {
      setText(formError, poll.max_choices > 1 ? "Choose at least one option." : "Choose an option.");
      return;
    }
    setText(formError, "");
    sending = true;
    voteBtn.disabled = true;
    try {
      const r = await api<{ poll: Poll }>("PUT", `/api/polls/${id}/vote`, { option_ids: ids });
      picked = null;
      ballot.reset();
      setPoll(r.poll);
      announce(poll?.kind === "ranked" ? "Your ranking is in." : "Your vote is in.");
    } catch (e) {
      setText(formError, describe(err(e)));
    } finally {
      sending = false;
      draw();
    }
  }

  busyClick(withdrawBtn, async () => {
    try {
      const r = await api<{ poll: Poll }>("DELETE", `/api/polls/${id}/vote`);
      picked = null;
      ballot.reset();
      setPoll(r.poll);
      announce("Your vote was withdrawn.");
    } catch (e) {
      setText(formError, describe(err(e)));
    }
  });

  function onPick(): void {
    if (!poll) return;
    picked = new Set(
      Array.from(list.querySelectorAll<HTMLInputElement>("input:checked")).map((i) => i.value),
    );
    setText(formError, "");
    draw();
  }

  function draw(): void {
    if (gone) {
      setText(title, gone);
      desc.hidden = true;
      eyebrow.hidden = true;
      likeBar.hidden = true;
      body.replaceChildren(h("p", null, h("a", { href: "/", "data-link": true, class: "btn btn-secondary" }, "Home")));
      return;
    }
    const p = poll;
    if (!p) return;
    drawShare(p);
    const st = pollState(p);
    const canVote = st === "open" && (!!state.me || p.allow_anonymous);
    const multi = p.max_choices > 1;
    const mine = new Set(p.my_votes);
    const chosen = picked ?? mine;

    setText(title, p.question);
    setText(desc, p.description);
    desc.hidden = !p.description;
    setText(badge, STATE_TEXT[st]);
    badge.dataset.state = st;
    const rest = [p.category?.name, p.is_public ? null : "unlisted"].filter(Boolean).join(" · ");
    const meta = `${p.creator.id} ${p.creator.display_name} ${rest}`;
    if (eyebrow.dataset.meta !== meta) {
      eyebrow.dataset.meta = meta;
      fillEl(
        eyebrow,
        badge,
        h("span", null, "by ", h("a", { href: `/u/${p.creator.id}`, "data-link": true }, p.creator.display_name)),
        rest ? h("span", null, rest) : null,
      );
    }
    const isText = p.kind === "text";
    textBox.el.hidden = !isText;
    if (isText) textBox.draw(p, canVote, !!state.me && state.me.id === p.creator.id);
    const ranked = p.kind === "ranked";
    list.hidden = ranked;
    ballot.el.hidden = !ranked || !canVote;
    runoffBox.hidden = !ranked;
    if (ranked) {
      ballot.set([...p.options].sort((a, b) => a.position - b.position), p.my_votes, canVote);
      drawRunoff(runoffBox, p);
    }
    setText(
      legend,
      ranked
        ? canVote
          ? "Rank the options"
          : "Results"
        : st !== "open"
        ? "Results"
        : multi
          ? `Choose up to ${p.max_choices}`
          : "Choose one",
    );

    const options = [...p.options].sort((a, b) => a.position - b.position);
    const full = multi && chosen.size >= p.max_choices;
    syncList(
      list,
      options,
      (o) => o.id,
      (o) => {
        const input = h("input", {
          type: multi ? "checkbox" : "radio",
          name: "option",
          value: o.id,
          onchange: onPick,
        });
        const fill = h("span", { class: "poll-bar-fill" });
        return h(
          "li",
          { class: "poll-option" },
          h("label", { class: "poll-label" }, input, h("span", { class: "poll-text" }, o.text)),
          h("span", { class: "poll-count" }),
          h("span", { class: "poll-bar", "aria-hidden": "true" }, fill),
        );
      },
      (li, o) => {
        const input = li.querySelector("input") as HTMLInputElement;
        const wantType = multi ? "checkbox" : "radio";
        if (input.type !== wantType) input.type = wantType;
        input.checked = chosen.has(o.id);
        input.disabled = !canVote || (full && !input.checked);
        setText(li.querySelector(".poll-text") as HTMLElement, o.text);
        const share = pct(o.votes, p.total_votes);
        setText(li.querySelector(".poll-count") as HTMLElement, `${plural(o.votes, "vote")} · ${share}%`);
        (li.querySelector(".poll-bar-fill") as HTMLElement).style.width = `${share}%`;
        li.classList.toggle("mine", mine.has(o.id));
        li.dataset.votes = String(o.votes);
      },
    );
    setText(total, `${plural(p.total_votes, "vote")} from ${plural(p.voters, "voter")}`);

    // Shown: what the viewer asked for, and the server's count moved by the pending change.
    likeBar.hidden = false;
    const liked = likeWant ?? p.liked_by_me;
    const likes = Math.max(0, p.likes + (likeWant === null ? 0 : Number(likeWant) - Number(p.liked_by_me)));
    likeBtn.setAttribute("aria-pressed", String(liked));
    likeBtn.title = state.me ? "" : "Sign in to like this poll";
    setText(likeCount, plural(likes, "like"));

    const voted = mine.size > 0;
    voteBtn.hidden = !canVote;
    setText(voteBtn, ranked ? (voted ? "Change my ranking" : "Send my ranking") : voted ? "Change my vote" : "Vote");
    // Changing to the very same choice would change nothing: offered once the ticks differ.
    const same = chosen.size === mine.size && [...chosen].every((o) => mine.has(o));
    voteBtn.disabled = sending || (voted && (ranked ? !ballot.moved() : same));
    withdrawBtn.hidden = !canVote || !voted;
    signInBtn.hidden = canVote || st !== "open";
    setText(signInBtn, isText ? "Sign in to answer" : "Sign in to vote");
    if (isText) {
      // Of the vote form, only the sign-in offer and the note apply to a text poll.
      for (const part of [legend.parentElement as HTMLElement, total, voteBtn, withdrawBtn]) part.hidden = true;
    }
    setText(
      note,
      st === "closed"
        ? "Voting is closed."
        : st === "expired"
          ? `Voting ended ${p.expires_at ? when(p.expires_at) : ""}.`
          : st === "draft"
            ? "This poll is a draft: only you can see it."
            : [
                p.expires_at ? `Voting closes ${when(p.expires_at)}.` : "",
                state.me || !p.allow_anonymous ? "" : isText ? "You can answer without an account." : "You can vote without an account.",
              ].join(" ").trim(),
    );
    note.hidden = !note.textContent;

    const creator = !!state.me && state.me.id === p.creator.id;
    creatorBar.hidden = !creator;
    if (creator && stats.hidden) loadStats(0);
    stats.hidden = !creator;
    closeBtn.hidden = st !== "open";
    reopenBtn.hidden = st !== "closed";

    // Redraw at the expiry itself (the server's poll_updated follows when its timer runs).
    clearTimeout(expiryTimer);
    const left = p.expires_at ? Date.parse(p.expires_at) - Date.now() : NaN;
    if (st === "open" && left > 0 && left < 2 ** 31 - 1) expiryTimer = window.setTimeout(draw, left + 50);
  }

  const watcher = {
    poll: (p: Poll, broadcast: boolean) => {
      // Subscribed: from now on the counts change live (the browser tests wait for this).
      if (!broadcast) el.dataset.live = "true";
      if (!gone) setPoll(p, broadcast);
    },
    results: (r: PollResults) => {
      if (!poll) return;
      poll = withResults(poll, r);
      if (!stats.hidden) loadStats(1000);
      draw();
    },
    deleted: () => {
      gone = "This poll was deleted by its creator.";
      poll = null;
      announce(gone);
      draw();
    },
    failed,
    answer: (a: Parameters<typeof textBox.answer>[0]) => textBox.answer(a),
  };
  if (id) watch(id, watcher);
  // The REST read answers a missing poll at once (the socket may still be connecting), and
  // turns a code into the id to watch.
  api<{ poll: Poll }>("GET", `/api/polls/${ref}`).then(
    (r) => {
      if (!id && el.isConnected) {
        id = r.poll.id;
        watch(id, watcher);
      }
      if (!poll && !gone) setPoll(r.poll);
    },
    (e) => failed(err(e)),
  );

  return { el, title: "Poll", update: draw };
}

const SVG = "http://www.w3.org/2000/svg";
const HOUR = 36e5;

/** Votes by hour as bars: always the 24 hours up to the latest vote (so a bar's width means the
 * same on every poll), quiet hours as gaps. The numbers are in the chart's label (and each
 * bar's title) for screen readers. */
function hourChart(rows: PollStats["votes_by_hour"]): Element {
  if (rows.length === 0) return h("p", { class: "hint" }, "No votes yet.");
  const by = new Map(rows.map((r) => [Math.floor(Date.parse(r.hour) / HOUR), r.votes]));
  const last = Math.max(...by.keys());
  const hours = Array.from({ length: 24 }, (_, i) => last - 23 + i);
  const top = Math.max(1, ...hours.map((x) => by.get(x) ?? 0));
  const time = (x: number) => new Date(x * HOUR).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const label = (x: number) => `${time(x)}: ${plural(by.get(x) ?? 0, "vote")}`;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${hours.length * 10} 40`);
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `Votes by hour. ${hours.filter((x) => by.has(x)).map(label).join("; ")}`);
  hours.forEach((x, i) => {
    // A faint slot for every hour, and the bar in it.
    for (const [cls, height] of [["slot", 40], ["bar", ((by.get(x) ?? 0) / top) * 38]] as const) {
      const r = document.createElementNS(SVG, "rect");
      r.setAttribute("class", cls);
      for (const [k, val] of [["x", i * 10 + 1], ["y", 40 - height], ["width", 8], ["height", height]] as const) {
        r.setAttribute(k, String(val));
      }
      svg.append(r);
    }
    const t = document.createElementNS(SVG, "title");
    t.textContent = label(x);
    svg.lastChild?.appendChild(t);
  });
  return h("div", null, svg, h("p", { class: "hint row between", "aria-hidden": "true" }, h("span", null, time(hours[0])), h("span", null, time(last))));
}
