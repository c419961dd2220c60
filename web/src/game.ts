// The Socket.IO side: one connection per signed-in page (the official socket.io-client with its
// default transports: long-polling first, then the upgrade to WebSocket), the contract's events
// turned into state, and the player's and host's actions with their acknowledgements.
//
// The socket is in at most one game room at a time (events carry no room code), as a player or
// in its audience, and after any reconnect it sends `join_room` (or `join_audience`) again: the
// `room_state` that follows redraws exactly the screen the player had.

import { io, type Socket } from "socket.io-client";
import { API_ORIGIN } from "./api";
import type * as wire from "./wire";
import { describe, type ErrorLike } from "./errors";
import {
  state,
  update,
  type Entry,
  type Game,
  type Room,
  type Round,
  type Settings,
  type Voter,
} from "./store";
import { announce, toast } from "./ui";

/** The server's acknowledgement, or a refusal the client made up (no socket, no answer in time). */
type Ack<T> = wire.Ack<T> | { ok: false; error: ErrorLike };

const ACK_TIMEOUT_MS = 10_000;

let socket: Socket | null = null;
/** The room code this socket has joined (or is joining); re-joined after every reconnect. */
let joinedCode: string | null = null;
/** How: as a player, or watching as audience. */
let joinedAs: "player" | "audience" = "player";
/** Called when the server says the session is over (401 on the socket). */
let onSignedOut: (why: string) => void = () => {};

export function setSignedOutHandler(fn: (why: string) => void): void {
  onSignedOut = fn;
}

/** The transport in use, for the connection badge's tooltip (and the browser tests). */
export function transportName(): string {
  return socket?.io.engine?.transport?.name ?? "none";
}

/** Whether the open socket carried the auth cookie (an anonymous poll watcher's does not). */
let socketAsUser = false;
/** Other modules' listeners (polls), attached to every socket this page opens. */
const socketHooks: Array<(s: Socket) => void> = [];

/** Runs `fn` on the current socket (if any) and on every one opened later. */
export function onSocket(fn: (s: Socket) => void): void {
  socketHooks.push(fn);
  if (socket) fn(socket);
}

/** A socket for poll events: the signed-in one, or an anonymous one for a visitor. */
export function ensureSocket(): Socket {
  if (!socket) open(!!state.me);
  return socket as unknown as Socket;
}

/** The signed-in socket; one opened anonymously before signing in is replaced (the server
 * reads the cookie at the handshake only). */
export function connect(): void {
  if (socket && !socketAsUser) disconnect();
  if (socket) return;
  open(true);
}

function open(asUser: boolean): void {
  socketAsUser = asUser;
  update((s) => (s.conn = navigator.onLine ? "connecting" : "offline"));
  // Default transports on purpose: polling first, then WebSocket (works behind any proxy).
  // withCredentials sends the HttpOnly auth cookie, also from another allowed origin.
  const s = io(API_ORIGIN, { withCredentials: true });
  socket = s;
  s.on("connect", () => {
    update((st) => (st.conn = "connected"));
    s.io.engine.once("upgrade", () => update());
    if (joinedCode) void sendJoin(joinedCode, joinedAs, true);
  });
  s.on("disconnect", (reason) => {
    update((st) => (st.conn = navigator.onLine ? "reconnecting" : "offline"));
    // The server closed this socket (shutdown, flood guard): come back, as after a network drop.
    if (reason === "io server disconnect") setTimeout(() => socket === s && s.connect(), 1000);
  });
  s.on("connect_error", (err) => {
    if (!s.active) {
      // Refused by the server itself, not by the network: socket.io-client will not retry.
      if (/unauthori[sz]ed|token|session/i.test(err.message)) {
        disconnect();
        onSignedOut(describe({ code: "unauthorized", message: err.message }));
        return;
      }
      // Any other refusal (a connection limit, say) is said, and tried again in a while.
      toast(`The server refused the connection: ${err.message}`);
      setTimeout(() => socket === s && s.connect(), 5000);
    }
    update((st) => (st.conn = navigator.onLine ? "reconnecting" : "offline"));
  });
  s.io.on("reconnect_attempt", () =>
    update((st) => (st.conn = navigator.onLine ? "reconnecting" : "offline")),
  );
  s.on("session_ended", () => {
    disconnect();
    onSignedOut(describe({ code: "session_ended" }));
  });
  listen(s);
  for (const fn of socketHooks) fn(s);
}

