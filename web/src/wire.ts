// GENERATED from the server's types by `src/http/typescript.rs`; do not edit.
// Regenerate with `UPDATE_WIRE_TS=1 cargo test --lib wire_ts` (the test fails while stale).
// An optional key (`?`) may be absent; `| null` may be sent as null.

/** A Socket.IO acknowledgement: `{ok: true, data}` or `{ok: false, error}`. */
export type Ack<T> = { ok: true; data: T } | { ok: false; error: ErrorPayload };

/** An answer card while voting: never its author. */
export interface AnswerBrief {
  content: string;
  id: string;
}

/** One answer of a text poll in its creator's export, whatever its status. */
export interface AnswerExport {
  /** The word filter matched it. */
  flagged: boolean;
  id: string;
  /** `pending`, `approved` or `hidden`. */
  status: string;
  submitted_at: string;
  text: string;
  voter: Voter;
}

/** `answer_hidden`: to everyone, without its author. */
export interface AnswerHidden {
  answer_id: string;
  round_id: string;
}

export interface AnswerIdResponse {
  answer_id: string;
}

/** `GET /api/polls/{id}/answers`: the creator's queue. */
export interface AnswerQueue {
  /** Oldest first, at most 500. */
  answers: QueuedAnswer[];
  counts: StatusCounts;
}

/** One answer of a finished round, with its author and who voted for it. */
export interface AnswerRecord {
  /** The audience's votes, apart (its voters are not listed). */
  audience_votes: number;
  author_id: string;
  content: string;
  display_name: string;
  id: string;
  voters: string[];
  votes: number;
}

export interface AnswerRequest {
  answer: string;
}

/** Where an answer stands. */
export type AnswerStatus = "pending" | "approved" | "hidden";

/** `answer_submitted`: who answered (so a screen can tick their name), never which answer. */
export interface AnswerSubmitted {
  submitted_count: number;
  total_players: number;
  user_id: string;
}

/** An answer taken: the author's view of it, and the poll after it. */
export interface AnswerTaken {
  answer: MyAnswer;
  poll: PollView;
}

/** One answer's counts in `vote_totals`: only the counts that changed are present. */
export interface AnswerTotals {
  answer_id: string;
  audience_votes?: number | null;
  vote_count?: number | null;
}

/** An answer as players see it: while voting no author; once the round ended, everything. */
export interface AnswerView {
  /** The audience's votes, apart from the players' (`votes`); shown whenever `votes` is. */
  audience_votes?: number | null;
  author_id?: string | null;
  content: string;
  display_name?: string | null;
  id: string;
  /**
   * Who voted for it (`[{user_id, display_name}]`), once the round ended in a room that
   * hides votes until the reveal; not sent otherwise.
   */
  voters?: Array<Record<string, unknown>>;
  votes?: number | null;
}

export interface AnswerVoteRequest {
  answer_id: string;
}

/** `submit_answer`: the id of the answer (the author's only way to know it). */
export interface Answered {
  answer_id: string;
}

export interface AnswersResponse {
  answers: AnswerView[];
}

/** An approved answer, as everyone sees it (never its author). */
export interface ApprovedAnswer {
  created_at: string;
  id: string;
  text: string;
}

/** One attempt in a webhook's delivery log. */
export interface AttemptView {
  at: string;
  /** 1 for a delivery's first attempt. */
  attempt: number;
  delivery_id: string;
  duration_ms: number;
  error?: string | null;
  event: string;
  /** The receiver's HTTP status; null when there was no answer (see `error`). */
  status_code?: number | null;
}

/** An audience vote as counted: the answer and its audience votes right after this vote. */
export interface AudienceVoteCount {
  answer_id: string;
  audience_votes: number;
}

export interface AuditEntry {
  action: string;
  actor_id?: string | null;
  at: string;
  details: Record<string, unknown>;
  id: number;
  target_id?: string | null;
  target_type: string;
}

export interface AuditResponse {
  entries: AuditEntry[];
}

export interface BallotExport {
  choices: Choice[];
  voted_at: string;
  voter: Voter;
}

export interface BallotsExport {
  /** Text polls only: every answer with its status, in the order they came in. */
  answers?: AnswerExport[] | null;
  ballots: BallotExport[];
  poll: PollHead;
}

