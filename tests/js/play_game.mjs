// Plays a whole two-round game with the official socket.io-client, as four browsers would.
// Usage: node play_game.mjs <config.json>
//   config: {base, code, transport: "websocket"|"polling", players: [{token, id, name, use_cookie}]}
//   players[0] is the host. A player with use_cookie sends the auth cookie on the handshake (as a
//   browser does), the others send `auth: {token}`.
// Prints ONE JSON line on success:
//   {ok: true, final_leaderboard, expected_scores: {user_id: n}, events: {name: count},
//    game_ended_by: {user_id: final_leaderboard}}
// or exits non-zero with the reason on stderr. Always exits within ~30 s.
import { io } from "socket.io-client";
import { readFileSync } from "node:fs";

const ACK_TIMEOUT = 8_000; // per acknowledgement
const EVENT_TIMEOUT = 8_000; // per awaited server event

const fail = (why) => {
  console.error(`play_game.mjs: ${why}`);
  process.exit(1);
};
process.on("unhandledRejection", (e) => fail(`unhandled rejection: ${e?.stack || e}`));
setTimeout(() => fail("the whole game took longer than 30 s"), 30_000).unref();

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
if (!["websocket", "polling"].includes(cfg.transport)) fail(`bad transport ${cfg.transport}`);
if (cfg.players?.length !== 4) fail("need exactly four players");
const code = cfg.code;
const ids = cfg.players.map((p) => p.id);

const events = {};
const socks = cfg.players.map((p) => {
  const s = io(cfg.base, {
    transports: [cfg.transport],
    reconnection: false,
    auth: p.use_cookie ? undefined : { token: p.token },
    extraHeaders: p.use_cookie ? { Cookie: `access_token=${p.token}` } : undefined,
  });
  s.player = p;
  s.inbox = [];
  s.onAny((name, payload) => {
    s.inbox.push([name, payload]);
    events[name] = (events[name] || 0) + 1;
  });
  return s;
});

// Resolves with the first event `name` (received at any time so far or later) matching `pred`.
const waitFor = (s, name, pred = () => true) =>
  new Promise((resolve, reject) => {
    const found = s.inbox.find(([n, p]) => n === name && pred(p));
    if (found) return resolve(found[1]);
    const listener = (n, p) => {
      if (n === name && pred(p)) {
        clearTimeout(timer);
        s.offAny(listener);
        resolve(p);
      }
    };
    const timer = setTimeout(() => {
      s.offAny(listener);
      const seen = s.inbox.map(([n]) => n).join(", ");
      reject(new Error(`${s.player.name} got no ${name} within ${EVENT_TIMEOUT} ms; saw: ${seen}`));
    }, EVENT_TIMEOUT);
    s.onAny(listener);
  });
const everyone = (name, pred) => Promise.all(socks.map((s) => waitFor(s, name, pred)));

// emitWithAck with a timeout; the ack must be the contract's `{ok: true, data}`.
const ok = async (s, event, payload) => {
  let ack;
  try {
    ack = await s.timeout(ACK_TIMEOUT).emitWithAck(event, payload);
  } catch (e) {
    fail(`${s.player.name}: ${event} got no ack: ${e?.message || e}`);
  }
  if (ack?.ok !== true || typeof ack.data !== "object" || ack.data === null) {
    fail(`${s.player.name}: ${event} ${JSON.stringify(payload)} -> ${JSON.stringify(ack)}`);
  }
  return ack.data;
};
// The ack must be the contract's `{ok: false, error: {code, message}}` with this code.
const refused = async (s, event, payload, errCode) => {
  let ack;
  try {
    ack = await s.timeout(ACK_TIMEOUT).emitWithAck(event, payload);
  } catch (e) {
    fail(`${s.player.name}: ${event} got no ack: ${e?.message || e}`);
  }
  if (ack?.ok !== false || ack.error?.code !== errCode || !ack.error?.message) {
    fail(`${s.player.name}: ${event} expected ${errCode}, got ${JSON.stringify(ack)}`);
  }
};
const check = (cond, why) => {
  if (!cond) fail(why);
};

// Everyone sees voting start, with anonymous answers (`{id, content}` only).
const allSeeVoting = async (roundId, count) => {
  for (const v of await everyone("voting_started", (p) => p.round_id === roundId)) {
    check(Array.isArray(v.answers) && v.answers.length === count,
      `voting_started should list ${count} answers: ${JSON.stringify(v)}`);
    for (const a of v.answers) {
      const keys = Object.keys(a).sort().join(",");
      check(keys === "content,id", `authors revealed while voting: ${JSON.stringify(a)}`);
    }
  }
};

