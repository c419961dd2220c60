// The client's whole state in one object, the contract's shapes as types, and a change
// notification. Screens read it; game.ts and main.ts write it through `update`.

export interface User {
  id: string;
  /** null for a guest (a nickname only, contract v3). */
  email: string | null;
  display_name: string;
  created_at: string;
  guest?: boolean;
}

export interface Participant {
  user_id: string;
  display_name: string;
  is_host: boolean;
  connected: boolean;
}

export interface Settings {
  max_rounds: number;
  answer_seconds: number;
  vote_seconds: number;
  max_players: number;
  theme?: string | null;
  /** While voting, how many voted but not for what (`votes_cast`); the reveal names voters. */
  hide_votes?: boolean;
  /** False: the host runs the game without a seat in it. */
  host_plays?: boolean;
}

export type Phase = "answering" | "voting" | "finished";

export interface Round {
  id: string;
  round_number: number;
  question: string;
  status: Phase;
  time_limit: number;
  deadline: string | null;
}

export interface Room {
  code: string;
  host_id: string;
  status: "lobby" | "playing" | "finished";
  settings: Settings;
  participants: Participant[];
  current_round: Round | null;
  /** Which of the room's games this is (1, then one more per "play again"). */
  game_number?: number;
  /** The host, who is not among `participants` when the room's host does not play. */
  host?: { user_id: string; display_name: string };
}

/** `GET /api/rooms/{code}/preview`: a room as someone about to join it sees it. */
export interface RoomPreview {
  code: string;
  host_name: string;
  status: Room["status"];
  players: number;
  max_players: number;
  /** The error code a join would get now; null when joining would work. */
  join_refused: string | null;
  /** Whether this visitor could watch as audience now. */
  audience_open: boolean;
}

export interface Entry {
  user_id: string;
  display_name: string;
  score: number;
  rank: number;
}

/** An answer card while voting: never an author. */
export interface Card {
  id: string;
  content: string;
  votes: number;
}

export interface Voter {
  user_id: string;
  display_name: string;
}

export interface Result {
  answer_id: string;
  content: string;
  author_id: string;
  display_name: string;
  votes: number;
  /** Who voted for it: only in rooms that hide votes until the reveal. */
  voters?: Voter[];
}

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

export interface PollOption {
  id: string;
  text: string;
  position: number;
  votes: number;
}

export interface Category {
  id: string;
  slug: string;
  name: string;
  description: string;
  poll_count: number;
}

export interface Poll {
  id: string;
  /** Six characters: `/p/CODE` is the poll's short link. */
  code: string;
  question: string;
  description: string;
  category: Category | null;
  creator: { id: string; display_name: string };
  status: "draft" | "open" | "closed";
  allow_multiple: boolean;
  max_choices: number;
  is_public: boolean;
  allow_anonymous: boolean;
  expires_at: string | null;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  options: PollOption[];
  total_votes: number;
  voters: number;
  likes: number;
  my_votes: string[];
  liked_by_me: boolean;
}

/** `poll_results`: the counts only, as they change. */
export interface PollResults {
  poll_id: string;
  options: Array<{ id: string; votes: number }>;
  total_votes: number;
  voters: number;
  likes?: number;
}

/** A poll in a list (`GET /api/polls` and the people routes): no options, no description. */
export type PollSummary = Omit<Poll, "options" | "my_votes" | "description"> & { option_count: number };

export interface PollPage {
  polls: PollSummary[];
  page: number;
  per_page: number;
  total: number;
}

/** `GET /api/users/{id}`: public, never the email. */
export interface Profile {
  id: string;
  display_name: string;
  created_at: string;
  polls_created: number;
  votes_cast: number;
  likes_received: number;
}

/** `GET /api/polls/{id}/stats` (the creator's only). */
export interface PollStats {
  votes_by_hour: Array<{ hour: string; votes: number }>;
  voters: number;
  likes: number;
  views: number;
  first_vote_at: string | null;
  last_vote_at: string | null;
}

/** One of `GET /api/me/votes`. */
export interface MyVote {
  poll: PollSummary;
  option_ids: string[];
  voted_at: string;
}
