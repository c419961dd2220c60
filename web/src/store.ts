// The client's whole state in one object, the contract's shapes as types, and a change
// notification. Screens read it; game.ts and main.ts write it through `update`.

import type * as wire from "./wire";

// The server's payloads are generated into `wire.ts` from its own types (never copied here);
// these names are the client's, some narrowed where the server's type says only "string".

/** A generated type with some keys narrowed: a status the server declares as a string but
 * only ever sends one of a few values, a nested type narrowed the same way. */
type With<T, P> = Omit<T, keyof P> & P;

export type User = wire.User;
export type Participant = wire.ParticipantView;
export type Settings = wire.Settings;

export type Phase = "answering" | "voting" | "finished";

export type Round = With<wire.RoundView, { status: Phase }>;

export type Room = With<
  wire.RoomView,
  { status: "lobby" | "playing" | "finished"; current_round?: Round | null }
>;

/** `GET /api/rooms/{code}/preview`: a room as someone about to join it sees it. */
export type RoomPreview = With<wire.RoomPreview, { status: Room["status"] }>;

export type Entry = wire.LeaderboardView;

/** An answer card while voting: never an author. */
export interface Card {
  id: string;
  content: string;
  votes: number;
}

export type Voter = wire.VoterRef;

/** One answer of a finished round, with its author (`round_ended`). */
export type Result = wire.RoundResult;

/** The room this browser is in, as the server last described it. */
export interface Game {
  room: Room;
  round: Round | null;
  submitted: number;
  /** Answers while voting. */
  cards: Card[];
  /** Results once the round ended. */
  results: Result[];
  myAnswerId: string | null;
  myVote: string | null;
  /** `votes_cast` in a room that hides votes: how many of how many have voted. */
  voted: { voted: number; total: number } | null;
  leaderboard: Entry[];
  /** Scores before the round that just ended, for the reveal's "+n". */
  before: Map<string, number>;
  final: Entry[] | null;
  /** This page watches the room as audience (it votes apart, never answers). */
  audience: boolean;
}

export type Conn = "idle" | "connecting" | "connected" | "reconnecting" | "offline";

export type Route =
  | { name: "home" }
  | { name: "room"; code: string }
  | { name: "newpoll" }
  /** `/p/REF` (`present`: `/p/REF/present`); `ref` is the poll's id or its code. */
  | { name: "poll"; ref: string; present?: boolean }
  | { name: "polls" }
  | { name: "user"; id: string }
  | { name: "settings" }
  | { name: "missing" };

export interface State {
  /** False until we know whether someone is signed in. */
  booted: boolean;
  /** Why we could not find out (the server was unreachable at start). */
  bootError: string | null;
  me: User | null;
  route: Route;
  conn: Conn;
  /** Set once join_room was acknowledged for the routed room. */
  game: Game | null;
  /** A join in flight, and the last join refusal (shown on the join screen). */
  joining: boolean;
  joinError: string | null;
  /** A visitor on a page open to visitors (a poll, the poll list, a profile, a room's share
   * link) asked to sign in (to vote, to like, to join with their account): the sign-in screen
   * shows there, and the page comes back after it. */
  pollSignIn: boolean;
}

export const state: State = {
  booted: false,
  bootError: null,
  me: null,
  route: { name: "home" },
  conn: "idle",
  game: null,
  joining: false,
  joinError: null,
  pollSignIn: false,
};

type Listener = () => void;
const listeners: Listener[] = [];
let scheduled = false;

export function subscribe(fn: Listener): void {
  listeners.push(fn);
}

/** Applies a change and redraws once per frame-ish (several events in a burst draw once). */
export function update(change?: (s: State) => void): void {
  change?.(state);
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(() => {
    scheduled = false;
    for (const fn of listeners) fn();
  });
}

export const isHost = (g: Game | null, me: User | null): boolean =>
  !!g && !!me && g.room.host_id === me.id;

/** The host of a room whose host does not play (`host_plays: false`): runs the game, holds no
 * seat, answers and votes nothing. A player who is handed the host keeps playing. */
export const runsOnly = (g: Game | null, me: User | null): boolean =>
  isHost(g, me) && !!g && !g.room.participants.some((p) => p.user_id === me?.id);

/** The host's name, whether or not the host plays. */
export const hostName = (g: Game | null): string =>
  g?.room.participants.find((p) => p.user_id === g.room.host_id)?.display_name ??
  (g?.room.host?.user_id === g?.room.host_id ? g?.room.host?.display_name : undefined) ??
  "the host";

// --- polls (contract v2) --------------------------------------------------------------------

export type PollOption = wire.OptionView;
export type Category = wire.CategoryView;

export type Poll = With<wire.PollView, { status: "draft" | "open" | "closed" }>;

/** `poll_results`: the counts only, as they change. */
export type PollResults = wire.LiveResults;

/** A poll in a list (`GET /api/polls` and the people routes): no options, no description. */
export type PollSummary = With<wire.PollSummary, { status: Poll["status"] }>;

export type PollPage = With<wire.PollPage, { polls: PollSummary[] }>;

/** `GET /api/users/{id}`: public, never the email. */
export type Profile = wire.ProfileView;

/** `GET /api/polls/{id}/stats` (the creator's only). */
export type PollStats = wire.PollStats;

/** One of `GET /api/me/votes`. */
export type MyVote = With<wire.MyVote, { poll: PollSummary }>;