try {
  await Promise.all(
    socks.map((s) => new Promise((resolve, reject) => {
      s.once("connect", resolve);
      s.once("connect_error", (e) =>
        reject(new Error(`${s.player.name} (${s.player.use_cookie ? "cookie" : "auth token"}) could not connect: ${e?.message || e}`)));
    })),
  );
  for (const s of socks) {
    check(s.io.engine.transport.name === cfg.transport,
      `${s.player.name} is on ${s.io.engine.transport.name}, not ${cfg.transport}`);
  }

  for (const [i, s] of socks.entries()) {
    const d = await ok(s, "join_room", { room_code: code.toLowerCase() });
    check(d.room?.code === code, `join_room room: ${JSON.stringify(d)}`);
    check(d.room.participants?.length === i + 1, `participants after join ${i}: ${JSON.stringify(d.room)}`);
    const state = await waitFor(s, "room_state");
    check(state.room?.code === code, `room_state: ${JSON.stringify(state)}`);
  }

  const expected = Object.fromEntries(ids.map((id) => [id, 0]));

  // Round 1: everyone answers and everyone votes (for someone else), so both phases end by
  // themselves.
  await refused(socks[1], "start_game", { room_code: code }, "not_host");
  const first = (await ok(socks[0], "start_game", { room_code: code })).round;
  check(first?.status === "answering" && first.round_number === 1, `start_game: ${JSON.stringify(first)}`);
  for (const g of await everyone("game_started")) {
    check(g.round_id === first.id && g.round_number === 1 && g.status === "answering",
      `game_started: ${JSON.stringify(g)}`);
  }
  const answerOf = {};
  for (const [i, s] of socks.entries()) {
    const d = await ok(s, "submit_answer", { round_id: first.id, room_code: code, answer: `answer of ${s.player.name}` });
    answerOf[i] = d.answer_id;
  }
  await allSeeVoting(first.id, 4);
  await refused(socks[1], "submit_vote", { round_id: first.id, room_code: code, answer_id: answerOf[1] }, "own_answer");
  for (const i of [0, 1, 2, 3]) {
    const target = (i + 1) % 4;
    const d = await ok(socks[i], "submit_vote", { round_id: first.id, room_code: code, answer_id: answerOf[target] });
    check(d.answer_id === answerOf[target] && d.vote_count === 1, `submit_vote: ${JSON.stringify(d)}`);
    expected[ids[target]] += 1;
  }
  for (const e of await everyone("round_ended", (p) => p.round_id === first.id)) {
    check(e.round_number === 1 && e.results?.length === 4 && Array.isArray(e.leaderboard),
      `round_ended 1: ${JSON.stringify(e)}`);
    check(e.results.every((r) => r.votes === 1 && ids.includes(r.author_id)), `round 1 results: ${JSON.stringify(e.results)}`);
  }

  // Round 2: two answer, the host starts voting early, two vote, the host ends the round.
  await refused(socks[1], "next_round", { room_code: code }, "not_host");
  const second = (await ok(socks[0], "next_round", { room_code: code })).round;
  check(second?.round_number === 2 && second.status === "answering", `next_round: ${JSON.stringify(second)}`);
  for (const r of await everyone("round_started", (p) => p.round_id === second.id)) {
    check(r.round_number === 2, `round_started: ${JSON.stringify(r)}`);
  }
  const a1 = (await ok(socks[1], "submit_answer", { round_id: second.id, room_code: code, answer: "one" })).answer_id;
  const a2 = (await ok(socks[2], "submit_answer", { round_id: second.id, room_code: code, answer: "two" })).answer_id;
  await refused(socks[1], "start_voting", { round_id: second.id, room_code: code }, "not_host");
  const voting = (await ok(socks[0], "start_voting", { round_id: second.id, room_code: code })).round;
  check(voting?.status === "voting", `start_voting: ${JSON.stringify(voting)}`);
  await allSeeVoting(second.id, 2);
  await refused(socks[2], "submit_vote", { round_id: second.id, room_code: code, answer_id: a2 }, "own_answer");
  await ok(socks[0], "submit_vote", { round_id: second.id, room_code: code, answer_id: a1 });
  expected[ids[1]] += 1;
  await ok(socks[3], "submit_vote", { round_id: second.id, room_code: code, answer_id: a2 });
  expected[ids[2]] += 1;
  const ended = await ok(socks[0], "end_round", { round_id: second.id, room_code: code });
  check(ended.round?.status === "finished" && Array.isArray(ended.leaderboard), `end_round: ${JSON.stringify(ended)}`);
  for (const e of await everyone("round_ended", (p) => p.round_id === second.id)) {
    check(e.round_number === 2 && e.results?.length === 2, `round_ended 2: ${JSON.stringify(e)}`);
  }

  // After the last round, next_round ends the game for everyone.
  const done = await ok(socks[0], "next_round", { room_code: code });
  check(Array.isArray(done.final_leaderboard), `last next_round: ${JSON.stringify(done)}`);
  const gameEndedBy = {};
  for (const s of socks) {
    const g = await waitFor(s, "game_ended");
    gameEndedBy[s.player.id] = g.final_leaderboard;
  }
  console.log(JSON.stringify({
    ok: true,
    final_leaderboard: done.final_leaderboard,
    expected_scores: expected,
    events,
    game_ended_by: gameEndedBy,
  }));
  for (const s of socks) s.close();
  process.exit(0);
} catch (e) {
  fail(String(e?.stack || e));
}
