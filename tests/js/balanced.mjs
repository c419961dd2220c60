// Two official socket.io-client instances through a load balancer, with the client's default
// transports (HTTP long-polling first, then the upgrade to a WebSocket) and its Node.js cookie
// jar on (`withCredentials`), as a browser keeps cookies: each must connect, stay on one node
// through the upgrade, and hear the other join the room (the event crosses nodes when they
// landed on different ones). Usage: node balanced.mjs <config.json>
//   config: {base, code, players: [{token, user_id}]}
// Prints ONE JSON line {ok: true, clients: [{transport, upgraded_ms, heard}]} and exits 0, or
// exits non-zero with the reason on stderr. Always exits within ~30 s.
import { io } from "socket.io-client";
import { readFileSync } from "node:fs";

const fail = (why) => {
  console.error(`balanced.mjs: ${why}`);
  process.exit(1);
};
process.on("unhandledRejection", (e) => fail(`unhandled rejection: ${e?.stack || e}`));
setTimeout(() => fail("took longer than 30 s"), 30_000).unref();

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));

/** Connects one player (defaults: polling, then upgrade) and joins the room. */
async function open(player) {
  const started = Date.now();
  const s = io(cfg.base, { withCredentials: true, reconnection: false, auth: { token: player.token } });
  // The engine starts with its first transport at once; the upgrade comes after the handshake.
  const engine = s.io.engine;
  const first = engine?.transport?.name;
  let upgraded = null;
  engine?.on("upgrade", () => (upgraded = Date.now() - started));
  const joined = [];
  s.on("player_joined", (p) => joined.push(p.user_id));
  s.on("connect_error", (e) => fail(`connect_error: ${e?.message || e}`));
  s.on("disconnect", (why) => {
    if (!closing) fail(`disconnected: ${why}`);
  });
  await new Promise((resolve) => s.on("connect", resolve));
  if (first !== "polling") fail(`the first transport was ${first}, not polling`);
  // The upgrade: a WebSocket to the same node (the balancer's cookie), then polling stops.
  const until = Date.now() + 5_000;
  while (upgraded === null && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  if (upgraded === null) fail("no upgrade to a WebSocket within 5 s");
  const ack = await s.timeout(5_000).emitWithAck("join_room", { room_code: cfg.code });
  if (!ack?.ok) fail(`join_room refused: ${JSON.stringify(ack)}`);
  return { s, joined, upgraded };
}

let closing = false;
const [a, b] = [await open(cfg.players[0]), await open(cfg.players[1])];
// A hears B arrive: a broadcast from B's node to A's.
const until = Date.now() + 5_000;
while (!a.joined.includes(cfg.players[1].user_id) && Date.now() < until) {
  await new Promise((r) => setTimeout(r, 20));
}
// A few more round trips on the upgraded sockets: still the same session on the same node.
for (const c of [a, b]) {
  const ack = await c.s.timeout(5_000).emitWithAck("join_room", { room_code: cfg.code });
  if (!ack?.ok) fail(`a second join_room refused: ${JSON.stringify(ack)}`);
}
const report = {
  ok: true,
  clients: [a, b].map((c, i) => ({
    transport: c.s.io.engine.transport.name,
    upgraded_ms: c.upgraded,
    heard: i === 0 ? c.joined.includes(cfg.players[1].user_id) : true,
  })),
};
closing = true;
a.s.close();
b.s.close();
console.log(JSON.stringify(report));
process.exit(0);
