// Memory per idle Socket.IO connection (issue 23, target 5): opens N WebSockets the way a
// client with `transports: ["websocket"]` does (engine.io v4, then a connect to "/"), keeps them
// idle, and prints the server's RSS growth per socket as one JSON line.
//
//   node scripts/idle-memory.mjs PORT SERVER_PID [N=2000]
//
// Measure a freshly started server, once: a second batch reuses what the allocator kept from
// the first and reads as nearly free. The server must allow N sockets from one address
// (MAX_SOCKETS_PER_IP). Uses the `ws` package installed in tests/js (npm ci --prefix tests/js).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(fileURLToPath(new URL("../tests/js/", import.meta.url)));
const WebSocket = require("ws");

const [port, pid, n = 2000] = process.argv.slice(2).map(Number);
if (!port || !pid) {
  console.error("usage: node scripts/idle-memory.mjs PORT SERVER_PID [N]");
  process.exit(2);
}
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))[1]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function open() {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    ws.on("message", (data) => {
      const text = data.toString();
      if (text.startsWith("0{")) ws.send("40"); // engine.io open: connect to "/"
      else if (text.startsWith("40")) resolve(true); // connected
      else if (text.startsWith("44")) resolve(false); // refused
      else if (text === "2") ws.send("3"); // ping
    });
    ws.on("error", () => resolve(false));
  });
}

await sleep(500);
const before = rssKb();
let connected = 0;
for (let i = 0; i < n; i += 100) {
  const batch = await Promise.all(Array.from({ length: Math.min(100, n - i) }, open));
  connected += batch.filter(Boolean).length;
}
await sleep(3000); // let the handshakes' transient allocations go
const after = rssKb();
console.log(JSON.stringify({
  sockets: n, connected, rss_before_kb: before, rss_after_kb: after,
  kb_per_socket: Number(((after - before) / Math.max(connected, 1)).toFixed(1)),
}));
process.exit(connected === n ? 0 : 1);
