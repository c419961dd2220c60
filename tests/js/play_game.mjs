// Plays a whole two-round game with the official socket.io-client, as four browsers would.
// Usage: node play_game.mjs <config.json>; prints one JSON line with the outcome.
import { io } from "socket.io-client";
import { readFileSync } from "node:fs";

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const TIMEOUT = 10_000;
const fail = (why) => {
  console.error(why);
  process.exit(1);
};
setTimeout(() => fail("timed out"), 40_000).unref();

const events = {};
const socks = cfg.players.map((p) => {
  const s = io(cfg.base, {
    transports: [cfg.transport],
    reconnection: false,
    auth: p.use_cookie ? undefined : { token: p.token },
    extraHeaders: p.use_cookie ? { Cookie: `access_token=${p.token}` } : undefined,
  });
  s.inbox = [];
  s.onAny((name, payload) => {
    s.inbox.push([name, payload]);
    events[name] = (events[name] || 0) + 1;
  });
  return s;
});

const waitFor = (s, name, pred = () => true) =>
  new Promise((resolve, reject) => {
    const found = s.inbox.find(([n, p]) => n === name && pred(p));
    if (found) return resolve(found[1]);
    const timer = setTimeout(() => reject(new Error(`no ${name}`)), TIMEOUT);
    const listener = (n, p) => {
      if (n === name && pred(p)) {
        clearTimeout(timer);
        s.offAny(listener);
        resolve(p);
      }
    };
    s.onAny(listener);
  });

const ok = async (s, event, payload) => {
  const ack = await s.timeout(TIMEOUT).emitWithAck(event, payload);
  if (!ack || ack.ok !== true) fail(`${event} ${JSON.stringify(payload)} -> ${JSON.stringify(ack)}`);
  return ack.data;
};
const refused = async (s, event, payload, code) => {
  const ack = await s.timeout(TIMEOUT).emitWithAck(event, payload);
  if (!ack || ack.ok !== false || ack.error?.code !== code) {
    fail(`${event} expected ${code}, got ${JSON.stringify(ack)}`);
  }
};

try {
  await Promise.all(
    socks.map((s) => new Promise((res, rej) => {
      s.on("connect", res);
      s.on("connect_error", (e) => rej(e));
    })),
  );
  const code = cfg.code;
  for (const s of socks) {
    await ok(s, "join_room", { room_code: code });
    await waitFor(s, "room_state");
  }
  const ids = cfg.players.map((p) => p.id);
  const expected = Object.fromEntries(ids.map((id) => [id, 0]));

  // A full round: everyone answers and votes, so both phases end by themselves.
  const fullRound = async (roundId) => {
    const answerIds = {};
    for (const [i, s] of socks.entries()) {
      const d = await ok(s, "submit_answer", { round_id: roundId, room_code: code, answer: `answer ${i}` });
      answerIds[i] = d.answer_id;
    }
    await allSeeVoting(roundId);
    await refused(socks[1], "submit_vote", { round_id: roundId, room_code: code, answer_id: answerIds[1] }, "own_answer");
    for (const i of [0, 1, 2, 3]) {
      const target = (i + 1) % 4;
      await ok(socks[i], "submit_vote", { round_id: roundId, room_code: code, answer_id: answerIds[target] });
      expected[ids[target]] += 1;
    }
    for (const s of socks) await waitFor(s, "round_ended", (p) => p.round_id === roundId);
  };
  // A hosted round: two answer, the host starts voting early and ends the round early.
  const hostedRound = async (roundId) => {
    const a1 = (await ok(socks[1], "submit_answer", { round_id: roundId, room_code: code, answer: "one" })).answer_id;
    const a2 = (await ok(socks[2], "submit_answer", { round_id: roundId, room_code: code, answer: "two" })).answer_id;
    await refused(socks[1], "start_voting", { round_id: roundId, room_code: code }, "not_host");
    await ok(socks[0], "start_voting", { round_id: roundId, room_code: code });
    await allSeeVoting(roundId);
    await ok(socks[0], "submit_vote", { round_id: roundId, room_code: code, answer_id: a1 });
    expected[ids[1]] += 1;
    await ok(socks[3], "submit_vote", { round_id: roundId, room_code: code, answer_id: a2 });
    expected[ids[2]] += 1;
    const ended = await ok(socks[0], "end_round", { round_id: roundId, room_code: code });
    if (!Array.isArray(ended.leaderboard)) fail("end_round without leaderboard");
    for (const s of socks) await waitFor(s, "round_ended", (p) => p.round_id === roundId);
  };
  const allSeeVoting = async (roundId) => {
    for (const s of socks) {
      const v = await waitFor(s, "voting_started", (p) => p.round_id === roundId);
      if (v.answers.some((a) => "author_id" in a)) fail("authors revealed while voting");
    }
  };

  const first = await ok(socks[0], "start_game", { room_code: code });
  for (const s of socks) await waitFor(s, "game_started");
  await fullRound(first.round.id);
  const second = await ok(socks[0], "next_round", { room_code: code });
  for (const s of socks) await waitFor(s, "round_started");
  await hostedRound(second.round.id);
  const done = await ok(socks[0], "next_round", { room_code: code });
  for (const s of socks) await waitFor(s, "game_ended");
  console.log(JSON.stringify({ ok: true, final_leaderboard: done.final_leaderboard, expected_scores: expected, events }));
  for (const s of socks) s.close();
  process.exit(0);
} catch (e) {
  fail(String(e?.stack || e));
}
