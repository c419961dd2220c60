// The big screen through the web client, as a party runs it: the host makes a room with the
// web form's defaults for a party (votes hidden until the reveal) and "I play too" unticked,
// so the host runs the game from a phone without a seat in it; presses Present, and a TV-sized
// context (1920×1080) opens the screen link. The test reads the QR code off a screenshot of the
// screen's lobby with a QR decoder (jsQR on the PNG, cropped to the QR element's box), and three
// phones (390×844) open the address it holds, type a nickname and join. Then a two-round game
// with the screen showing each phase: the question and who has answered (ticks, never answers),
// the answers, "n of 3 voted", the reveal (answers one at a time, then authors, then the
// leaderboard with its scores counting up, read off the page's animation timings), the podium;
// then the host's "Play again" and every page, the screen's too, in game 2 without a reload.
// Also checks that the screen fits 1280×720 without scrolling, and that no page logged an
// error. Screenshots: screen-{lobby,round,vote,reveal,podium}-{1080p,720p}.png, and at 390 px the
// host's lobby (lobby-running) and a player's reveal with its voters (reveal-voters).
//
// Usage: node screen.mjs <config.json>  with {base, shots}
// Prints one JSON line {ok: true, ...} on success, or exits non-zero with the reason.

import { PHONE, Player, TV, assert, assertEq, at, capture as captureIn, config, decodeQr, guard, launch, settle, shot, signUp, timeline } from "./lib.mjs";

const fail = guard("screen.mjs", 180_000);
const cfg = config();
const base = cfg.base;
const shots = cfg.shots;
const SMALL_TV = { viewport: { width: 1280, height: 720 } };

/** Screenshot of the whole screen (animations run to their end), saved as <name>-<size>.png. */
const capture = (p, name, size) => captureIn(p, shots, `${name}-${size}`);

/** The page does not scroll: its content fits the viewport. */
async function fits(p, what) {
  // Measured as it settles: entrance animations (the podium rising) run to their end first.
  await settle(p);
  const [sw, sh, w, hgt] = await p.page.evaluate(() => [
    document.documentElement.scrollWidth,
    document.documentElement.scrollHeight,
    window.innerWidth,
    window.innerHeight,
  ]);
  assert(sw <= w && sh <= hgt, `${p.name} ${what} fits ${w}×${hgt} (content ${sw}×${sh})`);
  // Nothing inside the screen is cut off at its bottom either.
  const over = await p.page.evaluate(() => {
    const bs = document.querySelector(".bs");
    if (!bs) return "no .bs";
    const bottom = bs.getBoundingClientRect().bottom;
    const out = [...bs.querySelectorAll("h1, .bs-status, .bs-answer, .bs-result, .bs-code, .bs-qr-code, .bs-step")]
      .filter((e) => e.getBoundingClientRect().bottom > bottom + 1)
      .map((e) => e.className);
    return out.join(", ");
  });
  assertEq(over, "", `${p.name} ${what}: elements below the screen's edge`);
}