export function disconnect(): void {
  socket?.removeAllListeners();
  socket?.io.removeAllListeners();
  socket?.disconnect();
  socket = null;
  joinedCode = null;
  update((s) => {
    s.conn = "idle";
    s.game = null;
  });
}

// A dropped network is noticed at once, not after the 45 s ping timeout, and the socket comes
// back (and re-joins) as soon as the browser is online again.
window.addEventListener("offline", () => {
  if (!socket) return;
  socket.disconnect();
  update((s) => (s.conn = "offline"));
});
window.addEventListener("online", () => {
  if (!socket) return;
  update((s) => (s.conn = "reconnecting"));
  socket.connect();
});

export async function emit<T>(event: string, payload: object): Promise<Ack<T>> {
  if (!socket) return { ok: false, error: { code: "network" } };
  try {
    return (await socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, payload)) as Ack<T>;
  } catch {
    return { ok: false, error: { code: "timeout" } };
  }
}

/** An action whose refusal is shown as a message; resolves to the ack's data or null. */
async function act<T>(event: string, payload: object): Promise<T | null> {
  const r = await emit<T>(event, payload);
  if (r.ok) return r.data;
  refused(r.error);
  return null;
}

function refused(e: ErrorLike): void {
  if (e.code === "unauthorized") {
    disconnect();
    onSignedOut(describe(e));
    return;
  }
  if ((e.code === "not_participant" || e.code === "not_audience") && state.game) {
    // We are no longer in this room (kicked or left elsewhere): back to its join screen.
    forgetRoom(state.game.room.code);
    leaveLocally();
  }
  toast(describe(e));
}

// --- rooms this browser has joined (a reload re-joins them without asking) ------------------

const roomsKey = () => `vg.rooms.${state.me?.id ?? ""}`;

export function rememberedRooms(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(roomsKey()) ?? "[]");
    return Array.isArray(v) ? v.filter((c) => typeof c === "string") : [];
  } catch {
    return [];
  }
}

export const isRemembered = (code: string): boolean => rememberedRooms().includes(code);

export function rememberRoom(code: string): void {
  const list = [code, ...rememberedRooms().filter((c) => c !== code)].slice(0, 20);
  localStorage.setItem(roomsKey(), JSON.stringify(list));
}

export function forgetRoom(code: string): void {
  localStorage.setItem(roomsKey(), JSON.stringify(rememberedRooms().filter((c) => c !== code)));
  forgetWatching(code);
}

// Rooms watched as audience, apart: a reload must watch them again, never join them as a player.
const watchKey = () => `vg.watching.${state.me?.id ?? ""}`;

function watchedRooms(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(watchKey()) ?? "[]");
    return Array.isArray(v) ? v.filter((c) => typeof c === "string") : [];
  } catch {
    return [];
  }
}

export const isWatching = (code: string): boolean => watchedRooms().includes(code);

function rememberWatching(code: string): void {
  const list = [code, ...watchedRooms().filter((c) => c !== code)].slice(0, 20);
  localStorage.setItem(watchKey(), JSON.stringify(list));
}

function forgetWatching(code: string): void {
  localStorage.setItem(watchKey(), JSON.stringify(watchedRooms().filter((c) => c !== code)));
}

// --- joining and leaving --------------------------------------------------------------------

/** Joins `code` (or re-joins it: not an error for a participant). */
export function join(code: string): void {
  enter(code, "player");
}

/** Watches `code` as audience (where the room takes one: full, under way, or opened to one). */
export function watch(code: string): void {
  enter(code, "audience");
}

function enter(code: string, as: "player" | "audience"): void {
  if (joinedCode === code && joinedAs === as && (state.joining || state.game?.room.code === code)) return;
  if (joinedCode && joinedCode !== code) {
    // Leave the other room's broadcasts behind: a fresh connection is in no room.
    joinedCode = null;
    state.game = null;
    socket?.disconnect().connect();
  }
  joinedCode = code;
  joinedAs = as;
  update((s) => {
    s.joining = true;
    s.joinError = null;
  });
  if (socket?.connected) void sendJoin(code, as, false);
  // Otherwise the `connect` handler sends it.
}