export interface CategoriesResponse {
  categories: CategoryView[];
}

export interface CategoryRequest {
  description?: string | null;
  name: string;
  slug: string;
}

export interface CategoryResponse {
  category: CategoryView;
}

export interface CategoryView {
  description: string;
  id: string;
  name: string;
  poll_count: number;
  slug: string;
}

export interface Choice {
  option_id: string;
  /** 1 for the first option the voter gave (a ranked ballot's first preference). */
  rank: number;
  text: string;
}

export interface CreatePollRequest {
  allow_anonymous?: boolean | null;
  allow_multiple?: boolean | null;
  /** Text polls: answers one voter may give, 1–10 (default 1). */
  answers_per_voter?: number | null;
  /** A category slug. */
  category?: string | null;
  /** Up to 1,000 characters. */
  description?: string | null;
  /** In the future when set. */
  expires_at?: string | null;
  is_public?: boolean | null;
  kind?: null | PollKind;
  /** 1 for single choice; 1..option count for multiple choice (default: the option count). */
  max_choices?: number | null;
  /** Text polls: characters an answer may have, 1–280 (default 140). */
  max_length?: number | null;
  /**
   * Text polls: `post` (default: answers show at once, the creator may hide them) or `pre`
   * (held until the creator approves). An answer the word filter matches is held either way.
   */
  moderation?: string | null;
  /**
   * 2–20 texts of 1–100 characters, unique ignoring case and surrounding space (none for a
   * text poll).
   */
  options?: string[];
  /** `false` keeps the poll a draft (default: published, `open`). */
  publish?: boolean | null;
  /** 1–200 characters. */
  question: string;
}

export interface CreateRoomRequest {
  settings?: null | Settings;
}

export interface CreatorView {
  display_name: string;
  id: string;
}

/** `{}`: done, nothing to tell. */
export interface Done {}

export interface ErrorBody {
  error: ErrorDetail;
}

export interface ErrorDetail {
  code: string;
  message: string;
}

/**
 * The `error` event, for a failed event the client sent without a callback: the error and the
 * name of the event that failed.
 */
export type ErrorEvent = ErrorPayload & {
  event: string;
};

/** `{code, message}`: why an event failed, as REST's `{"error": {...}}` says it. */
export interface ErrorPayload {
  code: string;
  message: string;
}

/** `subscribe_feed`: the most recent public polls. */
export interface Feed {
  polls: PollSummary[];
}

/** `game_ended`. */
export interface GameEnded {
  final_leaderboard: LeaderboardView[];
}

export interface GamePage {
  games: GameSummary[];
  page: number;
  per_page: number;
  total: number;
}

/** A game's whole record: every finished round and the final scores. */
export interface GameRecordView {
  ended_at?: string | null;
  final_scores: LeaderboardView[];
  game_number: number;
  host_id: string;
  id: string;
  room_code: string;
  rounds: RoundRecord[];
  settings: Settings;
  started_at: string;
  status: string;
}

/** `game_reset`: `play_again` began the room's next game; its `game_started` follows. */
export interface GameReset {
  game_id: string;
  game_number: number;
  leaderboard: LeaderboardView[];
  settings: Settings;
}

export interface GameResponse {
  game: GameRecordView;
}

/** What `play_again` started: the new game and its first round. */
export interface GameStart {
  game_id: string;
  game_number: number;
  round: RoundView;
  settings: Settings;
}

/** A game in the caller's list. */
export interface GameSummary {
  ended_at?: string | null;
  game_number: number;
  host_id: string;
  id: string;
  /** The caller's points in this game. */
  my_score: number;
  room_code: string;
  /** Rounds played to their end. */
  rounds: number;
  started_at: string;
  /** `finished`, `playing`, or `abandoned` (the room closed before the game ended). */
  status: string;
}

/** `POST /api/auth/guest`. */
export interface GuestRequest {
  /** 1–32 characters, the registration rule. */
  display_name: string;
}

export interface Health {
  status: string;
}

export interface HideRequest {
  answer_id: string;
}

/** `host_changed`. */
export interface HostChanged {
  host_id: string;
}

