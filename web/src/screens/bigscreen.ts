// The big screen at `/screen/CODE#KEY`: a room shown on a TV or projector for everyone in it
// (contract v3, "The screen"). It signs nobody in: its socket shows the host's screen key
// (`auth: {screen: "CODE:KEY"}`; the key rides in the fragment, so it never reaches a server
// log), holds no seat and may not play. It has its own state and drawing, apart from the
// phone screens: one view per phase, sized in viewport units so that it fits 1920×1080 and
// 1280×720 alike without scrolling.
//
// Phases: the lobby (the code, the join address and its QR code, players arriving), answering
// (the question, the countdown, who has answered: names with ticks, never answers), voting (the
// answers in a grid), the reveal (results one at a time with their votes and, where the room
// hides votes, their voters; then the leaderboard), and the podium.

import { io, type Socket } from "socket.io-client";
import { api, API_ORIGIN } from "../api";
import { h, setText, type Child } from "../dom";
import { qrSvg } from "../qr";
import { secondsLeft } from "../ui";
import { rankMarks } from "./reveal";

interface Person {
  user_id: string;
  display_name: string;
  is_host?: boolean;
  connected?: boolean;
}

interface Round {
  id: string;
  round_number: number;
  question: string;
  status: "answering" | "voting" | "finished";
  deadline: string | null;
}

interface Voter {
  user_id: string;
  display_name: string;
}

interface Result {
  answer_id: string;
  content: string;
  author_id: string;
  display_name: string;
  votes: number;
  voters?: Voter[];
}

interface Entry {
  user_id: string;
  display_name: string;
  score: number;
  rank: number;
}

interface RoomPayload {
  code: string;
  host_id: string;
  status: "lobby" | "playing" | "finished";
  settings: { max_rounds: number; hide_votes?: boolean; host_plays?: boolean };
  participants: Person[];
  current_round: Round | null;
}

interface RoomStatePayload {
  room: RoomPayload;
  round: Round | null;
  answered?: string[];
  answers: Array<{
    id: string;
    content: string;
    votes?: number;
    author_id?: string;
    display_name?: string;
    voters?: Voter[];
  }>;
  leaderboard: Entry[];
}

interface RoundPayload {
  round_id: string;
  round_number: number;
  question: string;
  deadline: string;
}

/** What the screen knows of its room. */
interface View {
  room: RoomPayload | null;
  round: Round | null;
  answered: Set<string>;
  cards: Array<{ id: string; content: string }>;
  counts: Map<string, number>;
  voted: { voted: number; total: number } | null;
  results: Result[];
  leaderboard: Entry[];
  /** Scores before the round that just ended, for the reveal's "+n". */
  before: Map<string, number>;
  final: Entry[] | null;
  /** Why nothing can be shown (a refused or revoked link). */
  problem: string | null;
  online: boolean;
}

const view: View = {
  room: null,
  round: null,
  answered: new Set(),
  cards: [],
  counts: new Map(),
  voted: null,
  results: [],
  leaderboard: [],
  before: new Map(),
  final: null,
  problem: null,
  online: false,
};

/** The screen route: `/screen/CODE`, its key in the fragment. */
export function screenCode(path: string): string | null {
  const m = /^\/screen\/([A-Za-z0-9]{4,12})\/?$/.exec(path);
  return m ? m[1].toUpperCase() : null;
}

/** The join link for a room: what the QR code holds. */
export const joinLink = (code: string): string => `${location.origin}/r/${code}`;


let root: HTMLElement;
let drawn = "";

