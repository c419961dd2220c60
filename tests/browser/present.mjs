// A poll's presenter view through the web client: Ana (desktop) makes a poll that allows
// anonymous votes; its page shows the short code and link and a Present button (also on a
// 390 px phone). A projector-sized context (1920×1080) opens the presenter view from that
// button's address; the test reads the QR code off a screenshot (jsQR on the PNG, cropped to the
// QR element's box), checks it is the poll's `/p/CODE` link, opens that link on a phone without
// an account and votes there, and the presenter's bars and total follow without a reload. The
// view fits 1920×1080 and 1280×720 without scrolling, a busy poll (a 200-character question,
// twelve options) too. No page logs an error. Screenshots: poll-presenter-{1080p,720p,busy-720p}.png,
// poll-share-phone.png.
//
// Usage: node present.mjs <config.json>  with {base, shots}
// Prints one JSON line {ok: true, qr, code, poll} on success, or exits non-zero with the reason.

import { DESKTOP, PHONE, Player, TV, assert, assertEq, at, capture as captureIn, config, decodeQr, guard, launch, settle, signUp, timeline } from "./lib.mjs";

const fail = guard("present.mjs", 110_000);
const cfg = config();
const base = cfg.base;
const shots = cfg.shots;
const SMALL_TV = { viewport: { width: 1280, height: 720 } };

/** A settled screenshot, saved as <name>.png. */
const capture = (p, name) => captureIn(p, shots, name);

/** Nothing scrolls, and every part of the view is inside the window. */
async function fits(p, what) {
  await settle(p);
  const r = await p.page.evaluate(() => {
    const parts = [...document.querySelectorAll(".pr-question, .pr-bar, .pr-total, .pr-qr, .pr-address, .pr-code")];
    return {
      sh: document.scrollingElement.scrollHeight,
      sw: document.scrollingElement.scrollWidth,
      w: innerWidth,
      h: innerHeight,
      parts: parts.length,
      outside: parts
        .filter((e) => {
          const b = e.getBoundingClientRect();
          return b.bottom > innerHeight + 1 || b.right > innerWidth + 1 || b.top < -1 || b.left < -1 || b.height < 4;
        })
        .map((e) => `${e.className} ${e.textContent.slice(0, 20)}`),
      header: !!document.querySelector(".topbar")?.checkVisibility(),
    };
  });
  assert(r.sh <= r.h && r.sw <= r.w, `${p.name} ${what} fits ${r.w}×${r.h} (content ${r.sw}×${r.sh})`);
  assert(r.parts >= 6, `${p.name} ${what}: the parts are there (${r.parts})`);
  assertEq(r.outside, [], `${p.name} ${what}: parts outside the window`);
  assertEq(r.header, false, `${p.name} ${what}: no site header on the projector`);
}


/** Creates a poll from `p`'s page (its auth cookie). */
function createPoll(p, body) {
  return p.page.evaluate(async (b) => {
    const res = await fetch("/api/polls", {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(b),
    });
    return (await res.json()).poll;
  }, body);
}

const live = (p) => p.page.locator(".pr").getAttribute("data-live").then((v) => v === "true");
const bar = (p, text) => p.page.locator(".pr-bar", { hasText: text });