const browser = await launch();
const players = [];
let error = null;
const report = { ok: true };
try {
  const host = await Player.open(browser, "Hana", PHONE);
  const tv = await Player.open(browser, "TV", TV);
  const phones = [
    await Player.open(browser, "Pim", PHONE),
    await Player.open(browser, "Quinn", PHONE),
    await Player.open(browser, "Rae", PHONE),
  ];
  const [pim, quinn, rae] = phones;
  players.push(host, tv, ...phones);
  const navigations = new Map(players.map((p) => [p, 0]));
  for (const p of players) {
    p.page.on("framenavigated", (f) => {
      if (f === p.page.mainFrame()) navigations.set(p, navigations.get(p) + 1);
    });
  }

  at("host signs up and makes a room to run, not play, with votes hidden (the form's default)");
  await host.goto(`${base}/`);
  await host.waitScreen("auth");
  await signUp(host, "Hana");
  await host.waitScreen("home");
  await host.waitConnected();
  assertEq(await host.page.getByLabel("Hide votes until the reveal").isChecked(), true, "votes hidden by default");
  await host.page.getByLabel("Rounds").selectOption("2");
  await host.page.getByLabel("I play too").uncheck();
  await host.page.getByRole("button", { name: "Create room" }).click();
  await host.waitScreen("lobby");
  const code = (await host.text(".big-code")).trim();
  await host.waitText(host.page.locator(".chips"), "votes hidden until the reveal");
  await host.waitText(host.page.locator(".hint:visible", { hasText: "running this game" }), "not playing");
  assertEq(await host.page.locator(".player").count(), 0, "the host holds no seat");

  at("host presents: a new tab opens the screen");
  const made = host.page.waitForResponse((r) => r.url().endsWith(`/api/rooms/${code}/screen`) && r.request().method() === "POST");
  const popup = host.context.waitForEvent("page");
  await host.page.getByRole("button", { name: "Present" }).click();
  const link = await (await made).json();
  assertEq(link.path, `/screen/${code}#${link.screen_key}`, "the screen link");
  const tab = await popup;
  await tab.waitForSelector(".bs-lobby");
  assertEq(new URL(tab.url()).hash, "", "the key leaves the address bar once read");
  await tab.close();

  at("the TV opens the screen link");
  await tv.goto(`${base}${link.path}`);
  await tv.page.waitForSelector(".bs-lobby");
  await tv.waitText(tv.page.locator(".bs-code"), code);
  await tv.waitText(tv.page.locator(".bs-address"), `/r/${code}`);
  await tv.waitText(tv.page.locator(".bs-status"), "Waiting for players");
  const lobbyPng = await capture(tv, "screen-lobby-empty", "1080p");

  at("the QR code on the screen is read from its screenshot");
  const decoded = await decodeQr(lobbyPng, tv.page.locator(".bs-qr-code"));
  assertEq(decoded, `${base}/r/${code}`, "the QR code holds the join link");
  report.qr = decoded;

  at("three phones open the scanned address, type a nickname and join as guests");
  report.join_ms = [];
  for (const [i, p] of phones.entries()) {
    const started = Date.now();
    await p.goto(decoded);
    await p.waitScreen("join");
    await p.page.getByLabel("Your nickname").fill(p.name);
    await p.page.getByRole("button", { name: "Join game" }).click();
    await p.waitScreen("lobby");
    report.join_ms.push(Date.now() - started);
    await tv.waitFor(
      async () => JSON.stringify(await tv.texts(".bs-people .bs-person")) === JSON.stringify(phones.slice(0, i + 1).map((x) => x.name)),
      () => `${p.name} on the screen without a reload`,
    );
  }
  await tv.waitText(tv.page.locator(".bs-status"), "3 players in");
  await pim.waitText(pim.page.locator(".waiting"), "Waiting for Hana to start the game");
  await host.page.evaluate(() => scrollTo(0, 0));
  await shot(host, shots, "lobby-running", "phone");
  await fits(tv, "lobby");
  await capture(tv, "screen-lobby", "1080p");

  const card = (p, text) => p.page.locator(".answer-card", { hasText: text });
  const answerAll = async (answers) => {
    for (const p of phones) {
      await p.page.getByLabel("Your answer").fill(answers[p.name]);
      await p.page.getByRole("button", { name: "Send answer" }).click();
    }
  };

  at("the host starts: the screen shows the question and who has answered");
  await host.page.getByRole("button", { name: "Start game" }).click();
  for (const p of phones) await p.waitScreen("answer");
  await host.waitScreen("answer");
  await host.waitText(host.page.locator(".done-card:visible"), "You're running this round");
  assertEq(await host.page.getByLabel("Your answer").isVisible(), false, "the host who doesn't play never answers");
  await tv.page.waitForSelector(".bs[data-phase=answering]");
  const question = (await pim.text("h1")).trim();
  await tv.waitText(tv.page.locator(".bs-question"), question.slice(0, 20));
  await tv.waitText(tv.page.locator(".bs-status"), "0 of 3 answered");
  await pim.page.getByLabel("Your answer").fill("A rubber duck");
  await pim.page.getByRole("button", { name: "Send answer" }).click();
  await tv.waitText(tv.page.locator(".bs-status"), "1 of 3 answered");
  await tv.waitText(tv.page.locator('.bs-person[data-answered="true"]'), "Pim");
  assertEq(await tv.page.locator('.bs-person[data-answered="false"]').count(), 2, "two still writing");
  await host.waitText(host.page.locator(".progress-text"), "1 of 3 answered");
  const countdown = Number(await tv.text(".bs-countdown"));
  assert(countdown > 0 && countdown <= 60, `the countdown shows ${countdown}`);
  assert(!(await tv.text(".bs")).includes("rubber duck"), "the screen never shows an answer while answering");
  await fits(tv, "round");
  await capture(tv, "screen-round", "1080p");

  at("everyone has answered: the screen shows the answers");
  for (const p of [quinn, rae]) {
    await p.page.getByLabel("Your answer").fill(p === quinn ? "Forty-two pancakes" : "A very polite volcano");
    await p.page.getByRole("button", { name: "Send answer" }).click();
  }
  await tv.page.waitForSelector(".bs[data-phase=voting]");
  await tv.waitFor(
    async () =>
      JSON.stringify((await tv.texts(".bs-answer")).sort()) ===
      JSON.stringify(["A rubber duck", "A very polite volcano", "Forty-two pancakes"]),
    () => "the three answers on the screen",
  );
  await tv.waitText(tv.page.locator(".bs-status").last(), "Vote on your phone");
  await fits(tv, "voting");
  await capture(tv, "screen-vote", "1080p");

  at("votes: the screen and phones count them, never for what");
  for (const p of phones) await p.waitScreen("vote");
  await host.waitScreen("vote");
  assertEq(await host.page.locator(".vote-btn:visible").count(), 0, "the host who doesn't play never votes");
  await card(pim, "Forty-two pancakes").getByRole("button", { name: /Vote/ }).click();
  await tv.waitText(tv.page.locator(".bs-status").last(), "1 of 3 voted");
  await rae.waitText(rae.page.locator(".progress-text"), "1 of 3 voted");
  assertEq(await rae.page.locator(".answer-card .votes:visible").count(), 0, "no counts on the phones while voting");
  await card(quinn, "A rubber duck").getByRole("button", { name: /Vote/ }).click();
  await card(rae, "Forty-two pancakes").getByRole("button", { name: /Vote/ }).click();

  at("the reveal: answers one at a time, then authors, then the leaderboard counting up");
  await tv.page.waitForSelector(".bs[data-phase=finished]");
  await tv.waitFor(async () => (await tv.texts(".bs-result")).length === 3, () => "three results");
  const timing = await tv.page.evaluate(() => {
    const delay = (el) => parseFloat(getComputedStyle(el).animationDelay);
    return {
      results: [...document.querySelectorAll(".bs-result")].map(delay),
      authors: [...document.querySelectorAll(".bs-author")].map(delay),
      board: delay(document.querySelector(".bs-board")),
    };
  });
  // Listed most votes first; the most voted comes up last.
  assert(timing.results[0] > timing.results[1] && timing.results[1] > timing.results[2], `answers one at a time: ${JSON.stringify(timing)}`);
  assert(Math.min(...timing.authors) > Math.max(...timing.results), `authors after every answer: ${JSON.stringify(timing)}`);
  assert(timing.board > Math.max(...timing.authors), `the leaderboard last: ${JSON.stringify(timing)}`);
  const results = await tv.texts(".bs-result");
  assert(
    results.some((r) => r.includes("Forty-two pancakes") && r.includes("2 votes") && r.includes("by Quinn") && r.includes("Voted by Pim, Rae")),
    `results: ${results}`,
  );
  assert(results.some((r) => r.includes("A rubber duck") && r.includes("by Pim") && r.includes("Voted by Quinn")), `results: ${results}`);
  await tv.waitFor(
    async () => JSON.stringify(await tv.texts(".bs-board .bs-score")) === JSON.stringify(["2", "1", "0"]),
    () => "the leaderboard's scores counted up to 2, 1, 0",
    15_000,
  );
  await quinn.waitScreen("reveal");
  await quinn.waitText(quinn.page.locator(".result.mine .voters"), "Voted for you: Pim, Rae");
  await pim.waitText(pim.page.locator(".result.mine .voters"), "Voted for you: Quinn");
  await shot(quinn, shots, "reveal-voters", "phone");
  await fits(tv, "reveal");
  await capture(tv, "screen-reveal", "1080p");

  at("a 1280×720 screen fits the reveal too");
  const small = await Player.open(browser, "Small TV", SMALL_TV);
  players.push(small);
  await small.goto(`${base}${link.path}`);
  await small.page.waitForSelector(".bs[data-phase=finished]");
  await fits(small, "reveal");
  await capture(small, "screen-reveal", "720p");

  at("round 2, run from the host's phone, to the podium");
  await host.waitScreen("reveal");
  await host.page.getByRole("button", { name: "Start round 2" }).click();
  for (const p of phones) await p.waitScreen("answer");
  await tv.waitText(tv.page.locator(".bs-round"), "Round 2 of 2");
  await answerAll({ Pim: "Soup with a view", Quinn: "A nap", Rae: "Thunder biscuits" });
  for (const p of phones) await p.waitScreen("vote");
  await card(pim, "Thunder biscuits").getByRole("button", { name: /Vote/ }).click();
  await card(quinn, "Soup with a view").getByRole("button", { name: /Vote/ }).click();
  await card(rae, "Soup with a view").getByRole("button", { name: /Vote/ }).click();
  await host.waitScreen("reveal");
  await host.page.getByRole("button", { name: "Show final results" }).click();
  await tv.page.waitForSelector(".bs-podium");
  await tv.waitText(tv.page.locator(".bs-title"), "Pim wins!");
  for (const p of phones) await p.waitScreen("podium");
  await fits(tv, "podium");
  await capture(tv, "screen-podium", "1080p");
  await small.page.waitForSelector(".bs-podium");
  await fits(small, "podium");
  await capture(small, "screen-podium", "720p");

  at("Play again: every page, the screen's too, follows game 2 without a reload");
  for (const p of players) await p.page.evaluate(() => (window.__vgMarker = "game 1"));
  const before = new Map(players.map((p) => [p, navigations.get(p)]));
  await host.waitScreen("podium");
  await host.page.getByRole("button", { name: "Play again" }).click();
  for (const p of phones) {
    await p.waitScreen("answer");
    await p.waitText(p.page.locator(".eyebrow"), "Game 2 · Round 1 of 2");
  }
  await tv.page.waitForSelector(".bs[data-phase=answering]");
  await tv.waitText(tv.page.locator(".bs-status"), "0 of 3 answered");
  await tv.waitText(tv.page.locator(".bs-round"), "Round 1 of 2");
  for (const p of players) {
    assertEq(await p.page.evaluate(() => window.__vgMarker), "game 1", `${p.name}'s page was not reloaded`);
    assertEq(navigations.get(p), before.get(p), `${p.name} did not navigate`);
  }

  at("a 1280×720 lobby fits");
  const fresh = await host.page.evaluate(async () => {
    const res = await fetch("/api/rooms", {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ settings: { max_rounds: 1 } }),
    });
    const room = (await res.json()).room.code;
    const s = await fetch(`/api/rooms/${room}/screen`, { method: "POST", credentials: "include" });
    return (await s.json()).path;
  });
  await small.goto(`${base}${fresh}`);
  await small.page.waitForSelector(".bs-lobby");
  await fits(small, "lobby");
  const smallPng = await capture(small, "screen-lobby", "720p");
  assertEq(await decodeQr(smallPng, small.page.locator(".bs-qr-code")), `${base}/r/${fresh.slice(8, 14)}`, "the 720p QR code");

  at("revoking the link ends the screen");
  const code2 = fresh.slice(8, 14);
  await host.page.evaluate(async (c) => {
    await fetch(`/api/rooms/${c}/screen`, { method: "DELETE", credentials: "include" });
  }, code2);
  await small.waitText(small.page.locator(".bs-message"), "closed this screen link");
} catch (e) {
  error = e;
}

const problems = players.flatMap((p) => p.problems().map((x) => `${p.name}: ${x}`));
await browser.close().catch(() => {});
if (error) fail(error.stack || String(error));
if (problems.length) fail(`problems in the pages:\n${problems.join("\n")}`);
at("done");
console.log(JSON.stringify({ ...report, timeline }));