/** Who hosts the room, whether or not they play. */
export interface HostView {
  connected: boolean;
  display_name: string;
  /**
   * Whether the host is one of the players. False while a host who chose not to play
   * (`settings.host_plays` false) holds the room; true again once it passed to a player.
   */
  plays: boolean;
  user_id: string;
}

/** `{hour, votes}`: ballots cast in the hour starting at `hour`. */
export interface HourVotes {
  hour: string;
  votes: number;
}

export interface JoinRoomRequest {
  room_code: string;
}

/** `join_room` / `join_audience`: the room joined (its full `room_state` follows). */
export interface Joined {
  room: RoomView;
}

export interface KickRequest {
  user_id: string;
}

export interface LeaderboardResponse {
  leaderboard: LeaderboardView[];
}

export interface LeaderboardView {
  display_name: string;
  rank: number;
  score: number;
  user_id: string;
}

/** `{likes, liked_by_me}`. */
export interface LikeView {
  liked_by_me: boolean;
  likes: number;
}

export interface LiveOption {
  id: string;
  votes: number;
}

/** The payload of `poll_results`. */
export interface LiveResults {
  likes: number;
  options: LiveOption[];
  poll_id: string;
  runoff?: null | Runoff;
  text?: null | TextResults;
  total_votes: number;
  voters: number;
}

export interface LoginRequest {
  email: string;
  password: string;
}

export interface LoginResponse {
  access_token: string;
  expires_in: number;
  token_type: string;
  user: User;
}

export interface ModerateRequest {
  /** `approved` or `hidden`. */
  status: string;
}

/** When voters see an answer. */
export type Moderation = "pre" | "post";

/**
 * One of the caller's own answers, with where it stands (only its author and the creator
 * see an answer that is not approved).
 */
export interface MyAnswer {
  created_at: string;
  id: string;
  status: AnswerStatus;
  text: string;
}

/** `my_answer_hidden`, to the author's sockets only. */
export interface MyAnswerHidden {
  answer_id: string;
  room_code: string;
  round_id: string;
}

export interface MyLikesResponse {
  polls: PollSummary[];
}

/** One of `GET /api/me/votes`. */
export interface MyVote {
  option_ids: string[];
  poll: PollSummary;
  voted_at: string;
}

export interface MyVotesResponse {
  votes: MyVote[];
}

/**
 * What `next_round` did: `{round}` for a new round, `{final_leaderboard}` once the last round
 * is over.
 */
export type NextRound = {
  round: RoundView;
} | {
  final_leaderboard: LeaderboardView[];
};

/** `notification`, to a poll's creator: `type` is `poll_votes` or `poll_closed`. */
export interface Notification {
  likes: number;
  poll_id: string;
  total_votes: number;
  type: string;
}

export interface OptionRequest {
  /** 1–100 characters. */
  text: string;
}

export interface OptionResponse {
  option: OptionView;
}

export interface OptionResult {
  id: string;
  /** This option's part of `total_votes`, 0–1 (0 when there are no votes). */
  share: number;
  votes: number;
}

export interface OptionTally {
  id: string;
  position: number;
  /** Of all chosen options, 0–1. */
  share: number;
  text: string;
  votes: number;
}

export interface OptionView {
  id: string;
  position: number;
  text: string;
  votes: number;
}

export interface ParticipantView {
  connected: boolean;
  display_name: string;
  is_host: boolean;
  user_id: string;
}

export interface PatchPollRequest {
  allow_anonymous?: boolean | null;
  /** A slug, or `null` for none. */
  category?: string | null;
  description?: string | null;
  /** A future time, or `null` for none. */
  expires_at?: string | null;
  is_public?: boolean | null;
  question?: string | null;
}

export interface PlayAgainRequest {
  /** Only the settings to change (any of the room settings); the others are kept. */
  settings?: Record<string, unknown> | null;
}

/** `player_joined`. */
export interface PlayerJoined {
  display_name: string;
  participant_count: number;
  user_id: string;
}

/** `player_left`: `host_id` is the host after the leave. */
export interface PlayerLeft {
  host_id: string;
  kicked: boolean;
  participant_count: number;
  user_id: string;
}