let roomStateFallback = 0;

async function sendJoin(code: string, as: "player" | "audience", rejoin: boolean): Promise<void> {
  const r = await emit<{ room: Room }>(as === "audience" ? "join_audience" : "join_room", { room_code: code });
  if (joinedCode !== code || joinedAs !== as) return;
  if (!r.ok) {
    joinedCode = null;
    const terminal = [
      "room_not_found",
      "kicked",
      "room_full",
      "game_in_progress",
      "game_finished",
      "audience_closed",
      "audience_full",
    ];
    if (terminal.includes(r.error.code)) forgetRoom(code);
    if (r.error.code === "unauthorized") return refused(r.error);
    update((s) => {
      s.joining = false;
      s.joinError = describe(r.error);
      if (rejoin || terminal.includes(r.error.code)) s.game = null;
    });
    return;
  }
  if (as === "audience") rememberWatching(code);
  else rememberRoom(code);
  // `room_state` follows the ack at once and draws the screen; if it were lost, the ack's room
  // is enough to show the right phase.
  clearTimeout(roomStateFallback);
  const room = r.data.room;
  roomStateFallback = window.setTimeout(() => {
    if (joinedCode === code && state.joining) {
      update((s) => {
        s.joining = false;
        s.game = gameFromRoom(room, as === "audience");
      });
    }
  }, 3000);
}

/** Leaves the room (or its audience) for good (the server's leave), then the caller goes home. */
export async function leave(code: string): Promise<boolean> {
  const watching = state.game?.audience ?? false;
  const ok = (await act(watching ? "leave_audience" : "leave_room", { room_code: code })) !== null;
  if (ok) {
    forgetRoom(code);
    leaveLocally();
  }
  return ok;
}

/** Stops showing (and following) the current room without leaving it on the server. */
export function leaveLocally(): void {
  if (joinedCode && socket) socket.disconnect().connect();
  joinedCode = null;
  update((s) => {
    s.game = null;
    s.joining = false;
  });
}

// --- actions --------------------------------------------------------------------------------

const code = () => state.game?.room.code ?? "";

export const startGame = () => act("start_game", { room_code: code() });
export const nextRound = () => act("next_round", { room_code: code() });
export const kick = (userId: string) => act("kick_player", { room_code: code(), user_id: userId });
export const startVoting = (roundId: string) =>
  act("start_voting", { round_id: roundId, room_code: code() });
export const endRound = (roundId: string) =>
  act("end_round", { round_id: roundId, room_code: code() });
/** After the podium: the room's next game with the players still here (`settings`: only what
 * changes). Every page in the room follows through `game_reset` and `game_started`. */
export const playAgain = (settings?: Partial<Settings>) =>
  act("play_again", settings ? { room_code: code(), settings } : { room_code: code() });

export async function submitAnswer(roundId: string, answer: string): Promise<boolean> {
  const data = await act<{ answer_id: string }>("submit_answer", {
    round_id: roundId,
    room_code: code(),
    answer,
  });
  if (!data) return false;
  update((s) => {
    if (s.game?.round?.id === roundId) s.game.myAnswerId = data.answer_id;
  });
  return true;
}

export async function vote(roundId: string, answerId: string): Promise<boolean> {
  if (state.game?.audience) {
    // The audience's vote is counted apart (and shown to players through `vote_totals`).
    const data = await act<{ answer_id: string }>("audience_vote", {
      round_id: roundId,
      room_code: code(),
      answer_id: answerId,
    });
    if (!data) return false;
    update((s) => {
      if (s.game?.round?.id === roundId) s.game.myVote = data.answer_id;
    });
    return true;
  }
  const data = await act<{ answer_id: string; vote_count: number }>("submit_vote", {
    round_id: roundId,
    room_code: code(),
    answer_id: answerId,
  });
  if (!data) return false;
  update((s) => {
    const g = s.game;
    if (g?.round?.id !== roundId) return;
    g.myVote = data.answer_id;
    const card = g.cards.find((c) => c.id === data.answer_id);
    if (card) card.votes = Math.max(card.votes, data.vote_count);
  });
  return true;
}

// --- server events --------------------------------------------------------------------------

