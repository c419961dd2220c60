// Finding polls through the web client's UI: Ana (desktop) creates two polls through the form;
// the browse page lists both under Recent, newest first; typing a prefix of an option word (one
// key at a time, so the debounce and the cancelling of stale requests are exercised) finds the
// one poll ("1 poll matches"), and a word nothing has shows the empty state; the category
// filter, the tabs (by mouse and by arrow keys) and the address that keeps the choice across a
// reload. Ana likes a poll: the button changes at once, Ben (phone, no account) sees the count
// change live, the like survives a reload, an unlike and a like again. Ana's profile ("Me" in
// the header) shows her numbers, her polls, her vote and her like; Ben, by the creator's link,
// sees her public profile without the private lists, searches on his 390 px phone with all four
// tabs whole in sight, then signs in from the header and lands back on the list; 23 polls come
// as 20 and "Show more" (3 more, none twice, focus on the first new one). No page logs an error
// or has a request fail, except searches cancelled on purpose by newer typing. Screenshots of
// the browse page and the profile at desktop and phone sizes.
//
// Usage: node polls-browse.mjs <config.json>  with {base, shots}
// Prints one JSON line {ok: true, ...} on success, or exits non-zero with the reason.

import { DESKTOP, PHONE, Player, assert, assertEq, at, config, guard, launch, shot, signUp, timeline } from "./lib.mjs";

const fail = guard("polls-browse.mjs", 100_000);
const cfg = config();
const base = cfg.base;
const shots = cfg.shots;

const PASTRY = "Which pastry wins breakfast?";
const SNACK = "Best snack for board game night?";