/** `poll_answer`, to a text poll's creator only: an answer as it now stands in their queue. */
export interface PollAnswer {
  answer: QueuedAnswer;
}

/** `poll_created`, to feed subscribers: a newly published public poll. */
export interface PollCreated {
  poll: PollSummary;
}

/** `poll_deleted`. */
export interface PollDeleted {
  poll_id: string;
}

/** What both exports say about the poll. */
export interface PollHead {
  allow_multiple: boolean;
  closed_at?: string | null;
  code: string;
  created_at: string;
  id: string;
  max_choices: number;
  question: string;
  status: string;
}

/** The kind of a poll, as the wire and Postgres name it. */
export type PollKind = "choice" | "ranked" | "text";

/** `subscribe_poll` / `vote_poll`'s ack, and the `poll_updated` broadcast: the whole poll. */
export interface PollMessage {
  poll: PollView;
}

/**
 * `{polls, page, per_page, total}` (`total` is exact up to 10,000 + a page; a search's is
 * capped at `SEARCH_MAX`).
 */
export interface PollPage {
  page: number;
  per_page: number;
  polls: PollSummary[];
  total: number;
}

export interface PollResponse {
  poll: PollView;
}

/** `GET /api/polls/{id}/stats`. */
export interface PollStats {
  /** The first ballot cast; `null` before any. */
  first_vote_at?: string | null;
  /** The latest ballot cast or changed; `null` before any. */
  last_vote_at?: string | null;
  likes: number;
  /** Reads of the poll by anyone but its creator (see the module's doc). */
  views: number;
  /** People whose ballot stands now (as in `{poll}`). */
  voters: number;
  /**
   * Ballots cast per hour, oldest first, hours without any left out. A ballot counts in the
   * hour it was first cast: a change of choice is not a new vote, and a withdrawn ballot
   * stays in the history of when people voted.
   */
  votes_by_hour: HourVotes[];
}

/** A poll as lists show it (`poll_summary`). */
export interface PollSummary {
  allow_anonymous: boolean;
  allow_multiple: boolean;
  category?: null | CategoryView;
  closed_at?: string | null;
  /** Six characters (`/p/{code}`). */
  code: string;
  created_at: string;
  creator: CreatorView;
  expires_at?: string | null;
  id: string;
  is_public: boolean;
  /** `choice`, `ranked` or `text`. */
  kind: string;
  liked_by_me: boolean;
  likes: number;
  max_choices: number;
  option_count: number;
  question: string;
  status: string;
  /** List counters trail the live counts by up to a second. */
  total_votes: number;
  updated_at: string;
  voters: number;
}

export interface PollView {
  allow_anonymous: boolean;
  allow_multiple: boolean;
  category?: null | CategoryView;
  closed_at?: string | null;
  /** Six characters (`/p/{code}` opens the poll; `GET /api/polls/{code}` reads it). */
  code: string;
  created_at: string;
  creator: CreatorView;
  description: string;
  expires_at?: string | null;
  id: string;
  is_public: boolean;
  /** `choice`, `ranked` or `text` (contract v3; every poll before it is `choice`). */
  kind: string;
  liked_by_me: boolean;
  likes: number;
  max_choices: number;
  /**
   * The voter's ballot: the chosen options, or on a ranked poll the ranking, most
   * preferred first.
   */
  my_votes: string[];
  options: OptionView[];
  question: string;
  runoff?: null | Runoff;
  /** `draft`, `open` or `closed` (an open poll past `expires_at` reads as closed). */
  status: string;
  text?: null | TextPollView;
  /** Chosen options, summed. */
  total_votes: number;
  updated_at: string;
  /** People who voted. */
  voters: number;
}

/** What a room does with text its word list matches. */
export type ProfanityFilter = "off" | "refuse" | "mask";

export interface ProfileResponse {
  user: ProfileView;
}

/** `GET /api/users/{id}`: `{user}` without the email. */
export interface ProfileView {
  created_at: string;
  display_name: string;
  id: string;
  likes_received: number;
  /** Public, published polls. */
  polls_created: number;
  /** Ballots in public, published polls. */
  votes_cast: number;
}

