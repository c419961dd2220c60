// Ranked-choice polls in the web client: Ana (desktop) creates a ranked poll through the form;
// she ranks by keyboard (focus a "Move up" button, press Enter; each move is announced) and
// sends her ranking; Ben (phone, another account) ranks by dragging one option onto another
// and sends his. Both see the runoff chart update live: the rounds, the eliminated option
// marked, the winner named. Ana's ranking is still in her order after a reload. No page logs
// an error or has a request fail. Screenshots of the ballot and the runoff chart.
//
// Usage: node ranked.mjs <config.json>  with {base, shots}
// Prints one JSON line {ok: true, ...} on success, or exits non-zero with the reason.

import { DESKTOP, PHONE, Player, assert, assertEq, at, config, guard, launch, shot, signUp, timeline } from "./lib.mjs";

const fail = guard("ranked.mjs", 100_000);
const cfg = config();
const base = cfg.base;
const shots = cfg.shots;

const Q = "Which snack for the offsite?";
const OPTIONS = ["Crisps", "Fruit", "Nuts"];

const browser = await launch();
const players = [];
let error = null;
const report = { ok: true };
try {
  const ana = await Player.open(browser, "Ana", DESKTOP);
  const ben = await Player.open(browser, "Ben", PHONE);
  players.push(ana, ben);
  const live = (p) =>
    p.waitFor(async () => (await p.page.locator(".poll-page").getAttribute("data-live")) === "true", () => `${p.name} live`);
  const order = (p) => p.texts(".rank-list .rank-text");
  const winner = (p) => p.text(".runoff-winner");

  at("Ana signs up and creates a ranked poll through the form");
  await ana.goto(`${base}/`);
  await ana.waitScreen("auth");
  await signUp(ana, "Ana");
  await ana.waitScreen("home");
  await ana.goto(`${base}/polls/new`);
  await ana.waitScreen("newpoll");
  await ana.page.getByLabel("Question").fill(Q);
  await ana.page.getByRole("button", { name: "Add option" }).click();
  for (let i = 0; i < OPTIONS.length; i++) {
    await ana.page.getByLabel(`Option ${i + 1}`, { exact: true }).fill(OPTIONS[i]);
  }
  await ana.page.getByRole("radio", { name: /Ranked/ }).check();
  await ana.page.getByRole("button", { name: "Create poll" }).click();
  await ana.waitScreen("poll");
  await ana.waitText(ana.page.locator("h1"), Q);
  const m = /\/p\/([0-9a-f-]{36})$/.exec(ana.page.url());
  assert(m, `the poll's address: ${ana.page.url()}`);
  report.poll = m[1];
  await live(ana);
  assertEq(await order(ana), OPTIONS, "the ballot starts in the poll's order");
  await ana.waitText(ana.page.locator(".runoff"), "No rankings yet.");

  at("Ana ranks by keyboard: Nuts up twice, then sends");
  const nutsUp = ana.page.getByRole("button", { name: "Move Nuts up" });
  await nutsUp.focus();
  await ana.page.keyboard.press("Enter");
  await ana.waitFor(async () => (await order(ana)).join() === "Crisps,Nuts,Fruit", () => "Nuts moved up once");
  await ana.waitText(ana.page.locator("#announcer"), "Nuts moved to position 2 of 3.");
  // Focus stays on the moved option's button: Enter again moves it again.
  await ana.page.keyboard.press("Enter");
  await ana.waitFor(async () => (await order(ana)).join() === "Nuts,Crisps,Fruit", () => "Nuts moved to the top");
  await ana.waitText(ana.page.locator("#announcer"), "Nuts moved to position 1 of 3.");
  await shot(ana, shots, "ranked-ballot", "desktop");
  await ana.page.getByRole("button", { name: "Send my ranking" }).click();
  await ana.waitText(ana.page.locator(".poll-total"), "1 vote from 1 voter");
  await ana.waitText(ana.page.locator(".runoff-winner"), "Nuts wins in round 1.");

  at("Ben signs up, opens the poll and ranks by dragging Fruit onto Crisps");
  await ben.goto(`${base}/`);
  await ben.waitScreen("auth");
  await signUp(ben, "Ben");
  await ben.waitScreen("home");
  await ben.goto(`${base}/p/${report.poll}`);
  await ben.waitScreen("poll");
  await live(ben);
  await ben.waitText(ben.page.locator(".runoff-winner"), "Nuts wins in round 1.");
  await ben.page.locator(".rank-item", { hasText: "Fruit" }).dragTo(ben.page.locator(".rank-item", { hasText: "Crisps" }));
  await ben.waitFor(async () => (await order(ben)).join() === "Fruit,Crisps,Nuts", () => "Fruit dragged to the top");
  await ben.page.getByRole("button", { name: "Send my ranking" }).click();
  await ben.waitText(ben.page.locator(".poll-total"), "2 votes from 2 voters");

  at("both see the runoff: Nuts and Fruit tie, Fruit (later) is out, its ballot goes to Crisps, and so on");
  // Round 1: Crisps 0, Fruit 1, Nuts 1: Crisps (no votes) out. Round 2: Fruit 1, Nuts 1: a
  // tie with no earlier difference, so the later option (Nuts) is out. Round 3: Fruit 2.
  for (const p of [ana, ben]) {
    await p.waitText(p.page.locator(".runoff-winner"), "Fruit wins in round 3.");
    await p.waitFor(async () => (await p.page.locator(".runoff-round").count()) === 3, () => `${p.name}: three rounds`);
    const out = await p.texts(".runoff-bar.eliminated .runoff-text");
    assertEq(out, ["Crisps", "Nuts"], `${p.name}: the eliminated options, round by round`);
    assertEq(await p.texts(".runoff-bar.winner .runoff-text"), ["Fruit"], `${p.name}: the winner marked`);
  }
  const label = await ana.page.locator(".runoff").getAttribute("aria-labelledby");
  assertEq(label, "runoff-h", "the chart is a labelled region");
  await shot(ben, shots, "ranked-runoff", "phone");
  await shot(ana, shots, "ranked-runoff", "desktop");

  at("after a reload Ana's ranking is in her order");
  await ana.reload();
  await ana.waitScreen("poll");
  await live(ana);
  await ana.waitFor(async () => (await order(ana)).join() === "Nuts,Crisps,Fruit", () => "Ana's ranking after the reload");
  assert(await ana.page.getByRole("button", { name: "Change my ranking" }).isDisabled(), "nothing to change yet");
  report.winner = await winner(ana);

  at("problems");
  const problems = players.flatMap((p) => p.problems().map((i) => `${p.name}: ${i}`));
  if (problems.length) throw new Error(`problems in the pages:\n${problems.join("\n")}`);
  at("done");
  report.timeline = timeline;
  console.log(JSON.stringify(report));
} catch (e) {
  error = e;
} finally {
  await browser.close().catch(() => {});
}
if (error) fail(error?.stack || String(error));
process.exit(0);
