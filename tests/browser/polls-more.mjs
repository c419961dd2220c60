// The poll features added to the web client with contract v2's additions: Ben (phone, no
// account) keeps /polls open while Ana (desktop) creates two polls through the form, and each
// appears at the top of his Recent list live, once. Ben votes without an account on the poll
// that allows it, still sees his vote after a reload, and on the members-only poll is asked to
// sign in. Ana, the creator, sees the stats panel count Ben's vote; Ben sees no stats. Ana
// changes her display name in the account settings (a blank one is refused under the field;
// the header and her profile show the new one), then her password: a wrong current password
// is refused with a clear message, the right one works and the page stays signed in (also
// after a reload). No page logs an error or has a request fail, except the refused name and
// password changes on purpose. Screenshots of the stats panel (desktop and phone), the
// settings page and the live list.
//
// Usage: node polls-more.mjs <config.json>  with {base, shots}
// Prints one JSON line {ok: true, ...} on success, or exits non-zero with the reason.

import { DESKTOP, PHONE, Player, assert, assertEq, at, config, guard, launch, shot, signUp, timeline } from "./lib.mjs";

const fail = guard("polls-more.mjs", 100_000);
const cfg = config();
const base = cfg.base;
const shots = cfg.shots;

const OPEN_Q = "Tea or coffee at the office?";
const MEMBERS_Q = "Members only: next meetup venue?";
const NEW_PASSWORD = "new-password-456";

