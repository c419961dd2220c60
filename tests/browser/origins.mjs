// The web client served from another origin than the game server's (a tiny static server in the
// Rust test serves the same web/dist, its <meta name="vg-api"> pointing at the server).
//
//   mode "allowed": the page's origin is in ALLOWED_ORIGINS. Two players sign up, create and
//     join a room by its share link and play a one-round game, with the client's default
//     transports: each connection must start with long-polling (answered with credentialed
//     CORS for that origin) and then upgrade that same session to WebSocket.
//   mode "foreign": the page's origin is not listed. A player who signed in on the server's own
//     page (so the browser holds the auth cookie) opens the foreign page: signing in, the
//     start-up check and the official client with default options must all be refused (CORS).
//   mode "hijack": the same player and page, the official client over WebSocket only: browsers
//     apply no CORS to WebSockets and send the same-site cookie along, so only the server's
//     check of a cookie-authenticated handshake's Origin can refuse it.
//   mode "login-csrf": a visitor with no session opens the unlisted page, which auto-submits a
//     form (text/plain, so no preflight) signing the browser into the attacker's account
//     (`email`); the server must answer no cookie.
//
// Usage: node origins.mjs <config.json>  with {mode, api, page, email?, shots?}
// Prints one JSON line {ok: true, ...} on success, or exits non-zero with the reason.

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { PHONE, Player, assert, assertEq, at, config, guard, launch, signUp, timeline } from "./lib.mjs";

const fail = guard("origins.mjs", 90_000);
const cfg = config();
const browser = await launch();
let error = null;
let report = null;
try {
  report =
    cfg.mode === "allowed"
      ? await allowed()
      : cfg.mode === "login-csrf"
        ? await loginCsrf()
        : await foreign(cfg.mode === "hijack");
} catch (e) {
  error = e;
} finally {
  await browser.close().catch(() => {});
}
if (error) fail(error?.stack || String(error));
console.log(JSON.stringify({ ok: true, ...report, timeline }));
process.exit(0);

async function allowed() {
  const { api, page } = cfg;
  const host = await Player.open(browser, "Olu", PHONE);
  const guest = await Player.open(browser, "Ines", PHONE);
  const both = [host, guest];

  at("the host signs up on the other origin and creates a room");
  await host.goto(`${page}/`);
  await host.waitScreen("auth");
  await signUp(host, "Olu");
  await host.waitScreen("home");
  await host.waitConnected();
  await host.page.getByLabel("Rounds").selectOption("1");
  // The live count below is what shows the vote crossed origins: counts shown while voting.
  await host.page.getByLabel("Hide votes until the reveal").uncheck();
  await host.page.getByRole("button", { name: "Create room" }).click();
  await host.waitScreen("lobby");
  const code = (await host.text(".big-code")).trim();
  // The share link is the page's own origin, not the API's.
  assertEq(await host.text(".share-link"), `${page}/r/${code}`, "share link");

  at("the guest opens the share link and joins with a nickname");
  await guest.goto(`${page}/r/${code}`);
  await guest.waitScreen("join");
  await guest.waitText(guest.page.locator(".join-host"), "Olu is hosting");
  await guest.page.getByLabel("Your nickname").fill("Ines");
  await guest.page.getByRole("button", { name: "Join game" }).click();
  await guest.waitScreen("lobby");
  for (const p of both) {
    await p.waitFor(
      async () => (await p.page.locator('.presence[data-connected="true"]').count()) === 2,
      () => "both players connected in the lobby",
    );
  }

  at("a one-round game");
  await host.page.getByRole("button", { name: "Start game" }).click();
  for (const p of both) await p.waitScreen("answer");
  await host.page.getByLabel("Your answer").fill("Across the origins");
  await host.page.getByRole("button", { name: "Send answer" }).click();
  await guest.page.getByLabel("Your answer").fill("CORS and effect");
  await guest.page.getByRole("button", { name: "Send answer" }).click();
  for (const p of both) await p.waitScreen("vote");
  await host.page.locator(".answer-card", { hasText: "CORS and effect" }).getByRole("button", { name: /Vote/ }).click();
  await guest.waitFor(
    async () =>
      (await guest.page.locator(".answer-card", { hasText: "CORS and effect" }).locator(".votes-num").innerText()) === "1",
    () => "the host's vote on the guest's screen",
  );
  await guest.page.locator(".answer-card", { hasText: "Across the origins" }).getByRole("button", { name: /Vote/ }).click();
  for (const p of both) await p.waitScreen("reveal");
  await host.page.getByRole("button", { name: "Show final results" }).click();
  for (const p of both) await p.waitScreen("podium");
  for (const p of both) await p.waitText(p.page.locator("h1"), "win");

  at("each connection: long-polling first, with CORS for this origin, then the WebSocket upgrade");
  const apiWs = api.replace(/^http/, "ws");
  const seen = {};
  for (const p of both) {
    const first = p.sio[0];
    assert(first?.kind === "polling", `${p.name}: the first Socket.IO request is long-polling: ${JSON.stringify(p.sio.slice(0, 3))}`);
    assert(first.url.startsWith(`${api}/socket.io/?EIO=4&transport=polling`) && !/[?&]sid=/.test(first.url), `handshake URL ${first.url}`);
    assertEq([first.status, first.acao, first.acac], [200, page, "true"], `${p.name}: handshake CORS`);
    const polls = p.sio.filter((e) => e.kind === "polling");
    assert(polls.every((e) => e.acao === page && e.acac === "true"), `${p.name}: every poll has CORS: ${JSON.stringify(polls)}`);
    const ws = p.sio.find((e) => e.kind === "websocket");
    assert(ws && ws.url.startsWith(`${apiWs}/socket.io/?EIO=4&transport=websocket&sid=`), `${p.name}: upgrade of the polling session: ${JSON.stringify(p.sio)}`);
    assertEq(await p.page.locator("#conn").getAttribute("data-transport"), "websocket", `${p.name} upgraded`);
    seen[p.name] = { polling: polls.length, websocket: p.sio.filter((e) => e.kind === "websocket").length };
  }

  at("no problems");
  const problems = both.flatMap((p) => p.problems().map((i) => `${p.name}: ${i}`));
  if (problems.length) throw new Error(`problems in the pages:\n${problems.join("\n")}`);
  return { code, transports: seen };
}

