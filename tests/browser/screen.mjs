// The big screen through the web client: the host presents the room (the lobby's "Present"),
// a TV-sized context (1920×1080) opens the screen link, the test reads the QR code off a
// screenshot of the screen's lobby with a QR decoder (jsQR on the PNG, cropped to the QR
// element's box), and a phone (390×844) opens the address it holds, types a nickname and joins. Then a
// one-round game in a room that hides votes, with the screen showing each phase: the question
// and who has answered (ticks, never answers), the answers, the reveal with votes and voters,
// and the podium. Also checks that the screen fits 1280×720 without scrolling, and that no page
// logged an error. Screenshots: screen-{lobby,round,vote,reveal,podium}-{1080p,720p}.png.
//
// Usage: node screen.mjs <config.json>  with {base, shots}
// Prints one JSON line {ok: true, ...} on success, or exits non-zero with the reason.

import jsQR from "jsqr";
import { PNG } from "pngjs";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DESKTOP, PHONE, Player, assert, assertEq, at, config, guard, launch, signUp, timeline } from "./lib.mjs";

const fail = guard("screen.mjs", 120_000);
const cfg = config();
const base = cfg.base;
const shots = cfg.shots;
const TV = { viewport: { width: 1920, height: 1080 } };
const SMALL_TV = { viewport: { width: 1280, height: 720 } };

/** Screenshot of the whole screen (animations run to their end), saved as <name>-<size>.png. */
async function capture(p, name, size) {
  const png = await p.page.screenshot({ fullPage: false, animations: "disabled" });
  if (shots) {
    mkdirSync(shots, { recursive: true });
    writeFileSync(join(shots, `${name}-${size}.png`), png);
  }
  return png;
}

/** The page does not scroll: its content fits the viewport. */
async function fits(p, what) {
  // Measured as it settles: entrance animations (the podium rising) run to their end first.
  await p.page.evaluate(() => document.getAnimations().forEach((a) => a.finish()));
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

/** Reads the QR code inside `locator`'s box from a full-page screenshot `png`. */
async function decodeQr(png, locator) {
  const box = await locator.boundingBox();
  assert(box, "the QR element has a box");
  const img = PNG.sync.read(png);
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const w = Math.min(img.width - x0, Math.ceil(box.width));
  const h = Math.min(img.height - y0, Math.ceil(box.height));
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    const from = ((y0 + y) * img.width + x0) * 4;
    data.set(img.data.subarray(from, from + w * 4), y * w * 4);
  }
  const code = jsQR(data, w, h);
  assert(code, `a QR code decodes from the ${w}×${h} crop at ${x0},${y0}`);
  return code.data;
}