const browser = await launch();
const players = [];
let error = null;
const report = { ok: true };
try {
  const ana = await Player.open(browser, "Ana", DESKTOP);
  const ben = await Player.open(browser, "Ben", PHONE, { colorScheme: "dark" });
  players.push(ana, ben);
  const live = (p, sel) =>
    p.waitFor(async () => (await p.page.locator(sel).getAttribute("data-live")) === "true", () => `${p.name} live on ${sel}`);
  const items = (p) => p.texts(".poll-list .poll-item-link");
  const mine = (p) => p.texts(".poll-option.mine .poll-text");

  async function createPoll(question, options, anonymous) {
    await ana.page.getByRole("link", { name: "Polls", exact: true }).click();
    await ana.waitScreen("polls");
    await ana.page.getByRole("link", { name: "New poll" }).first().click();
    await ana.waitScreen("newpoll");
    await ana.page.getByLabel("Question").fill(question);
    for (let i = 0; i < options.length; i++) {
      await ana.page.getByLabel(`Option ${i + 1}`, { exact: true }).fill(options[i]);
    }
    if (anonymous) await ana.page.getByLabel("Visitors may vote without an account").check();
    await ana.page.getByRole("button", { name: "Create poll" }).click();
    await ana.waitScreen("poll");
    await ana.waitText(ana.page.locator("h1"), question);
    const m = /\/p\/([0-9a-f-]{36})$/.exec(ana.page.url());
    assert(m, `the poll's address: ${ana.page.url()}`);
    return m[1];
  }

  // --- the live list ------------------------------------------------------------------------
  at("Ben opens the list without an account; Ana signs up");
  await ben.goto(`${base}/polls`);
  await ben.waitScreen("polls");
  await ben.waitText(ben.page.locator(".list-status"), "No polls yet.");
  await live(ben, "#browse-panel");
  await ana.goto(`${base}/`);
  await ana.waitScreen("auth");
  await signUp(ana, "Ana");
  await ana.waitScreen("home");

  at("Ana's polls appear on Ben's list without a reload, newest first, once each");
  const openId = await createPoll(OPEN_Q, ["Tea", "Coffee"], true);
  await ben.waitText(ben.page.locator(".poll-list .poll-item-link"), OPEN_Q);
  await ben.waitText(ben.page.locator(".list-status"), "1 poll");
  const membersId = await createPoll(MEMBERS_Q, ["The park", "The pub"], false);
  await ben.waitFor(async () => (await items(ben)).length === 2, () => "two polls on Ben's list");
  assertEq(await items(ben), [MEMBERS_Q, OPEN_Q], "the list, newest first, no duplicates");
  await ben.waitText(ben.page.locator(".list-status"), "2 polls");
  await shot(ben, shots, "polls-live", "phone");
  report.polls = [openId, membersId];

  // --- anonymous voting ---------------------------------------------------------------------
  at("Ben votes without an account on the poll that allows it");
  await ben.page.getByRole("link", { name: OPEN_Q }).click();
  await ben.waitScreen("poll");
  await live(ben, ".poll-page");
  await ben.waitText(ben.page.locator(".poll-note"), "without an account");
  assert(!(await ben.page.getByRole("button", { name: "Sign in to vote" }).isVisible()), "no sign-in needed here");
  await ben.page.getByRole("radio", { name: "Coffee" }).check();
  await ben.page.getByRole("button", { name: "Vote", exact: true }).click();
  await ben.waitText(ben.page.locator(".poll-total"), "1 vote from 1 voter");
  await ben.waitFor(async () => (await mine(ben)).join() === "Coffee", () => "Ben's vote marked");
  assert(await ben.page.getByRole("button", { name: "Withdraw my vote" }).isVisible(), "a visitor may withdraw");
  assertEq(await ben.page.locator(".poll-stats").isVisible(), false, "no stats for a visitor");

  at("after a reload Ben still sees his vote");
  await ben.reload();
  await ben.waitScreen("poll");
  await live(ben, ".poll-page");
  await ben.waitFor(async () => (await mine(ben)).join() === "Coffee", () => "Ben's vote marked after the reload");
  assert(await ben.page.getByRole("radio", { name: "Coffee" }).isChecked(), "his choice is ticked");
  assert(await ben.page.getByRole("button", { name: "Change my vote" }).isVisible(), "he may change it");
  assertEq(await ben.page.locator(".poll-stats").isVisible(), false, "still no stats for a visitor");

  at("on the members-only poll Ben is asked to sign in");
  await ben.goto(`${base}/p/${membersId}`);
  await ben.waitScreen("poll");
  await ben.waitText(ben.page.locator("h1"), MEMBERS_Q);
  await live(ben, ".poll-page");
  assert(await ben.page.getByRole("button", { name: "Sign in to vote" }).isVisible(), "a visitor is asked to sign in");
  assert(await ben.page.getByRole("radio", { name: "The park" }).isDisabled(), "a visitor cannot tick");
  assert(!(await ben.page.getByRole("button", { name: "Vote", exact: true }).isVisible()), "no vote button");

  // --- stats --------------------------------------------------------------------------------
  at("Ana sees the stats of her poll with Ben's vote");
  await ana.goto(`${base}/p/${openId}`);
  await ana.waitScreen("poll");
  await live(ana, ".poll-page");
  const stats = ana.page.locator(".poll-stats");
  await ana.waitFor(() => stats.isVisible(), () => "the stats panel");
  await ana.waitText(stats.locator(".stat", { hasText: "Voters" }).locator("dd"), "1");
  await ana.waitFor(async () => (await stats.locator("svg rect.bar").count()) === 24, () => "24 hours in the chart");
  const label = (await stats.locator("svg").getAttribute("aria-label")) ?? "";
  assert(/1 vote\b/.test(label), `the chart's label counts the vote: ${label}`);
  assert(!/–/.test(await stats.locator(".stat", { hasText: "First vote" }).locator("dd").innerText()), "a first vote time");
  await stats.evaluate((e) => e.scrollIntoView({ block: "center" }));
  await shot(ana, shots, "stats", "desktop");
  await ana.page.setViewportSize(PHONE.viewport);
  await stats.evaluate((e) => e.scrollIntoView({ block: "center" }));
  await shot(ana, shots, "stats", "phone");
  await ana.page.setViewportSize(DESKTOP.viewport);

  // --- account settings ---------------------------------------------------------------------
  at("Ana changes her display name from her profile's settings");
  await ana.page.locator("#account .me-link").click();
  await ana.waitScreen("user");
  await ana.page.getByRole("link", { name: "Account settings" }).click();
  await ana.waitScreen("settings");
  await ana.waitText(ana.page.locator("h1"), "Account settings");
  assertEq(await ana.page.getByLabel("Display name").inputValue(), "Ana", "the current name");

  at("a blank display name is refused under its field");
  // The server's 422 is the point of this step (the browser logs it as a failed resource).
  const refusals = (i) =>
    (i.includes("[a blank display name") && i.includes("422")) || (i.includes("[a wrong current password") && i.includes("401"));
  ana.expected = refusals;
  await ana.page.getByLabel("Display name").fill("   ");
  await ana.page.getByRole("button", { name: "Save name" }).click();
  await ana.waitText(ana.page.locator("#set-name-error"), /\w/);
  assertEq(await ana.page.getByLabel("Display name").getAttribute("aria-invalid"), "true", "the field is marked invalid");
  await ana.waitText(ana.page.locator("#account .me-name"), "Ana");

  at("Ana saves a new display name");
  await ana.page.getByLabel("Display name").fill("Ana Lima");
  await ana.page.getByRole("button", { name: "Save name" }).click();
  await ana.waitText(ana.page.locator(".form-ok").first(), "Your display name is saved.");
  await ana.waitText(ana.page.locator("#account .me-name"), "Ana Lima");

  at("a wrong current password is refused clearly");
  await ana.page.getByLabel("Current password").fill("not-my-password");
  await ana.page.getByLabel("New password").fill(NEW_PASSWORD);
  await ana.page.getByRole("button", { name: "Change password" }).click();
  await ana.waitText(ana.page.locator("#set-current-error"), "Your current password is wrong.");
  assertEq(await ana.page.getByLabel("Current password").getAttribute("aria-invalid"), "true", "the field is marked invalid");
  assertEq(await ana.page.evaluate(() => document.activeElement?.id), "set-current", "focus on the wrong field");

  at("the right current password changes it; the page stays signed in");
  await ana.page.getByLabel("Current password").fill("password123");
  await ana.page.getByLabel("New password").fill(NEW_PASSWORD);
  await ana.page.getByRole("button", { name: "Change password" }).click();
  await ana.waitText(ana.page.locator(".form-ok").nth(1), "Your password is changed.");
  assertEq(await ana.page.locator("#set-current-error").textContent(), "", "the error is gone");
  await shot(ana, shots, "settings", "desktop");
  await ana.reload();
  await ana.waitScreen("settings");
  await ana.waitText(ana.page.locator("#account .me-name"), "Ana Lima");

  at("her profile shows the new name");
  await ana.page.locator("#account .me-link").click();
  await ana.waitScreen("user");
  await ana.waitText(ana.page.locator("h1"), "Ana Lima");
  report.user = /\/u\/([0-9a-f-]{36})$/.exec(ana.page.url())?.[1] ?? null;
  report.email = /\((.+)\)$/.exec((await ana.page.locator("#account .me-link").getAttribute("title")) ?? "")?.[1] ?? null;
  report.password = NEW_PASSWORD;

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