const browser = await launch();
const players = [];
let error = null;
const report = { ok: true };
try {
  const ana = await Player.open(browser, "Ana", DESKTOP);
  const ben = await Player.open(browser, "Ben", PHONE, { colorScheme: "dark" });
  players.push(ana, ben);
  // Cancelling a search that newer typing made stale is the point; the browser reports it.
  const cancelled = (i) => i.includes("request failed") && i.includes("/api/polls?") && i.includes("ERR_ABORTED");
  ana.expected = cancelled;
  ben.expected = cancelled;
  const items = (p) => p.texts(".poll-list .poll-item-link");
  const status = (p) => p.page.locator(".list-status").first();
  // A list is loading while it is aria-busy (set as soon as a tab or filter changes).
  const settled = (p) =>
    p.waitFor(async () => (await p.page.locator(".poll-list[aria-busy]").count()) === 0, () => "the list loaded");
  const likeBtn = (p) => p.page.getByRole("button", { name: "Like", exact: true });
  const likeCount = (p) => p.page.locator(".like-count");

  // --- two polls ----------------------------------------------------------------------------
  async function createPoll(question, options, categoryLabel) {
    await ana.page.getByRole("link", { name: "New poll" }).first().click();
    await ana.waitScreen("newpoll");
    await ana.page.getByLabel("Question").fill(question);
    for (let i = 0; i < options.length; i++) {
      if (i >= 2) await ana.page.getByRole("button", { name: "Add option" }).click();
      await ana.page.getByLabel(`Option ${i + 1}`, { exact: true }).fill(options[i]);
    }
    await ana.page.getByLabel("Category").selectOption({ label: categoryLabel });
    await ana.page.getByRole("button", { name: "Create poll" }).click();
    await ana.waitScreen("poll");
    await ana.waitText(ana.page.locator("h1"), question);
    const m = /\/p\/([0-9a-f-]{36})$/.exec(ana.page.url());
    assert(m, `the poll's address: ${ana.page.url()}`);
    return m[1];
  }

  at("Ana signs up and creates two polls");
  await ana.goto(`${base}/`);
  await ana.waitScreen("auth");
  await signUp(ana, "Ana");
  await ana.waitScreen("home");
  const pastryId = await createPoll(PASTRY, ["Croissant", "Cinnamon roll", "Pain au chocolat"], "Food");
  await ana.page.getByRole("link", { name: "Polls", exact: true }).click();
  await ana.waitScreen("polls");
  const snackId = await createPoll(SNACK, ["Popcorn", "Pretzels"], "Games");
  report.polls = [pastryId, snackId];

  // --- browse -------------------------------------------------------------------------------
  at("the browse page lists both, newest first, under Recent");
  await ana.page.getByRole("link", { name: "Polls", exact: true }).click();
  await ana.waitScreen("polls");
  await ana.waitText(status(ana), "2 polls");
  assertEq(await items(ana), [SNACK, PASTRY], "recent: newest first");
  assertEq(await ana.page.getByRole("tab", { name: "Recent" }).getAttribute("aria-selected"), "true", "Recent is the default tab");
  assert(!(await ana.page.getByRole("tab", { name: "Best match" }).isVisible()), "no Best match without a search");
  assertEq(await ana.page.locator(".nav-link[aria-current=page]").innerText(), "Polls", "the header marks where we are");

  at("a prefix of an option word finds its poll as it is typed");
  const search = ana.page.getByLabel("Search polls");
  await search.focus();
  await ana.page.keyboard.type("cinna", { delay: 60 });
  // One poll "matches", several "match".
  await ana.waitText(status(ana), "1 poll matches “cinna”");
  assertEq(await items(ana), [PASTRY], "only the poll with a Cinnamon roll");
  assertEq(await ana.page.getByRole("tab", { name: "Best match" }).getAttribute("aria-selected"), "true", "a search ranks by best match");
  assert(ana.page.url().endsWith("/polls?q=cinna"), `the search is in the address: ${ana.page.url()}`);

  at("a word no poll has shows the empty state");
  await search.fill("");
  await ana.page.keyboard.type("zebra", { delay: 40 });
  await ana.waitText(status(ana), "No polls match “zebra”");
  assertEq(await ana.page.locator(".poll-list .poll-item").count(), 0, "no results");

  at("clearing the search lists everything again; the category filter narrows it");
  await search.fill("");
  await ana.waitText(status(ana), "2 polls");
  assertEq(await ana.page.getByRole("tab", { name: "Recent" }).getAttribute("aria-selected"), "true", "back to Recent");
  await ana.page.getByLabel("Category").selectOption({ label: "Games" });
  await ana.waitText(status(ana), "1 poll");
  assertEq(await items(ana), [SNACK], "the Games poll only");
  await ana.reload();
  await ana.waitScreen("polls");
  await ana.waitText(status(ana), "1 poll");
  assertEq(await items(ana), [SNACK], "the filter survives a reload (it is in the address)");
  await ana.waitFor(async () => (await ana.page.getByLabel("Category").inputValue()) === "games", () => "the category select shows Games");
  await ana.page.getByLabel("Category").selectOption({ label: "All categories" });
  await ana.waitText(status(ana), "2 polls");

  // --- vote and like -------------------------------------------------------------------------
  at("Ana opens the pastry poll from the list and votes");
  await ana.page.getByRole("link", { name: PASTRY }).click();
  await ana.waitScreen("poll");
  await ana.waitFor(async () => (await ana.page.locator(".poll-page").getAttribute("data-live")) === "true", () => "Ana subscribed");
  await ana.page.getByRole("radio", { name: "Cinnamon roll" }).check();
  await ana.page.getByRole("button", { name: "Vote", exact: true }).click();
  await ana.waitText(ana.page.locator(".poll-total"), "1 vote from 1 voter");

  at("Ben watches the poll without an account");
  await ben.goto(`${base}/p/${pastryId}`);
  await ben.waitScreen("poll");
  await ben.waitFor(async () => (await ben.page.locator(".poll-page").getAttribute("data-live")) === "true", () => "Ben subscribed");
  await ben.waitText(likeCount(ben), "0 likes");

  at("Ana likes it: at once on her page, live on Ben's");
  assertEq(await likeBtn(ana).getAttribute("aria-pressed"), "false", "not liked yet");
  await likeBtn(ana).click();
  assertEq(await likeBtn(ana).getAttribute("aria-pressed"), "true", "the button changes at once");
  await ana.waitText(likeCount(ana), "1 like");
  await ben.waitText(likeCount(ben), "1 like");
  await ana.waitFor(async () => (await likeBtn(ana).getAttribute("aria-busy")) === null, () => "the like sent");

  at("the like survives a reload");
  await ana.reload();
  await ana.waitScreen("poll");
  await ana.waitText(likeCount(ana), "1 like");
  await ana.waitFor(async () => (await likeBtn(ana).getAttribute("aria-pressed")) === "true", () => "still liked after a reload");

  at("unlike (Ben's count follows), then like again");
  await likeBtn(ana).click();
  await ana.waitText(likeCount(ana), "0 likes");
  assertEq(await likeBtn(ana).getAttribute("aria-pressed"), "false", "unliked");
  await ben.waitText(likeCount(ben), "0 likes");
  await ana.waitFor(async () => (await likeBtn(ana).getAttribute("aria-busy")) === null, () => "the like sent");
  // Three quick presses: the last one wins, and the server agrees.
  await likeBtn(ana).click();
  await likeBtn(ana).click();
  await likeBtn(ana).click();
  await ana.waitText(likeCount(ana), "1 like");
  // The button is busy until the server has the last press (a reload before would lose it).
  await ana.waitFor(async () => (await likeBtn(ana).getAttribute("aria-busy")) === null, () => "the like sent");
  await ben.waitText(likeCount(ben), "1 like");
  await ana.reload();
  await ana.waitScreen("poll");
  await ana.waitFor(async () => (await likeBtn(ana).getAttribute("aria-pressed")) === "true", () => "liked after the quick presses");
  await ana.waitText(likeCount(ana), "1 like");
  await shot(ana, shots, "poll-liked", "desktop");

  at("a visitor's Like asks him to sign in");
  await likeBtn(ben).click();
  await ben.waitScreen("auth");
  await ben.goto(`${base}/p/${pastryId}`);
  await ben.waitScreen("poll");

  // --- popular and trending -----------------------------------------------------------------
  at("the tabs: Popular by mouse, Trending by arrow key");
  await ana.page.getByRole("link", { name: "Polls", exact: true }).click();
  await ana.waitScreen("polls");
  await ana.waitText(status(ana), "2 polls");
  await ana.page.getByRole("tab", { name: "Popular" }).click();
  await ana.waitFor(async () => ana.page.url().endsWith("/polls?sort=popular"), () => "popular in the address");
  await settled(ana);
  assertEq(await items(ana), [PASTRY, SNACK], "popular: the poll with a voter first");
  await ana.page.keyboard.press("ArrowRight");
  await ana.waitFor(async () => (await ana.page.getByRole("tab", { name: "Trending" }).getAttribute("aria-selected")) === "true", () => "Trending selected");
  assertEq(await ana.page.evaluate(() => document.activeElement?.textContent), "Trending", "focus moved with the arrow");
  await ana.waitFor(async () => ana.page.url().endsWith("/polls?sort=trending"), () => "trending in the address");
  await settled(ana);
  await ana.waitText(status(ana), "2 polls");
  assertEq((await items(ana))[0], PASTRY, "trending: the poll with a vote and a like first");
  await ana.page.getByRole("tab", { name: "Recent" }).click();
  await ana.waitText(status(ana), "2 polls");
  await ana.waitFor(async () => (await items(ana))[0] === SNACK, () => "recent again");
  await shot(ana, shots, "browse", "desktop");

  // --- profiles -----------------------------------------------------------------------------
  at("Ana's profile: her numbers, polls, vote and like");
  await ana.page.locator("a.me-link").click();
  await ana.waitScreen("user");
  await ana.waitText(ana.page.locator("h1"), "Ana");
  const stat = (p, label) => p.page.locator(".stat", { hasText: label }).locator("dd");
  await ana.waitText(stat(ana, "Polls created"), "2");
  await ana.waitText(stat(ana, "Votes cast"), "1");
  await ana.waitText(stat(ana, "Likes received"), "1");
  const section = (p, name) => p.page.getByRole("region", { name });
  await ana.waitFor(async () => (await section(ana, "Your polls").locator(".poll-item-link").count()) === 2, () => "her two polls");
  assertEq(await section(ana, "Your polls").locator(".poll-item-link").allInnerTexts(), [SNACK, PASTRY], "her polls, newest first");
  await ana.waitText(section(ana, "Your votes").locator(".poll-item"), PASTRY);
  await ana.waitText(section(ana, "Your votes").locator(".poll-item-meta"), "you voted");
  await ana.waitText(section(ana, "Your likes").locator(".poll-item"), PASTRY);
  assertEq(await ana.page.locator("a.me-link").getAttribute("aria-current"), "page", "the header marks her profile");
  await shot(ana, shots, "profile", "desktop");
  const anaId = /\/u\/([0-9a-f-]{36})$/.exec(ana.page.url())?.[1];
  assert(anaId, `a profile address: ${ana.page.url()}`);

  at("Ben follows the creator's link to Ana's public profile");
  await ben.page.getByRole("link", { name: "Ana" }).click();
  await ben.waitScreen("user");
  await ben.waitText(ben.page.locator("h1"), "Ana");
  await ben.waitText(stat(ben, "Polls created"), "2");
  await ben.waitFor(async () => (await section(ben, "Polls").locator(".poll-item-link").count()) === 2, () => "her polls for a visitor");
  assert(!(await ben.page.getByRole("heading", { name: "Your votes" }).isVisible()), "no private lists for others");
  assert(!(await ben.page.locator("body").innerText()).includes("@example.com"), "never the email");
  await shot(ben, shots, "profile", "phone");

  at("Ben on the browse page (phone)");
  await ben.page.getByRole("link", { name: "Polls", exact: true }).click();
  await ben.waitScreen("polls");
  await ben.waitText(status(ben), "2 polls");
  await shot(ben, shots, "browse", "phone");

  at("searching on a 390 px phone: all four tabs are in sight");
  await ben.page.getByLabel("Search polls").fill("b");
  await ben.waitText(status(ben), "2 polls match “b”");
  await settled(ben);
  // Searching adds "Best match": the row must still show every tab whole, none cut at the edge.
  const tabBoxes = await ben.page.locator(".tabs").evaluate((row) => {
    const box = row.getBoundingClientRect();
    return [...row.querySelectorAll(".tab")]
      .filter((t) => !t.hidden)
      .map((t) => {
        const r = t.getBoundingClientRect();
        return [t.textContent, r.left >= box.left - 0.5 && r.right <= Math.min(box.right, window.innerWidth) + 0.5];
      });
  });
  assertEq(
    tabBoxes,
    [["Best match", true], ["Recent", true], ["Popular", true], ["Trending", true]],
    "every tab wholly inside the row and the screen",
  );
  await shot(ben, shots, "browse-search", "phone");
  await ben.page.getByLabel("Search polls").fill("");
  await ben.waitText(status(ben), /^2 polls$/);

  at("Ben signs in from the header and is back on the list");
  await ben.page.getByRole("button", { name: "Sign in" }).click();
  await ben.waitScreen("auth");
  await signUp(ben, "Ben");
  await ben.waitScreen("polls");
  await ben.waitText(status(ben), "2 polls");
  await ben.waitText(ben.page.locator("a.me-link"), "Me");
  const overflow = await ben.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `the phone page does not scroll sideways (${overflow} px too wide)`);
  await ben.page.locator("a.me-link").click();
  await ben.waitScreen("user");
  await ben.waitText(ben.page.locator("h1"), "Ben");
  await ben.waitText(ben.page.getByRole("region", { name: "Your votes" }).locator(".list-status"), "You haven't voted on a poll yet.");
  report.user = anaId;

  at("a longer list comes page by page");
  // 21 more polls, made through the API from Ben's page (the form is tested above).
  const made = await ben.page.evaluate(async () => {
    let ok = 0;
    for (let i = 1; i <= 21; i++) {
      const r = await fetch("/api/polls", {
        method: "POST",
        credentials: "include",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ question: `Filler poll ${String(i).padStart(2, "0")}`, options: ["Yes", "No"] }),
      });
      if (r.status === 201) ok++;
    }
    return ok;
  });
  assertEq(made, 21, "polls created");
  await ben.page.getByRole("link", { name: "Polls", exact: true }).click();
  await ben.waitScreen("polls");
  await ben.waitText(status(ben), "23 polls");
  assertEq((await items(ben)).length, 20, "the first page");
  await ben.page.getByRole("button", { name: "Show more" }).click();
  await ben.waitFor(async () => (await items(ben)).length === 23, () => "23 polls listed");
  const all = await items(ben);
  assertEq(new Set(all).size, 23, "no poll twice");
  assertEq(all.slice(19), ["Filler poll 02", "Filler poll 01", SNACK, PASTRY], "the end of the list, in order");
  assert(!(await ben.page.getByRole("button", { name: "Show more" }).isVisible()), "nothing more to show");
  await ben.waitFor(
    async () => (await ben.page.evaluate(() => document.activeElement?.textContent)) === "Filler poll 01",
    () => "focus on the first newly shown poll",
  );

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