/** `room_state`, its room and round narrowed as the store's are. */
type RoomStatePayload = Omit<wire.RoomState, "room" | "round" | "answers"> & {
  room: Room;
  round?: Round | null;
  answers: Array<Omit<wire.AnswerView, "voters"> & { voters?: Voter[] }>;
};

/** `game_started` / `round_started`. */
type RoundPayload = wire.RoundStarted;

function gameFromRoom(room: Room, audience: boolean): Game {
  return {
    room,
    round: room.current_round ?? null,
    submitted: 0,
    cards: [],
    results: [],
    myAnswerId: null,
    myVote: null,
    voted: null,
    leaderboard: [],
    before: new Map(),
    final: null,
    audience,
  };
}

function gameFromState(p: RoomStatePayload): Game {
  const g = gameFromRoom(p.room, joinedAs === "audience" && !p.room.participants.some((x) => x.user_id === state.me?.id));
  g.round = p.round ?? null;
  g.submitted = p.answers_submitted;
  if (p.round?.status === "voting") {
    g.cards = p.answers.map((a) => ({ id: a.id, content: a.content, votes: a.votes ?? 0 }));
  } else if (p.round?.status === "finished") {
    g.results = p.answers.map((a) => ({
      answer_id: a.id,
      content: a.content,
      author_id: a.author_id ?? "",
      display_name: a.display_name ?? "",
      votes: a.votes ?? 0,
      voters: a.voters,
    }));
  }
  g.myAnswerId = p.my_answer_id ?? null;
  g.myVote = p.my_vote ?? null;
  g.voted = p.votes_cast ? { voted: p.votes_cast.voted, total: p.votes_cast.total } : null;
  g.leaderboard = p.leaderboard;
  if (p.room.status === "finished") g.final = p.leaderboard;
  return g;
}

/** Runs `fn` on the current game, if any, and redraws. */
function onGame(fn: (g: Game) => void): void {
  const g = state.game;
  if (!g) return;
  fn(g);
  update();
}

function nameOf(g: Game, userId: string): string {
  return g.room.participants.find((p) => p.user_id === userId)?.display_name ?? "Someone";
}

function newRound(g: Game, p: RoundPayload): void {
  const round: Round = {
    id: p.round_id,
    round_number: p.round_number,
    question: p.question,
    status: "answering",
    time_limit: p.time_limit,
    deadline: p.deadline,
  };
  g.room.status = "playing";
  g.room.current_round = round;
  g.round = round;
  g.submitted = 0;
  g.cards = [];
  g.results = [];
  g.myAnswerId = null;
  g.myVote = null;
  g.voted = null;
  announce(`Round ${p.round_number}: ${p.question}`);
}