async function foreign(hijack) {
  const { api, page } = cfg;
  const eve = await Player.open(browser, "Mallory", PHONE);
  // On the foreign page, what CORS refusals make the browser log is the expected outcome.
  const corsNoise = (i) => /blocked by CORS policy|net::ERR_FAILED/.test(i);

  // The official client itself (its browser build), loaded into a page of ours. Evaluated
  // through the DevTools protocol, so the server's own page's CSP does not stop it.
  const require = createRequire(import.meta.url);
  const clientDir = dirname(require.resolve("socket.io-client/package.json"));
  const clientJs = readFileSync(join(clientDir, "dist/socket.io.min.js"), "utf8");
  const tryConnect = async (opts) => {
    await eve.page.evaluate(clientJs);
    return eve.page.evaluate(
      ({ api, opts }) =>
        new Promise((resolve) => {
          const s = window.io(api, { ...opts, reconnection: false, timeout: 5000 });
          const done = (what) => {
            s.close();
            resolve(what);
          };
          s.on("connect", () => done(`connected (${s.io.engine.transport.name})`));
          s.on("connect_error", (e) => done(`connect_error: ${e.message}`));
        }),
      { api, opts },
    );
  };

  at("sign in on the server's own page (the browser now holds the auth cookie)");
  await eve.goto(`${api}/`);
  await eve.waitScreen("auth");
  const email = await signUp(eve, "Mallory");
  await eve.waitScreen("home");
  await eve.waitConnected();
  const cookies = await eve.context.cookies(api);
  assert(cookies.some((c) => c.name === "access_token"), "the auth cookie is set");
  if (hijack) {
    // The control: from the server's own page the same client does connect with the cookie.
    const own = await tryConnect({ transports: ["websocket"] });
    assertEq(own, "connected (websocket)", "WebSocket-only with the cookie from the server's own page");
  }
  const cleanOnOwnOrigin = eve.problems();
  assertEq(cleanOnOwnOrigin, [], "no problems on the server's own page");
  eve.expected = corsNoise;

  await eve.goto(`${page}/`);
  await eve.waitScreen("auth");
  if (!hijack) {
    at("on the unlisted origin, signing in is refused");
    await eve.page.getByRole("button", { name: "Sign in" }).first().click();
    await eve.page.getByLabel("Email").fill(email);
    await eve.page.getByLabel("Password").fill("password123");
    await eve.page.locator("form button[type=submit]").click();
    await eve.waitText(eve.page.locator(".form-error"), "Can't reach the game server");
    assertEq(await eve.screen(), "auth", "still signed out there");

    at("on the unlisted origin, the start-up check is refused even with the cookie");
    await eve.page.evaluate(() => localStorage.setItem("vg.signedIn", "1"));
    await eve.reload();
    await eve.waitScreen("boot-error");
    await eve.waitText(eve.page.locator(".form-error"), "Can't reach the game server");
  }

  let outcome;
  if (!hijack) {
    at("on the unlisted origin, the official client with default options is refused (CORS)");
    outcome = await tryConnect({ withCredentials: true });
    assert(outcome.startsWith("connect_error"), `default transports from an unlisted origin: ${outcome}`);
  } else {
    at("on the unlisted origin, a WebSocket-only client riding on the cookie is refused (Origin check)");
    // Cross-site WebSocket hijacking: no CORS, the cookie goes along; the server must refuse.
    outcome = await tryConnect({ transports: ["websocket"] });
    assert(outcome.startsWith("connect_error"), `a cookie-authenticated WebSocket from an unlisted origin: ${outcome}`);
  }

  at("no other problems");
  const problems = eve.problems();
  if (problems.length) throw new Error(`unexpected problems:\n${problems.join("\n")}`);
  return { outcome };
}

async function loginCsrf() {
  const { api, page, email } = cfg;
  const visitor = await Player.open(browser, "Vera", PHONE);
  at("a visitor with no session opens the unlisted page, which posts a sign-in form to the server");
  await visitor.goto(`${page}/`);
  // The classic text/plain trick: the field name carries the JSON, its value closes it.
  const answered = visitor.page.waitForResponse((r) => r.url() === `${api}/api/auth/login`);
  await visitor.page.evaluate(
    ({ api, email }) => {
      const form = document.createElement("form");
      form.method = "POST";
      form.action = `${api}/api/auth/login`;
      form.enctype = "text/plain";
      const field = document.createElement("input");
      field.name = `{"email":"${email}","password":"password123","pad":"`;
      field.value = `"}`;
      form.append(field);
      document.body.append(form);
      form.submit();
    },
    { api, email },
  );
  const res = await answered;
  const status = res.status();
  at("the browser holds no session");
  const cookies = await visitor.context.cookies(api);
  assert(!cookies.some((c) => c.name === "access_token"), `the attacker's session was set (status ${status})`);
  return { status };
}