/** Takes over the page for the screen of room `code`. */
export function startBigScreen(main: HTMLElement, code: string): void {
  document.body.classList.add("is-bigscreen");
  document.title = `Room ${code} · Voting Game`;
  root = main;
  const key = decodeURIComponent(location.hash.replace(/^#/, ""));
  // The key stays in this page only: out of the address bar (and so out of a shared screenshot).
  history.replaceState(null, "", location.pathname);
  if (!key) {
    view.problem = "This screen link has no key. Open it again from the lobby's Present button.";
    draw();
    return;
  }
  setInterval(tick, 250);
  connect(code, key);
  draw();
}

function connect(code: string, key: string): void {
  // No cookie: the screen is nobody; its key is its only credential.
  const s: Socket = io(API_ORIGIN, { auth: { screen: `${code}:${key}` }, withCredentials: false });
  s.on("connect", () => {
    view.online = true;
    draw();
  });
  s.on("disconnect", () => {
    view.online = false;
    draw();
  });
  s.on("connect_error", (err) => {
    if (!s.active) {
      view.problem = /screen link/i.test(err.message)
        ? "This screen link is not valid any more. The host can make a new one with Present."
        : `The server refused this screen: ${err.message}`;
      draw();
    }
  });
  s.on("session_ended", () => {
    view.problem = "The host closed this screen link. They can make a new one with Present.";
    s.disconnect();
    draw();
  });
  s.on("room_state", (p: RoomStatePayload) => {
    view.room = p.room;
    view.round = p.round;
    view.answered = new Set(p.answered ?? []);
    view.cards = p.round?.status === "voting" ? p.answers.map((a) => ({ id: a.id, content: a.content })) : [];
    view.counts = new Map(p.answers.filter((a) => a.votes !== undefined).map((a) => [a.id, a.votes ?? 0]));
    view.voted = null;
    view.results =
      p.round?.status === "finished"
        ? p.answers.map((a) => ({
            answer_id: a.id,
            content: a.content,
            author_id: a.author_id ?? "",
            display_name: a.display_name ?? "",
            votes: a.votes ?? 0,
            voters: a.voters,
          }))
        : [];
    view.leaderboard = p.leaderboard;
    view.before = new Map();
    view.final = p.room.status === "finished" ? p.leaderboard : null;
    draw();
  });
  const on = <T>(event: string, fn: (p: T, r: RoomPayload) => void) =>
    s.on(event, (p: T) => {
      if (!view.room) return;
      fn(p, view.room);
      draw();
    });
  on<Person>("player_joined", (p, r) => {
    const known = r.participants.find((x) => x.user_id === p.user_id);
    if (known) known.connected = true;
    else r.participants.push({ user_id: p.user_id, display_name: p.display_name, connected: true });
  });
  on<{ user_id: string; host_id: string }>("player_left", (p, r) => {
    r.participants = r.participants.filter((x) => x.user_id !== p.user_id);
    r.host_id = p.host_id;
  });
  on<{ user_id: string }>("player_disconnected", (p, r) => {
    const x = r.participants.find((q) => q.user_id === p.user_id);
    if (x) x.connected = false;
  });
  on<{ user_id: string }>("player_reconnected", (p, r) => {
    const x = r.participants.find((q) => q.user_id === p.user_id);
    if (x) x.connected = true;
  });
  on<{ host_id: string }>("host_changed", (p, r) => (r.host_id = p.host_id));
  const newRound = (p: RoundPayload, r: RoomPayload) => {
    r.status = "playing";
    view.round = {
      id: p.round_id,
      round_number: p.round_number,
      question: p.question,
      status: "answering",
      deadline: p.deadline,
    };
    view.answered = new Set();
    view.cards = [];
    view.counts = new Map();
    view.voted = null;
    view.results = [];
    view.final = null;
  };
  on<RoundPayload>("game_started", newRound);
  on<RoundPayload>("round_started", newRound);
  on<{ settings: RoomPayload["settings"]; leaderboard: Entry[] }>("game_reset", (p, r) => {
    r.settings = p.settings;
    view.leaderboard = p.leaderboard;
    view.final = null;
  });
  on<{ user_id?: string }>("answer_submitted", (p) => {
    if (p.user_id) view.answered.add(p.user_id);
  });
  on<{ round_id: string; answers: Array<{ id: string; content: string }>; deadline: string }>(
    "voting_started",
    (p) => {
      if (view.round?.id !== p.round_id) return;
      view.round = { ...view.round, status: "voting", deadline: p.deadline };
      view.cards = p.answers;
    },
  );
  on<{ answer_id: string; vote_count: number }>("vote_update", (p) =>
    view.counts.set(p.answer_id, Math.max(view.counts.get(p.answer_id) ?? 0, p.vote_count)),
  );
  on<{ round_id: string; voted: number; total: number }>("votes_cast", (p) => {
    if (view.round?.id === p.round_id) view.voted = { voted: p.voted, total: p.total };
  });
  on<{ round_id: string; results: Result[]; leaderboard: Entry[] }>("round_ended", (p) => {
    if (view.round?.id !== p.round_id) return;
    view.round = { ...view.round, status: "finished", deadline: null };
    view.before = new Map(view.leaderboard.map((e) => [e.user_id, e.score]));
    view.results = p.results;
    view.leaderboard = p.leaderboard;
  });
  on<{ final_leaderboard: Entry[] }>("game_ended", (p, r) => {
    r.status = "finished";
    view.final = p.final_leaderboard;
    view.leaderboard = p.final_leaderboard;
  });
}

/** Countdowns between events. */
function tick(): void {
  for (const el of root.querySelectorAll<HTMLElement>("[data-deadline]")) {
    setText(el, String(secondsLeft(el.dataset.deadline ?? null)));
  }
}

// --- drawing ---------------------------------------------------------------------------------

const players = (r: RoomPayload): Person[] =>
  r.participants.filter((p) => r.settings.host_plays !== false || p.user_id !== r.host_id);

function phase(): string {
  const r = view.room;
  if (view.problem) return "problem";
  if (!r) return "connecting";
  if (r.status === "finished" || view.final) return "podium";
  if (r.status === "lobby" || !view.round) return "lobby";
  return view.round.status;
}

/** Redraws when what is shown changed (so the reveal's animation never plays twice). */
function draw(): void {
  const p = phase();
  const model = JSON.stringify([
    p,
    view.room,
    view.round,
    [...view.answered],
    view.cards,
    [...view.counts],
    view.voted,
    view.results,
    view.leaderboard,
    view.final,
    view.problem,
  ]);
  root.dataset.online = String(view.online);
  if (model === drawn) return;
  drawn = model;
  const r = view.room;
  let body: HTMLElement;
  if (p === "problem") body = message(view.problem ?? "");
  else if (!r) body = message("Connecting to the room…");
  else if (p === "podium") body = podium(r);
  else if (p === "lobby") body = lobby(r);
  else if (p === "answering") body = answering(r);
  else if (p === "voting") body = voting(r);
  else body = reveal(r);
  root.replaceChildren(h("section", { class: "bs", "data-phase": p }, body));
  tick();
  if (p === "finished") countUp(view.results.length);
}

/** The leaderboard's scores count up from the last round's when the gains pop (the reveal's
 * last beat, `n` answers in), unless the viewer asked for less motion. */
function countUp(n: number): void {
  if (matchMedia("(prefers-reduced-motion: reduce)").matches) return;
  const scores = [...root.querySelectorAll<HTMLElement>(".bs-score[data-from]")].map((el) => ({
    el,
    from: Number(el.dataset.from),
    to: Number(el.textContent),
  }));
  const moving = scores.filter((s) => s.from < s.to);
  for (const s of moving) s.el.textContent = String(s.from);
  const start = performance.now() + (n * 1.2 + 2) * 1000;
  const step = (now: number) => {
    const t = Math.min(1, Math.max(0, (now - start) / 900));
    for (const s of moving) s.el.textContent = String(Math.round(s.from + (s.to - s.from) * t));
    if (t < 1) requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
}

const message = (text: string) =>
  h("div", { class: "bs-message" }, h("p", { class: "bs-brand" }, "Voting Game"), h("p", null, text));

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function header(r: RoomPayload, ...right: Child[]): HTMLElement {
  const round = view.round;
  return h(
    "header",
    { class: "bs-top" },
    h(
      "p",
      { class: "bs-round" },
      round ? `Round ${round.round_number} of ${r.settings.max_rounds}` : "Voting Game",
    ),
    h(
      "p",
      { class: "bs-joinline" },
      "Join at ",
      h("strong", null, `${location.host}/r/${r.code}`),
    ),
    ...right,
  );
}

const countdown = (deadline: string | null) =>
  deadline
    ? h("p", { class: "bs-countdown", "data-deadline": deadline, "aria-label": "Seconds left" }, "")
    : null;

function lobby(r: RoomPayload): HTMLElement {
  const link = joinLink(r.code);
  const ps = players(r);
  return h(
    "div",
    { class: "bs-lobby" },
    h(
      "div",
      { class: "bs-lobby-main" },
      h("p", { class: "bs-brand" }, "Voting Game"),
      h("p", { class: "bs-label" }, "Join on your phone at"),
      h("p", { class: "bs-address" }, `${location.host}/r/`, h("span", null, r.code)),
      h("p", { class: "bs-label" }, "Room code"),
      h("p", { class: "bs-code", "aria-label": `Room code ${r.code.split("").join(" ")}` }, r.code),
      h(
        "p",
        { class: "bs-status", role: "status" },
        ps.length ? `${count(ps.length, "player")} in, waiting for the host to start` : "Waiting for players…",
      ),
      h(
        "ul",
        { class: "bs-people", "aria-label": "Players" },
        ps.map((p) => h("li", { class: "bs-person", "data-connected": String(p.connected !== false) }, p.display_name)),
      ),
    ),
    h(
      "figure",
      { class: "bs-qr" },
      h("div", { class: "bs-qr-code", "data-qr": link }, qrSvg(link, `QR code of the join link ${link}`)),
      h("figcaption", null, "Scan to join"),
    ),
  );
}

function answering(r: RoomPayload): HTMLElement {
  const round = view.round as Round;
  const ps = players(r);
  const done = ps.filter((p) => view.answered.has(p.user_id)).length;
  return h(
    "div",
    { class: "bs-stack" },
    header(r, countdown(round.deadline)),
    h("h1", { class: "bs-question" }, round.question),
    h("p", { class: "bs-status", role: "status" }, `${done} of ${ps.length} answered`),
    h(
      "ul",
      { class: "bs-people bs-ticks", "aria-label": "Who has answered" },
      ps.map((p) => {
        const yes = view.answered.has(p.user_id);
        return h(
          "li",
          { class: "bs-person", "data-answered": String(yes) },
          h("span", { class: "bs-tick", "aria-hidden": "true" }, yes ? "✓" : "…"),
          p.display_name,
          h("span", { class: "sr-only" }, yes ? " has answered" : " is writing"),
        );
      }),
    ),
  );
}

function voting(r: RoomPayload): HTMLElement {
  const round = view.round as Round;
  const n = view.cards.length;
  const cols = n <= 2 ? n || 1 : n <= 4 ? 2 : n <= 9 ? 3 : 4;
  const votes = [...view.counts.values()].reduce((a, b) => a + b, 0);
  const status = view.voted
    ? `${view.voted.voted} of ${view.voted.total} voted`
    : r.settings.hide_votes
      ? "Vote on your phone"
      : `${count(votes, "vote")} so far`;
  return h(
    "div",
    { class: "bs-stack" },
    header(r, countdown(round.deadline)),
    h("h1", { class: "bs-question bs-question-small" }, round.question),
    n
      ? h(
          "ol",
          { class: "bs-answers", style: `--cols:${cols};--rows:${Math.ceil(n / cols)}`, "data-count": String(n) },
          view.cards.map((c) => h("li", { class: "bs-answer" }, c.content)),
        )
      : h("p", { class: "bs-status" }, "Nobody answered this round."),
    h("p", { class: "bs-status", role: "status" }, status),
  );
}

function reveal(r: RoomPayload): HTMLElement {
  const results = [...view.results].sort((a, b) => b.votes - a.votes);
  const n = results.length;
  const last = view.round && view.round.round_number >= r.settings.max_rounds;
  return h(
    "div",
    { class: "bs-stack" },
    header(r),
    h("h1", { class: "bs-question bs-question-small" }, view.round?.question ?? ""),
    h(
      "div",
      { class: "bs-reveal" },
      h(
        "ol",
        { class: "bs-results", style: `--n:${Math.max(n, 1)}` },
        results.map((x, i) =>
          h(
            "li",
            { class: "bs-result", style: `--i:${n - 1 - i}` },
            h("p", { class: "bs-result-text" }, x.content),
            h(
              "p",
              { class: "bs-result-meta" },
              h("span", { class: "bs-votes" }, count(x.votes, "vote")),
              h("span", { class: "bs-author" }, `by ${x.display_name}`),
            ),
            x.voters?.length
              ? h("p", { class: "bs-voters" }, "Voted by ", x.voters.map((v) => v.display_name).sort((a, b) => a.localeCompare(b)).join(", "))
              : null,
          ),
        ),
      ),
      h(
        "section",
        { class: "bs-board", style: `--after:${n}`, "aria-label": "Leaderboard" },
        h("h2", null, "Leaderboard"),
        h(
          "ol",
          null,
          view.leaderboard.slice(0, 8).map((e) => {
            const gain = e.score - (view.before.get(e.user_id) ?? 0);
            const rank = rankMarks(view.leaderboard)(e);
            return h(
              "li",
              null,
              h("span", { class: "bs-rank", "aria-label": rank.label }, rank.text),
              h("span", { class: "bs-name" }, e.display_name),
              gain > 0 ? h("span", { class: "bs-gain" }, `+${gain}`) : null,
              h("span", { class: "bs-score", "data-from": String(e.score - gain), "aria-label": `${e.score} points` }, String(e.score)),
            );
          }),
        ),
      ),
    ),
    h("p", { class: "bs-status" }, last ? "Final results next" : "Next round soon"),
  );
}

function podium(r: RoomPayload): HTMLElement {
  const final = view.final ?? view.leaderboard;
  const top = final.filter((e) => e.rank <= 3);
  const rest = final.filter((e) => e.rank > 3).slice(0, 6);
  // Ties read as on the phones' podium and leaderboard: "=2".
  const mark = rankMarks(final);
  const winners = final.filter((e) => e.rank === 1).map((e) => e.display_name);
  return h(
    "div",
    { class: "bs-stack" },
    header(r),
    h("h1", { class: "bs-title" }, winners.length ? `${winners.join(" and ")} ${winners.length > 1 ? "win" : "wins"}!` : "Game over"),
    h(
      "ol",
      { class: "bs-podium", "aria-label": "Podium" },
      top.map((e) =>
        h(
          "li",
          { class: `bs-step bs-step-${e.rank}` },
          h("span", { class: "bs-name" }, e.display_name),
          h("span", { class: "bs-score" }, count(e.score, "point")),
          h("span", { class: "bs-place", "aria-label": mark(e).label }, mark(e).text),
        ),
      ),
    ),
    rest.length
      ? h(
          "ol",
          { class: "bs-rest" },
          rest.map((e) => h("li", null, `${mark(e).text}. ${e.display_name} · ${count(e.score, "point")}`)),
        )
      : null,
  );
}

/** The lobby's "Present" (the host's): makes the room's screen link and opens the screen in a
 * new tab (on a TV's browser, or cast). The tab is opened before the request, so a popup
 * blocker lets it through; a new link replaces the room's last one. */
export async function present(code: string): Promise<void> {
  const tab = window.open("", "_blank");
  try {
    const { path } = await api<{ path: string }>("POST", `/api/rooms/${code}/screen`);
    if (tab) tab.location.href = path;
    else location.assign(path);
  } catch (e) {
    tab?.close();
    throw e;
  }
}
