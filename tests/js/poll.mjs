// Watches and votes in a poll with the official socket.io-client.
// Usage: node poll.mjs <config.json>
//   config: {base, poll_id, option_ids: [id], voters: [token]}
// An anonymous socket subscribes; each voter votes with `vote_poll`; the watcher must see
// `poll_results` with every vote counted. Prints ONE JSON line {ok: true, results} on success,
// or exits non-zero with the reason on stderr. Always exits within ~20 s.
import { io } from "socket.io-client";
import { readFileSync } from "node:fs";

const fail = (why) => {
  console.error(`poll.mjs: ${why}`);
  process.exit(1);
};
process.on("unhandledRejection", (e) => fail(`unhandled rejection: ${e?.stack || e}`));
setTimeout(() => fail("took longer than 20 s"), 20_000).unref();

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
const connect = (auth) =>
  new Promise((resolve, reject) => {
    const s = io(cfg.base, { transports: ["websocket"], reconnection: false, auth });
    s.once("connect", () => resolve(s));
    s.once("connect_error", (e) => reject(new Error(`connect_error: ${e?.message || e}`)));
  });
const request = (s, event, payload) =>
  s.timeout(8_000).emitWithAck(event, payload).then((reply) => {
    if (!reply?.ok) throw new Error(`${event} refused: ${JSON.stringify(reply)}`);
    return reply.data;
  });

const watcher = await connect(undefined);
const want = cfg.voters.length;
const seen = new Promise((resolve) => {
  watcher.on("poll_results", (r) => {
    if (r.poll_id === cfg.poll_id && r.total_votes === want) resolve(r);
  });
});
const sub = await request(watcher, "subscribe_poll", { poll_id: cfg.poll_id });
if (sub.poll?.id !== cfg.poll_id) fail(`subscribe_poll answered ${JSON.stringify(sub)}`);
const voters = await Promise.all(cfg.voters.map((token) => connect({ token })));
await Promise.all(
  voters.map((s, i) =>
    request(s, "vote_poll", { poll_id: cfg.poll_id, option_ids: [cfg.option_ids[i % cfg.option_ids.length]] }),
  ),
);
const results = await seen;
for (const s of [watcher, ...voters]) s.close();
console.log(JSON.stringify({ ok: true, results }));
process.exit(0);
