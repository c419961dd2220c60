// Polls over the page's one socket (contract v2): the poll page watches one poll at a time with
// `subscribe_poll`, sent again after every (re)connect, and gets its `poll_results`,
// `poll_updated` and `poll_deleted`. Anonymous visitors get an anonymous socket for this (the
// server lets it use the poll events only); signing in replaces it (see game.connect). The
// browse page also follows the feed of new public polls (`subscribe_feed`, `poll_created`),
// likewise sent again after every (re)connect. A text poll's creator also gets each answer as
// it comes in or is moderated (`poll_answer`), for the moderation queue.

import type { Socket } from "socket.io-client";
import { api } from "./api";
import type { ErrorLike } from "./errors";
import { emit, ensureSocket, onSocket } from "./game";
import type { Category, Poll, PollResults, PollSummary } from "./store";
import type * as wire from "./wire";

export interface Watcher {
  /** The whole poll: the subscription's answer, or (`broadcast`) `poll_updated` after a change,
   * which says nothing of this viewer's own votes. */
  poll(p: Poll, broadcast: boolean): void;
  results(r: PollResults): void;
  deleted(): void;
  failed(e: ErrorLike): void;
  /** A text poll's answer came in or was moderated (`poll_answer`: its creator's sockets). */
  answer?(a: wire.QueuedAnswer): void;
}

let watching: { id: string; w: Watcher } | null = null;
/** Who wants new public polls (the browse page), null when no one does. */
let feed: ((p: PollSummary | null) => void) | null = null;
let hooked = false;

function hook(s: Socket): void {
  s.on("connect", () => {
    if (watching) void subscribe(watching.id);
    if (feed) void subscribeFeed();
  });
  s.on("poll_created", (m: { poll?: PollSummary }) => {
    if (feed && m?.poll?.id) feed(m.poll);
  });
  s.on("poll_results", (r: PollResults) => {
    if (watching && r?.poll_id === watching.id) watching.w.results(r);
  });
  s.on("poll_updated", (m: { poll?: Poll }) => {
    if (watching && m?.poll?.id === watching.id) watching.w.poll(m.poll, true);
  });
  s.on("poll_answer", (m: Partial<wire.PollAnswer>) => {
    if (watching && m?.answer && m.answer.poll_id === watching.id) watching.w.answer?.(m.answer);
  });
  s.on("poll_deleted", (m: Partial<wire.PollDeleted>) => {
    if (watching && m?.poll_id === watching.id) watching.w.deleted();
  });
}

async function subscribe(id: string): Promise<void> {
  const r = await emit<{ poll: Poll }>("subscribe_poll", { poll_id: id });
  if (watching?.id !== id) return;
  if (r.ok) watching.w.poll(r.data.poll, false);
  else watching.w.failed(r.error);
}

function hookOnce(): boolean {
  if (!hooked) {
    hooked = true;
    onSocket(hook);
  }
  return ensureSocket().connected;
}

/** Watches poll `id` (and stops watching any other). */
export function watch(id: string, w: Watcher): void {
  if (watching && watching.id !== id) unwatch();
  watching = { id, w };
  if (hookOnce()) void subscribe(id);
}

/** The ack's recent polls go through `feed` too, oldest first (a receiver that prepends ends
 * newest first): after a reconnect they bring the polls created while the socket was down. */
async function subscribeFeed(): Promise<void> {
  const r = await emit<{ polls: PollSummary[] }>("subscribe_feed", {});
  if (r.ok && feed) {
    for (const p of [...(r.data.polls ?? [])].reverse()) feed(p);
    feed(null);
  }
}

/** Calls `f` with every new public poll (and the recent ones, see subscribeFeed), and with
 * null once subscribed, until unwatchFeed; one receiver at a time. */
export function watchFeed(f: (p: PollSummary | null) => void): void {
  const had = !!feed;
  feed = f;
  if (hookOnce() && !had) void subscribeFeed();
}

export function unwatchFeed(): void {
  if (!feed) return;
  feed = null;
  void emit("unsubscribe_feed", {});
}

export function unwatch(): void {
  if (!watching) return;
  const id = watching.id;
  watching = null;
  void emit("unsubscribe_poll", { poll_id: id });
}

let categories: Promise<Category[]> | null = null;

/** The categories (`GET /api/categories`), asked once per page load. */
export function loadCategories(): Promise<Category[]> {
  categories ??= api<{ categories: Category[] }>("GET", "/api/categories").then(
    (r) => r.categories,
    (e) => {
      categories = null;
      throw e;
    },
  );
  return categories;
}

export type PollState = "draft" | "open" | "closed" | "expired";

/** What a reader should be told: an open poll past its expiry is closed (the server refuses
 * votes from that moment, even before its closing timer has run). */
export function pollState(
  p: Pick<Poll, "status" | "expires_at" | "closed_at">,
  now = Date.now(),
): PollState {
  if (p.status === "draft") return "draft";
  const expires = p.expires_at ? Date.parse(p.expires_at) : NaN;
  if (!Number.isNaN(expires) && expires <= now) {
    const closed = p.closed_at ? Date.parse(p.closed_at) : NaN;
    // Closed by its creator before it would have expired: "closed" says why.
    if (p.status === "closed" && !Number.isNaN(closed) && closed < expires) return "closed";
    return "expired";
  }
  return p.status;
}

/** `p` with the counts of a `poll_results` (the page and the presenter view follow them). */
export function withResults(p: Poll, r: PollResults): Poll {
  const votes = new Map(r.options.map((o) => [o.id, o.votes]));
  return {
    ...p,
    total_votes: r.total_votes,
    voters: r.voters,
    likes: typeof r.likes === "number" ? r.likes : p.likes,
    options: p.options.map((o) => ({ ...o, votes: votes.get(o.id) ?? o.votes })),
    // A ranked poll's runoff moves with its results; a text poll's answers and cloud too.
    runoff: r.runoff ?? p.runoff,
    text: p.text && r.text ? { ...p.text, results: r.text } : p.text,
  };
}