/** An answer as the poll's creator sees it in the queue (and in the `poll_answer` event). */
export interface QueuedAnswer {
  author?: null | CreatorView;
  created_at: string;
  /** The word filter matched it (it was held, whatever the moderation). */
  flagged: boolean;
  id: string;
  moderated_at?: string | null;
  poll_id: string;
  status: AnswerStatus;
  text: string;
}

export interface QueuedAnswerResponse {
  answer: QueuedAnswer;
}

export interface Readiness {
  postgres: string;
  redis: string;
  status: string;
}

export interface RegisterRequest {
  display_name: string;
  email: string;
  password: string;
}

export interface RegisteredResponse {
  /** `whsec_…`: the HMAC-SHA256 key of `X-VG-Signature`. Shown in this answer only. */
  secret: string;
  webhook: WebhookView;
}

export interface ResultsExport {
  /** Text polls only: every approved answer, oldest first (never a held or hidden one). */
  answers?: ApprovedAnswer[] | null;
  as_of: string;
  options: OptionTally[];
  poll: PollHead;
  total_votes: number;
  voters: number;
  /** Text polls only: the word cloud of the approved answers (`domain::poll::words`). */
  words?: WordCount[] | null;
}

export interface ResultsView {
  as_of: string;
  options: OptionResult[];
  poll_id: string;
  runoff?: null | Runoff;
  text?: null | TextResults;
  total_votes: number;
  voters: number;
}

/**
 * `GET /api/rooms/{code}/preview`: a room as someone about to join it sees it, before signing
 * in too. The host's name, how full it is, and what the caller could do there right now.
 */
export interface RoomPreview {
  /**
   * Whether the caller could join the room's audience now (the host opened it, or there is
   * no place left to play).
   */
  audience_open: boolean;
  code: string;
  host_name: string;
  /**
   * The error code a join by the caller would get now (`room_full`, `game_in_progress`,
   * `game_finished`, `kicked`); null when joining would succeed.
   */
  join_refused?: string | null;
  max_players: number;
  /** Players in the room now. */
  players: number;
  status: string;
}

export interface RoomResponse {
  room: RoomView;
}

/** `room_state`: everything a refreshed browser needs to redraw its screen. */
export interface RoomState {
  /**
   * Who has answered this round (user ids, sorted by id: never in the order they answered),
   * so a screen can tick names; never what they answered.
   */
  answered: string[];
  answers: AnswerView[];
  answers_submitted: number;
  leaderboard: LeaderboardView[];
  my_answer_id?: string | null;
  my_vote?: string | null;
  room: RoomView;
  round?: null | RoundView;
  votes_cast?: null | VotesCast;
}

export interface RoomView {
  /** How many are watching as audience. */
  audience_count: number;
  code: string;
  current_round?: null | RoundView;
  /** The current (or last) game's id, for `GET /api/games/{id}`; null before the first game. */
  game_id?: string | null;
  /** Which of the room's games this is (1, then one more per `play_again`). */
  game_number: number;
  /** The host, who may not be among `participants` (contract v3, `host_plays` off). */
  host: HostView;
  host_id: string;
  participants: ParticipantView[];
  settings: Settings;
  status: string;
}

/** `start_game` / `start_voting`: the round as it now is. */
export interface RoundAck {
  round: RoundView;
}

/** A round ended by its host: the round's final state and the leaderboard after it. */
export interface RoundEnd {
  leaderboard: LeaderboardView[];
  round: RoundView;
}

/** `round_ended`: the round's answers with their authors, and the leaderboard after it. */
export interface RoundEnded {
  leaderboard: LeaderboardView[];
  results: RoundResult[];
  round_id: string;
  round_number: number;
}

export interface RoundRecord {
  /** Most votes first, then by id. */
  answers: AnswerRecord[];
  id: string;
  question: string;
  round_number: number;
}

export interface RoundResponse {
  round: RoundView;
}

/**
 * One answer of a finished round, no longer anonymous. (`ToSchema` so the wire's description
 * of `round_ended` can name it; a derive, no I/O.)
 */
export interface RoundResult {
  answer_id: string;
  /** The audience's votes, shown apart (they earn no points, only the host's bonus). */
  audience_votes?: number;
  author_id: string;
  content: string;
  display_name: string;
  /**
   * Who voted for it, in the order they voted: only in rooms that hide votes until the
   * reveal (`Settings::hide_votes`), where the reveal shows it; empty (and not sent) else.
   */
  voters?: VoterRef[];
  votes: number;
}