const browser = await launch();
const players = [];
let error = null;
const report = { ok: true };
try {
  const host = await Player.open(browser, "Hana", DESKTOP);
  const tv = await Player.open(browser, "TV", TV);
  const phone = await Player.open(browser, "Pim", PHONE);
  players.push(host, tv, phone);

  at("host signs up and opens a room that hides votes");
  await host.goto(`${base}/`);
  await host.waitScreen("auth");
  await signUp(host, "Hana");
  await host.waitScreen("home");
  await host.waitConnected();
  // The room form on this branch has no hide_votes field yet: the room is made through the API
  // from the host's page (its cookie), then opened like a share link.
  const code = await host.page.evaluate(async () => {
    const res = await fetch("/api/rooms", {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ settings: { max_rounds: 1, answer_seconds: 90, vote_seconds: 90, hide_votes: true } }),
    });
    return (await res.json()).room.code;
  });
  await host.goto(`${base}/r/${code}`);
  await host.waitScreen("join");
  await host.page.getByRole("button", { name: "Join game" }).click();
  await host.waitScreen("lobby");

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
  await tv.waitText(tv.page.locator(".bs-people"), "Hana");
  await fits(tv, "lobby");
  const lobbyPng = await capture(tv, "screen-lobby", "1080p");

  at("the QR code on the screen is read from its screenshot");
  const decoded = await decodeQr(lobbyPng, tv.page.locator(".bs-qr-code"));
  assertEq(decoded, `${base}/r/${code}`, "the QR code holds the join link");
  report.qr = decoded;

  at("a phone opens the scanned address, types a nickname and joins as a guest");
  const joinStarted = Date.now();
  await phone.goto(decoded);
  await phone.waitScreen("join");
  await phone.page.getByLabel("Your nickname").fill("Pim");
  await phone.page.getByRole("button", { name: "Join game" }).click();
  await phone.waitScreen("lobby");
  report.join_ms = Date.now() - joinStarted;
  await tv.waitFor(
    async () => JSON.stringify(await tv.texts(".bs-people .bs-person")) === JSON.stringify(["Hana", "Pim"]),
    () => "Pim on the screen without a reload",
  );
  await tv.waitText(tv.page.locator(".bs-status"), "2 players in");

  at("the host starts: the screen shows the question and who has answered");
  await host.page.getByRole("button", { name: "Start game" }).click();
  await host.waitScreen("answer");
  await phone.waitScreen("answer");
  await tv.page.waitForSelector(".bs[data-phase=answering]");
  const question = (await host.text("h1")).trim();
  await tv.waitText(tv.page.locator(".bs-question"), question.slice(0, 20));
  await tv.waitText(tv.page.locator(".bs-status"), "0 of 2 answered");
  await phone.page.getByLabel("Your answer").fill("A rubber duck");
  await phone.page.getByRole("button", { name: "Send answer" }).click();
  await tv.waitText(tv.page.locator(".bs-status"), "1 of 2 answered");
  await tv.waitText(tv.page.locator('.bs-person[data-answered="true"]'), "Pim");
  await tv.waitText(tv.page.locator('.bs-person[data-answered="false"]'), "Hana");
  const countdown = Number(await tv.text(".bs-countdown"));
  assert(countdown > 0 && countdown <= 90, `the countdown shows ${countdown}`);
  assert(!(await tv.text(".bs")).includes("rubber duck"), "the screen never shows an answer while answering");
  await fits(tv, "round");
  await capture(tv, "screen-round", "1080p");

  at("everyone has answered: the screen shows the answers");
  await host.page.getByLabel("Your answer").fill("Forty-two pancakes");
  await host.page.getByRole("button", { name: "Send answer" }).click();
  await tv.page.waitForSelector(".bs[data-phase=voting]");
  await tv.waitFor(
    async () => JSON.stringify((await tv.texts(".bs-answer")).sort()) === JSON.stringify(["A rubber duck", "Forty-two pancakes"]),
    () => "both answers on the screen",
  );
  await tv.waitText(tv.page.locator(".bs-status").last(), "Vote on your phone");
  await fits(tv, "voting");
  await capture(tv, "screen-vote", "1080p");

  at("votes: the screen counts them, then reveals votes and voters");
  await host.waitScreen("vote");
  await phone.waitScreen("vote");
  await host.page.locator(".answer-card", { hasText: "A rubber duck" }).getByRole("button", { name: /Vote/ }).click();
  await tv.waitText(tv.page.locator(".bs-status").last(), "1 of 2 voted");
  await phone.page.locator(".answer-card", { hasText: "Forty-two pancakes" }).getByRole("button", { name: /Vote/ }).click();
  await tv.page.waitForSelector(".bs[data-phase=finished]");
  await tv.waitFor(async () => (await tv.texts(".bs-result")).length === 2, () => "two results");
  const results = await tv.texts(".bs-result");
  assert(results.some((r) => r.includes("A rubber duck") && r.includes("1 vote") && r.includes("by Pim") && r.includes("Voted by Hana")), `results: ${results}`);
  assert(results.some((r) => r.includes("Forty-two pancakes") && r.includes("by Hana") && r.includes("Voted by Pim")), `results: ${results}`);
  await tv.waitText(tv.page.locator(".bs-board"), "Leaderboard");
  await fits(tv, "reveal");
  await capture(tv, "screen-reveal", "1080p");

  at("a 1280×720 screen fits the reveal too");
  const small = await Player.open(browser, "Small TV", SMALL_TV);
  players.push(small);
  await small.goto(`${base}${link.path}`);
  await small.page.waitForSelector(".bs[data-phase=finished]");
  await fits(small, "reveal");
  await capture(small, "screen-reveal", "720p");

  at("the host shows the final results: the screen shows the podium");
  await host.waitScreen("reveal");
  await host.page.getByRole("button", { name: "Show final results" }).click();
  await tv.page.waitForSelector(".bs-podium");
  await tv.waitText(tv.page.locator(".bs-title"), /Hana and Pim win!|Pim and Hana win!/);
  assertEq((await tv.texts(".bs-step .bs-place")).sort(), ["=1", "=1"], "a tie is marked as on the phones");
  await fits(tv, "podium");
  await capture(tv, "screen-podium", "1080p");
  await small.page.waitForSelector(".bs-podium");
  await fits(small, "podium");
  await capture(small, "screen-podium", "720p");

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
