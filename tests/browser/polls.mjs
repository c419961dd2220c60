// Polls through the web client's UI: Ana (desktop) creates a poll (a refused duplicate option
// shows inline first), Ben (phone, dark mode) opens its short share link `/p/CODE` (typed in
// lower case) without an account and
// watches the bar chart change live as Ana votes, signs in there to vote, changes his vote
// ("Change my vote" offered only while his ticks differ from his vote; the choice limit
// enforced), sees Ana close and reopen voting, withdraws; Ana deletes the
// poll and Ben's page says so. Nothing reloads; no page logs an error or has a request fail
// (except the one 422 the test provokes). Screenshots at phone and desktop sizes.
//
// Usage: node polls.mjs <config.json>  with {base, shots}
// Prints one JSON line {ok: true, ...} on success, or exits non-zero with the reason.

import { DESKTOP, PHONE, Player, assert, assertEq, at, config, guard, launch, shot, signUp, timeline } from "./lib.mjs";

const fail = guard("polls.mjs", 90_000);
const cfg = config();
const base = cfg.base;
const shots = cfg.shots;

const browser = await launch();
const players = [];
let error = null;
let pollId = null;
try {
  const ana = await Player.open(browser, "Ana", DESKTOP);
  const ben = await Player.open(browser, "Ben", PHONE, { colorScheme: "dark" });
  players.push(ana, ben);
  const count = (p, text) => p.page.locator(".poll-option", { hasText: text }).locator(".poll-count");
  const total = (p) => p.page.locator(".poll-total");

  // --- create -------------------------------------------------------------------------------
  at("Ana signs up and opens the poll form");
  await ana.goto(`${base}/`);
  await ana.waitScreen("auth");
  await signUp(ana, "Ana");
  await ana.waitScreen("home");
  await ana.page.getByRole("link", { name: "New poll" }).click();
  await ana.waitScreen("newpoll");
  await ana.waitText(ana.page.locator("h1"), "Create a poll");

  at("a duplicate option is refused inline");
  await ana.page.getByLabel("Question").fill("Which snack for the meetup?");
  await ana.page.getByLabel("Option 1", { exact: true }).fill("Pizza");
  await ana.page.getByLabel("Option 2", { exact: true }).fill(" pizza ");
  await ana.page.getByRole("button", { name: "Add option" }).click();
  await ana.page.getByLabel("Option 3", { exact: true }).fill("Tacos");
  // The server's 422 is the point of this step (the browser logs it as a failed resource).
  ana.expected = (i) => i.includes("422") && i.includes("a duplicate option");
  await ana.page.getByRole("button", { name: "Create poll" }).click();
  await ana.waitText(ana.page.locator("#poll-options-error"), /unique/);
  assertEq(await ana.page.getByLabel("Option 1", { exact: true }).getAttribute("aria-invalid"), "true", "the field is marked invalid");
  assertEq(await ana.screen(), "newpoll", "still on the form");

  at("Ana creates the poll");
  await ana.page.getByLabel("Option 2", { exact: true }).fill("Sushi");
  await ana.page.getByLabel("Several options").check();
  await ana.page.getByLabel("At most this many choices").fill("2");
  await ana.page.getByLabel("Description").fill("Friday, 6 pm. Vote for up to two.");
  await ana.page.getByLabel("Category").selectOption({ label: "Food" });
  await shot(ana, shots, "newpoll", "desktop");
  await ana.page.getByRole("button", { name: "Create poll" }).click();
  await ana.waitScreen("poll");
  const url = ana.page.url();
  const m = /\/p\/([0-9a-f-]{36})$/.exec(url);
  assert(m, `the poll's address: ${url}`);
  pollId = m[1];
  await ana.waitText(ana.page.locator("h1"), "Which snack for the meetup?");
  // The share link is the short one: the poll's code.
  const code = await ana.text(".share-code");
  assert(/^[A-HJKMNP-Z2-9]{6}$/.test(code), `the poll's code: ${code}`);
  assertEq(await ana.text(".share-link"), `${base}/p/${code}`, "share link");
  await ana.waitText(ana.page.locator(".poll-meta"), "Open");
  await ana.waitText(ana.page.locator(".poll-meta"), "Food");
  assertEq(await ana.texts(".poll-text"), ["Pizza", "Sushi", "Tacos"], "options in order");
  await ana.waitText(ana.page.locator("legend").first(), "Choose up to 2");
  assert(await ana.page.getByRole("button", { name: "Close voting" }).isVisible(), "creator controls");
  await ana.waitFor(async () => (await ana.page.locator(".poll-page").getAttribute("data-live")) === "true", () => "Ana subscribed");

  // --- an anonymous visitor watches ---------------------------------------------------------
  at("Ben opens the share link without an account, its code typed in lower case");
  await ben.goto(`${base}/p/${code.toLowerCase()}`);
  await ben.waitScreen("poll");
  await ben.waitText(ben.page.locator("h1"), "Which snack for the meetup?");
  assertEq(new URL(ben.page.url()).pathname, `/p/${code}`, "the address bar shows the code in upper case");
  await ben.waitFor(async () => (await ben.page.locator(".poll-page").getAttribute("data-live")) === "true", () => "Ben subscribed");
  await ben.waitText(count(ben, "Pizza"), "0 votes · 0%");
  assert(await ben.page.getByRole("button", { name: "Sign in to vote" }).isVisible(), "a visitor is asked to sign in");
  assert(await ben.page.getByRole("checkbox", { name: "Pizza" }).isDisabled(), "a visitor cannot tick");
  assert(!(await ben.page.getByRole("button", { name: "Close voting" }).isVisible()), "no creator controls for others");

  at("Ana votes; Ben's chart follows without a reload");
  await ana.page.getByRole("checkbox", { name: "Pizza" }).check();
  await ana.page.getByRole("checkbox", { name: "Tacos" }).check();
  assert(await ana.page.getByRole("checkbox", { name: "Sushi" }).isDisabled(), "the limit of 2 disables the third");
  await ana.page.getByRole("button", { name: "Vote", exact: true }).click();
  await ana.waitText(total(ana), "2 votes from 1 voter");
  await ben.waitText(count(ben, "Pizza"), "1 vote · 50%");
  await ben.waitText(count(ben, "Tacos"), "1 vote · 50%");
  await ben.waitText(total(ben), "2 votes from 1 voter");
  assertEq(await ana.page.getByRole("button", { name: "Change my vote" }).isVisible(), true, "a vote can be changed");

  // --- Ben signs in there and votes -----------------------------------------------------------
  at("Ben signs in from the poll page and votes");
  await ben.page.getByRole("button", { name: "Sign in to vote" }).click();
  await ben.waitScreen("auth");
  await signUp(ben, "Ben");
  await ben.waitScreen("poll");
  await ben.waitFor(async () => (await ben.page.locator(".poll-page").getAttribute("data-live")) === "true", () => "Ben subscribed again");
  await ben.page.getByRole("checkbox", { name: "Sushi" }).check();
  await ben.page.getByRole("button", { name: "Vote", exact: true }).click();
  await ben.waitText(total(ben), "3 votes from 2 voters");
  await ana.waitText(count(ana, "Sushi"), "1 vote · 33%");
  await ana.waitText(total(ana), "3 votes from 2 voters");

  at("Change my vote is offered only once the ticks differ from his vote");
  const changeBtn = ben.page.getByRole("button", { name: "Change my vote" });
  await ben.waitFor(async () => await changeBtn.isDisabled(), () => "Change my vote disabled: nothing changed yet");
  assert(await changeBtn.isVisible(), "the button is there, greyed out");
  await ben.page.getByRole("checkbox", { name: "Tacos" }).check();
  assert(await changeBtn.isEnabled(), "a different choice can be sent");
  await ben.page.getByRole("checkbox", { name: "Tacos" }).uncheck();
  assert(await changeBtn.isDisabled(), "back to his vote: nothing to change");

  at("Ben changes his vote");
  await ben.page.getByRole("checkbox", { name: "Sushi" }).uncheck();
  await ben.page.getByRole("checkbox", { name: "Pizza" }).check();
  await changeBtn.click();
  await ana.waitText(count(ana, "Pizza"), "2 votes · 67%");
  await ana.waitText(count(ana, "Sushi"), "0 votes · 0%");
  await ana.waitText(total(ana), "3 votes from 2 voters");
  await ben.waitText(count(ben, "Pizza"), "2 votes · 67%");
  await ben.waitFor(async () => await changeBtn.isDisabled(), () => "Change my vote disabled again: the new vote is in");
  await shot(ana, shots, "poll", "desktop");
  await shot(ben, shots, "poll", "phone");

  // --- the creator closes, reopens; Ben withdraws ------------------------------------------
  at("Ana closes voting");
  await ana.page.getByRole("button", { name: "Close voting" }).click();
  await ben.waitText(ben.page.locator(".poll-state"), "Closed");
  await ben.waitFor(async () => !(await ben.page.getByRole("button", { name: "Change my vote" }).isVisible()), () => "no vote button");
  assert(await ben.page.getByRole("checkbox", { name: "Tacos" }).isDisabled(), "closed: nothing to tick");
  await ben.waitText(ben.page.locator(".poll-note"), "Voting is closed.");

  at("Ana reopens voting; Ben withdraws");
  await ana.page.getByRole("button", { name: "Reopen voting" }).click();
  await ben.waitText(ben.page.locator(".poll-state"), "Open");
  await ben.page.getByRole("button", { name: "Withdraw my vote" }).click();
  await ana.waitText(total(ana), "2 votes from 1 voter");
  await ana.waitText(count(ana, "Pizza"), "1 vote · 50%");
  await ben.waitText(ben.page.getByRole("button", { name: "Vote", exact: true }), "Vote");

  // --- delete -------------------------------------------------------------------------------
  at("Ana deletes the poll; Ben's page says so");
  const del = ana.page.getByRole("button", { name: /Delete poll|Really delete/ });
  await del.click();
  await ana.waitText(del, "Really delete?");
  await del.click();
  await ana.waitScreen("home");
  await ben.waitText(ben.page.locator("h1"), "This poll was deleted by its creator.");

  at("problems");
  const problems = players.flatMap((p) => p.problems().map((i) => `${p.name}: ${i}`));
  if (problems.length) throw new Error(`problems in the pages:\n${problems.join("\n")}`);
  at("done");
  console.log(JSON.stringify({ ok: true, poll: pollId, timeline }));
} catch (e) {
  error = e;
} finally {
  await browser.close().catch(() => {});
}
if (error) fail(error?.stack || String(error));
process.exit(0);
