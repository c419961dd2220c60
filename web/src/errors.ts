// Every error code of the contract as a sentence a player understands. Clients branch on the
// code; the server's own message is the fallback (it names the field for validation errors).

const MESSAGES: Record<string, string> = {
  network: "Can't reach the game server. Check your connection and try again.",
  timeout: "The server took too long to answer. Check your connection and try again.",
  unauthorized: "Your session has ended. Please sign in again.",
  session_ended: "You were signed out.",
  invalid_credentials: "That email and password don't match an account.",
  email_taken: "An account with this email already exists. Sign in instead?",
  room_not_found: "There's no open room with that code. Check it and try again.",
  not_found: "That doesn't exist (any more).",
  round_not_found: "That round doesn't exist.",
  answer_not_found: "That answer isn't part of this round.",
  kicked: "The host removed you from this room, so you can't rejoin it.",
  room_full: "This room is full. Ask the host to raise the player limit next time.",
  game_in_progress: "This game has already started, so new players can't join. Ask for the next one!",
  game_finished: "This game is over.",
  audience_closed: "The host hasn't opened this room to an audience: join as a player instead.",
  audience_full: "The audience is full.",
  not_audience: "You're not watching this room.",
  account_required: "That needs an account: hosting a game and making polls aren't open to guests.",
  not_host: "Only the host can do that.",
  not_participant: "You're not in this room.",
  own_answer: "That's your own answer: vote for someone else's.",
  already_answered: "You've already answered this round.",
  already_voted: "You've already voted this round.",
  wrong_phase: "Too late: that part of the round has ended.",
  stale_round: "That round is over; the game has moved on.",
  not_enough_players: "You need at least 2 players to start.",
  rate_limited: "Whoa, too fast! Wait a moment and try again.",
  payload_too_large: "That's too long.",
  service_unavailable: "The server is having trouble right now. Try again in a moment.",
  csrf_rejected: "This page's origin isn't allowed to use the server.",
  answer_limit_reached: "You've given all the answers this poll takes.",
  wrong_kind: "This poll doesn't take that kind of answer.",
  poll_closed: "This poll is closed.",
  internal_error: "Something went wrong on the server. Please try again.",
};

export interface ErrorLike {
  code: string;
  message?: string;
}

export function describe(e: ErrorLike): string {
  if (e.code === "validation_failed" || e.code === "malformed_request") {
    const m = (e.message || "That isn't valid.").trim();
    return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".");
  }
  return MESSAGES[e.code] ?? e.message ?? "Something went wrong.";
}