const browser = await launch();
const players = [];
let error = null;
const report = { ok: true };
try {
  const ana = await Player.open(browser, "Ana", DESKTOP);
  players.push(ana);

  at("Ana signs up and makes a poll open to anonymous votes");
  await ana.goto(`${base}/`);
  await ana.waitScreen("auth");
  await signUp(ana, "Ana");
  await ana.waitScreen("home");
  const poll = await createPoll(ana, {
    question: "Which talk should close the conference?",
    options: ["Rust in space", "Postgres at scale", "Typing on phones"],
    allow_anonymous: true,
  });
  assert(/^[A-HJKMNP-Z2-9]{6}$/.test(poll?.code ?? ""), `the poll has a code: ${JSON.stringify(poll)}`);
  report.code = poll.code;
  report.poll = poll.id;

  at("the poll's page shows its code, its short link and Present");
  await ana.goto(`${base}/p/${poll.id}`);
  await ana.waitScreen("poll");
  await ana.waitText(ana.page.locator(".share-code"), poll.code);
  assertEq(await ana.text(".share-link"), `${base}/p/${poll.code}`, "the short link");
  const present = ana.page.getByRole("link", { name: "Present" });
  assertEq(await present.getAttribute("href"), `/p/${poll.code}/present`, "Present opens the presenter view");
  await present.click();
  await ana.waitScreen("present");
  await ana.waitFor(() => live(ana), () => "Ana's presenter view subscribed");
  assertEq(new URL(ana.page.url()).pathname, `/p/${poll.code}/present`, "the presenter's address");
  await ana.page.getByRole("link", { name: "Exit" }).click();
  await ana.waitScreen("poll");
  await ana.waitText(ana.page.locator("h1"), "Which talk should close the conference?");

  at("the projector opens the presenter view at 1920×1080");
  const tv = await Player.open(browser, "Projector", TV);
  players.push(tv);
  await tv.goto(`${base}/p/${poll.code}/present`);
  await tv.waitScreen("present");
  await tv.waitText(tv.page.locator(".pr-question"), "Which talk should close the conference?");
  await tv.waitFor(() => live(tv), () => "the presenter view subscribed");
  await tv.waitText(tv.page.locator(".pr-code"), poll.code);
  await tv.waitText(tv.page.locator(".pr-total"), "0 votes from 0 voters");
  assertEq(await tv.texts(".pr-text"), ["Rust in space", "Postgres at scale", "Typing on phones"], "the options in order");
  await fits(tv, "1080p");
  const png = await capture(tv, "poll-presenter-1080p");

  at("the QR code on the projector holds the poll's short link");
  const decoded = await decodeQr(png, tv.page.locator(".pr-qr"));
  assertEq(decoded, `${base}/p/${poll.code}`, "the QR code");
  report.qr = decoded;

  at("a phone opens the scanned link and votes without an account");
  await tv.page.evaluate(() => (window.__sameLoad = true));
  const phone = await Player.open(browser, "Phone", PHONE);
  players.push(phone);
  await phone.goto(decoded);
  await phone.waitScreen("poll");
  await phone.waitText(phone.page.locator("h1"), "Which talk should close the conference?");
  await phone.waitFor(async () => (await phone.page.locator(".poll-page").getAttribute("data-live")) === "true", () => "the phone subscribed");
  await phone.waitText(phone.page.locator(".share-code"), poll.code);
  assert(await phone.page.getByRole("link", { name: "Present" }).isVisible(), "Present on the phone too");
  const [pw] = await phone.page.evaluate(() => [document.scrollingElement.scrollWidth, innerWidth]);
  assert(pw <= 390, `the phone's poll page is no wider than the phone (${pw})`);
  await phone.page.getByRole("radio", { name: "Postgres at scale" }).check();
  await phone.page.getByRole("button", { name: "Vote", exact: true }).click();
  await phone.waitText(phone.page.locator(".poll-total"), "1 vote from 1 voter");
  await phone.page.locator(".poll-share").scrollIntoViewIfNeeded();
  await capture(phone, "poll-share-phone");

  at("the presenter's bars follow the vote without a reload");
  await tv.waitText(bar(tv, "Postgres at scale").locator(".pr-count"), "1 · 100%");
  await tv.waitText(bar(tv, "Rust in space").locator(".pr-count"), "0 · 0%");
  await tv.waitText(tv.page.locator(".pr-total"), "1 vote from 1 voter");
  assertEq(await bar(tv, "Postgres at scale").getAttribute("data-votes"), "1", "the bar's count");
  assert(await tv.page.evaluate(() => window.__sameLoad === true), "the projector never reloaded");

  at("Ana votes from her page; the projector follows again");
  await ana.page.getByRole("radio", { name: "Rust in space" }).check();
  await ana.page.getByRole("button", { name: "Vote", exact: true }).click();
  await tv.waitText(bar(tv, "Rust in space").locator(".pr-count"), "1 · 50%");
  await tv.waitText(bar(tv, "Postgres at scale").locator(".pr-count"), "1 · 50%");
  await tv.waitText(tv.page.locator(".pr-total"), "2 votes from 2 voters");
  await fits(tv, "1080p with votes");
  await capture(tv, "poll-presenter-1080p");

  at("the presenter view fits 1280×720");
  const small = await Player.open(browser, "Small projector", SMALL_TV);
  players.push(small);
  await small.goto(`${base}/p/${poll.code.toLowerCase()}/present`);
  await small.waitScreen("present");
  await small.waitFor(() => live(small), () => "the 720p presenter subscribed");
  await small.waitText(small.page.locator(".pr-total"), "2 votes from 2 voters");
  assertEq(new URL(small.page.url()).pathname, `/p/${poll.code}/present`, "the code in upper case");
  await fits(small, "720p");
  const smallPng = await capture(small, "poll-presenter-720p");
  assertEq(await decodeQr(smallPng, small.page.locator(".pr-qr")), `${base}/p/${poll.code}`, "the 720p QR code");

  at("a busy poll fits 1280×720 and 1920×1080 too");
  const busy = await createPoll(ana, {
    question: `${"How should we spend the rest of the afternoon together, given the weather, ".repeat(3)}`.slice(0, 199) + "?",
    options: Array.from({ length: 12 }, (_, i) => `Option number ${i + 1} with a fairly long label that goes on and on`),
  });
  for (const p of [small, tv]) {
    await p.goto(`${base}/p/${busy.code}/present`);
    await p.waitScreen("present");
    await p.waitFor(() => live(p), () => "the busy presenter subscribed");
    await p.waitFor(async () => (await p.page.locator(".pr-bar").count()) === 12, () => "twelve bars");
    await fits(p, `busy poll at ${p === small ? "720p" : "1080p"}`);
  }
  await capture(small, "poll-presenter-busy-720p");

  at("an unknown code says so");
  // The 404 is the point of this step (the browser logs it as a failed resource).
  small.expected = (i) => i.startsWith("[an unknown code says so]") && i.includes("404");
  await small.goto(`${base}/p/ZZZZZZ/present`);
  await small.waitText(small.page.locator("h1"), "There's no poll here");
} catch (e) {
  error = e;
}

const problems = players.flatMap((p) => p.problems().map((x) => `${p.name}: ${x}`));
await browser.close().catch(() => {});
if (error) fail(error.stack || String(error));
if (problems.length) fail(`problems in the pages:\n${problems.join("\n")}`);
at("done");
console.log(JSON.stringify({ ...report, timeline }));