function listen(s: Socket): void {
  s.on("room_state", (p: RoomStatePayload) => {
    if (!joinedCode || p.room.code !== joinedCode) return;
    clearTimeout(roomStateFallback);
    update((st) => {
      st.joining = false;
      st.joinError = null;
      st.game = gameFromState(p);
    });
  });

  s.on("player_joined", (p: wire.PlayerJoined) =>
    onGame((g) => {
      const known = g.room.participants.find((x) => x.user_id === p.user_id);
      if (known) known.connected = true;
      else {
        g.room.participants.push({
          user_id: p.user_id,
          display_name: p.display_name,
          is_host: false,
          connected: true,
        });
        announce(`${p.display_name} joined`);
      }
    }),
  );

  s.on("player_left", (p: wire.PlayerLeft) => {
    const g = state.game;
    if (!g) return;
    if (p.user_id === state.me?.id) {
      forgetRoom(g.room.code);
      leaveLocally();
      if (p.kicked) {
        update((st) => (st.joinError = describe({ code: "kicked" })));
        toast("The host removed you from the room.");
      }
      return;
    }
    onGame((g) => {
      const name = nameOf(g, p.user_id);
      g.room.participants = g.room.participants.filter((x) => x.user_id !== p.user_id);
      setHost(g, p.host_id);
      announce(p.kicked ? `${name} was removed by the host` : `${name} left`);
    });
  });

  s.on("player_disconnected", (p: wire.UserRef) =>
    onGame((g) => {
      const x = g.room.participants.find((q) => q.user_id === p.user_id);
      if (x) x.connected = false;
    }),
  );
  s.on("player_reconnected", (p: wire.UserRef) =>
    onGame((g) => {
      const x = g.room.participants.find((q) => q.user_id === p.user_id);
      if (x) x.connected = true;
    }),
  );

  s.on("host_changed", (p: wire.HostChanged) =>
    onGame((g) => {
      setHost(g, p.host_id);
      const text =
        p.host_id === state.me?.id ? "You are the host now." : `${nameOf(g, p.host_id)} is the host now.`;
      toast(text, "info");
    }),
  );

  // Play again: the same room's next game. Back to its lobby, scores at 0; its first round's
  // `game_started` follows at once.
  s.on(
    "game_reset",
    (p: { game_id: string; game_number: number; settings: Settings; leaderboard: Entry[] }) =>
      onGame((g) => {
        g.room.status = "lobby";
        g.room.game_number = p.game_number;
        g.room.settings = p.settings;
        g.room.current_round = null;
        g.round = null;
        g.submitted = 0;
        g.cards = [];
        g.results = [];
        g.myAnswerId = null;
        g.myVote = null;
        g.voted = null;
        g.leaderboard = p.leaderboard;
        g.before = new Map();
        g.final = null;
        announce(`Game ${p.game_number} is starting`);
      }),
  );

  s.on("game_started", (p: RoundPayload) => onGame((g) => newRound(g, p)));
  s.on("round_started", (p: RoundPayload) => onGame((g) => newRound(g, p)));

  s.on("answer_submitted", (p: wire.AnswerSubmitted) =>
    onGame((g) => (g.submitted = Math.max(g.submitted, p.submitted_count))),
  );

  s.on("voting_started", (p: wire.VotingStarted) =>
      onGame((g) => {
        if (!g.round || g.round.id !== p.round_id) return;
        g.round = { ...g.round, status: "voting", time_limit: p.time_limit, deadline: p.deadline };
        g.room.current_round = g.round;
        g.cards = p.answers.map((a) => ({ id: a.id, content: a.content, votes: 0 }));
        announce(p.answers.length ? "Voting has started" : "Nobody answered this round");
      }),
  );

  // The audience's sockets get the players' counts coalesced, in place of `vote_update`.
  s.on("vote_totals", (p: wire.VoteTotals) =>
      onGame((g) => {
        if (g.round?.id !== p.round_id) return;
        for (const a of p.answers) {
          const card = g.cards.find((c) => c.id === a.answer_id);
          if (card && a.vote_count != null) card.votes = Math.max(card.votes, a.vote_count);
        }
      }),
  );

  // A room that hides votes tells how many voted, never for what, until the reveal.
  s.on("votes_cast", (p: wire.VotesCast) =>
    onGame((g) => {
      if (g.round?.id !== p.round_id) return;
      // As the server counts it now: a player who leaves mid-vote lowers both numbers.
      g.voted = { voted: p.voted, total: p.total };
    }),
  );

  s.on("vote_update", (p: wire.VoteUpdate) =>
    onGame((g) => {
      const card = g.cards.find((c) => c.id === p.answer_id);
      // Counts only grow within a round; a late duplicate never takes one back.
      if (card) card.votes = Math.max(card.votes, p.vote_count);
    }),
  );

  s.on("round_ended", (p: wire.RoundEnded) =>
      onGame((g) => {
        if (!g.round || g.round.id !== p.round_id) return;
        g.round = { ...g.round, status: "finished", deadline: null };
        g.room.current_round = g.round;
        g.before = new Map(g.leaderboard.map((e) => [e.user_id, e.score]));
        g.results = p.results;
        g.leaderboard = p.leaderboard;
        announce("The round is over: see who wrote what");
      }),
  );

  s.on("game_ended", (p: wire.GameEnded) =>
    onGame((g) => {
      g.room.status = "finished";
      g.final = p.final_leaderboard;
      g.leaderboard = p.final_leaderboard;
      const top = p.final_leaderboard.filter((e) => e.rank === 1).map((e) => e.display_name);
      announce(`Game over. ${top.join(" and ")} ${top.length > 1 ? "win" : "wins"}!`);
    }),
  );

  s.on("error", (e: wire.ErrorEvent) => {
    if (e && typeof e.code === "string") toast(describe(e));
  });
}

function setHost(g: Game, hostId: string): void {
  g.room.host_id = hostId;
  for (const p of g.room.participants) p.is_host = p.user_id === hostId;
}
