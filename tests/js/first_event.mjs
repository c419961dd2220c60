// Opens many fresh connections with the official socket.io-client, each emitting its first
// event right in its `connect` handler (as the web client and most clients do), and counts the
// events that got an acknowledgement. Usage: node first_event.mjs <config.json>
//   config: {base, poll_id, tokens: [token], connections, at_once}
// Prints ONE JSON line {ok: true, acked, missed, refused} and exits 0, or exits non-zero with the
// reason on stderr. Always exits within ~60 s.
import { io } from "socket.io-client";
import { readFileSync } from "node:fs";

const fail = (why) => {
  console.error(`first_event.mjs: ${why}`);
  process.exit(1);
};
process.on("unhandledRejection", (e) => fail(`unhandled rejection: ${e?.stack || e}`));
setTimeout(() => fail("took longer than 60 s"), 60_000).unref();

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));
let acked = 0;
let missed = 0;
let refused = 0;

// One connection: its first event goes out from inside `connect`, and it waits 3 s for the ack
// (an idle server answers in milliseconds; a dropped event never answers).
const once = (token) =>
  new Promise((resolve) => {
    const s = io(cfg.base, { transports: ["websocket"], reconnection: false, auth: { token } });
    s.on("connect", () => {
      s.timeout(3_000).emit("subscribe_poll", { poll_id: cfg.poll_id }, (err, reply) => {
        if (err) missed += 1;
        else if (reply?.ok) acked += 1;
        else refused += 1;
        s.close();
        resolve();
      });
    });
    s.on("connect_error", (e) => fail(`connect_error: ${e?.message || e}`));
  });

for (let done = 0; done < cfg.connections; done += cfg.at_once) {
  const wave = [];
  for (let i = 0; i < cfg.at_once && done + i < cfg.connections; i += 1) {
    wave.push(once(cfg.tokens[(done + i) % cfg.tokens.length]));
  }
  await Promise.all(wave);
}
console.log(JSON.stringify({ ok: true, acked, missed, refused }));
process.exit(0);