/** `game_started` (with `status: "answering"`) and `round_started` (without it). */
export interface RoundStarted {
  deadline: string;
  question: string;
  round_id: string;
  round_number: number;
  status?: string | null;
  time_limit: number;
}

export interface RoundView {
  deadline?: string | null;
  id: string;
  question: string;
  round_number: number;
  status: string;
  time_limit: number;
}

/** The whole runoff: its rounds, and the winner (`None` only without ballots). */
export interface Runoff {
  rounds: RunoffRound[];
  winner?: string | null;
}

/** One round of the runoff. */
export interface RunoffRound {
  /** The options eliminated at the end of this round (empty in the last round). */
  eliminated: string[];
  /** Ballots that rank none of the options still in the running. */
  exhausted: number;
  /** The options still in the running, in the poll's order. */
  tallies: RunoffTally[];
}

/** One option's count in a round. */
export interface RunoffTally {
  option_id: string;
  /**
   * Votes this option gained from the options eliminated in the previous round (0 in the
   * first round): where the eliminated options' votes went.
   */
  transferred: number;
  votes: number;
}

export interface ScreenResponse {
  /**
   * The web client's screen view, `/screen/{code}#{key}`: the key rides in the fragment,
   * which browsers never send, so it stays out of access logs.
   */
  path: string;
  /** The key a screen shows in its handshake, as `auth: {screen: "{code}:{key}"}`. */
  screen_key: string;
}

/** `session_ended`: why (`signed_out`, `revoked`, `expired`); a disconnect follows. */
export interface SessionEnded {
  reason: string;
}

/**
 * How a room's game is played. Missing (or `null`) fields take their defaults, so a client may
 * send only the ones it changes. The one definition of settings: REST reads it, the views and
 * the OpenAPI document show it (`ToSchema` is a derive, no I/O), the stores keep it.
 */
export interface Settings {
  answer_seconds: number;
  /** Points to the author of the answer(s) the audience voted for most in a round (0–1000). */
  audience_bonus: number;
  /**
   * Whether people may join as audience even while the room has places for players
   * (they always may once it has none).
   */
  audience_open: boolean;
  /**
   * Votes hidden until the reveal (contract v3): while voting, everyone sees how many have
   * voted (`votes_cast`), not for what; the round's results then say who voted for each
   * answer. Off by default, so clients of the first contract keep live counts.
   */
  hide_votes: boolean;
  /**
   * Whether the host is a player (contract v3). Off, the host runs the room from outside
   * the game: no seat, no score, counted in no quorum, yet still the host. On by default,
   * so clients of the first contract see no change. Fixed when the room is created.
   */
  host_plays: boolean;
  max_players: number;
  max_rounds: number;
  /** What the room does with answers (and questions) its word list matches. */
  profanity_filter: ProfanityFilter;
  theme?: string | null;
  vote_seconds: number;
}

/** `GET /api/polls/stats`: public, published polls only (never drafts or unlisted polls). */
export interface SiteStats {
  likes: number;
  /** Open and not past `expires_at`. */
  open_polls: number;
  polls: number;
  /** The categories with the most public polls (at most 5), `poll_count` being that number. */
  top_categories: CategoryView[];
  /**
   * Ballots, summed over the polls: one per person per poll, so someone who voted in three
   * polls counts three times (a distinct count over every ballot is not cheap).
   */
  voters: number;
  /** Chosen options, summed over the polls (as `total_votes`). */
  votes: number;
  /** Chosen options in ballots cast or changed in the last 24 hours. */
  votes_last_24h: number;
}

/** How many answers have each status. */
export interface StatusCounts {
  approved: number;
  hidden: number;
  pending: number;
}

/** A text poll in the poll body. */
export interface TextPollView {
  /** Answers one voter may give (1–10). */
  answers_per_voter: number;
  /** Characters an answer may have (1–280). */
  max_length: number;
  moderation: Moderation;
  /** The caller's answers, oldest first (empty for a caller who has none, and in broadcasts). */
  my_answers: MyAnswer[];
  results: TextResults;
}

/** A text poll's results: only approved answers are in them. */
export interface TextResults {
  /** How many answers are approved in all. */
  answer_count: number;
  /** The newest approved answers (at most 100), newest first. */
  answers: ApprovedAnswer[];
  /**
   * The word cloud over every approved answer (`domain::poll::words`): at most 100 words,
   * most frequent first; `count` is the number of answers the word appears in.
   */
  words: WordCount[];
}

/** `PATCH /api/auth/me`: every field optional. */
export interface UpdateMeRequest {
  current_password?: string | null;
  /** 1–32 characters, the registration rule. */
  display_name?: string | null;
  /** A new password (at least 8 characters); needs `current_password`. */
  password?: string | null;
}

/** `POST /api/auth/upgrade`. */
export interface UpgradeRequest {
  email: string;
  /** At least 8 characters. */
  password: string;
}

/** The public view of an account: never the password hash. */
export interface User {
  created_at: string;
  display_name: string;
  /** `null` for a guest. */
  email?: string | null;
  /**
   * A guest joined with a nickname only (`POST /api/auth/guest`) and has no email or
   * password until `POST /api/auth/upgrade`.
   */
  guest: boolean;
  id: string;
}

/** `player_reconnected` / `player_disconnected`: whose socket came back or went. */
export interface UserRef {
  user_id: string;
}

export interface UserResponse {
  user: User;
}

/**
 * A vote as counted: the answer voted for and its count right after this vote. In a room that
 * hides votes the count is left out: the voter would learn how many picked the same answer.
 */
export interface VoteCount {
  answer_id: string;
  vote_count?: number | null;
}

export interface VoteRequest {
  /**
   * The chosen options; on a ranked poll, the ranking (most preferred first, 1 to all of
   * the options, each once), which replaces the voter's earlier one whole.
   */
  option_ids: string[];
}

/** `vote_totals`: the latest counts of the answers that changed since the last one. */
export interface VoteTotals {
  answers: AnswerTotals[];
  round_id: string;
}

/** `vote_update`: an answer's player votes, at once. */
export interface VoteUpdate {
  answer_id: string;
  vote_count: number;
}

export interface Voter {
  display_name?: string | null;
  /**
   * The account's id, or for an anonymous voter `anon-` and 16 hex digits, the same for
   * their ballot only within this poll.
   */
  id: string;
  /** `account` or `anonymous`. */
  kind: string;
}

/** A player who voted for an answer, as the reveal names them. */
export interface VoterRef {
  display_name: string;
  user_id: string;
}

/** `votes_cast`: how many have voted of how many may, in a room that hides votes. */
export interface VotesCast {
  round_id: string;
  total: number;
  voted: number;
}

/** `voting_started`. */
export interface VotingStarted {
  answers: AnswerBrief[];
  deadline: string;
  round_id: string;
  time_limit: number;
}

export interface WebhookRequest {
  /**
   * The events wanted (default: every one this webhook can receive): `poll_created`
   * (account webhooks only), `poll_published`, `poll_closed`, `poll_reopened`,
   * `poll_deleted`, `poll_votes_reached`, `game_ended` (room and account webhooks).
   */
  events?: string[] | null;
  /**
   * http or https, up to 2,048 characters; a host that resolves to a private, loopback or
   * other internal address is refused (422 naming `url`) unless the server runs with
   * `WEBHOOK_ALLOW_PRIVATE`.
   */
  url: string;
}

/** A webhook as its owner reads it (never with its secret). */
export interface WebhookView {
  created_at: string;
  /** The last attempts, newest first. */
  deliveries: AttemptView[];
  events: string[];
  id: string;
  /** Deliveries not yet sent successfully (nor given up). */
  pending: number;
  url: string;
}

export interface WebhooksResponse {
  webhooks: WebhookView[];
}

/** One word and in how many approved answers it appears. */
export interface WordCount {
  count: number;
  word: string;
}

/** What this socket sends, tagged by `type`. */
export type WsMessage = {
  poll: PollView;
  type: "poll_update";
} | {
  type: "poll_deleted";
} | {
  reason: string;
  type: "session_ended";
};
