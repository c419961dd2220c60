// A party through the web client (issue 21, items 3 and 5): a host with an account creates a
// one-round room; three guests on phones open its share link, type a nickname and tap Join, and
// are in the lobby (each timed); a visitor finds a game under way and watches as audience; an
// unknown code says so; one round to the podium; the host taps "Play again" and every page,
// the audience's too, follows game 2 without a reload (a marker set on each window survives,
// and no page navigated). A guest then makes an account from settings and may host. Screenshots
// of the join screen and the podium at 390 px.
//
// Usage: node party.mjs <config.json>  with {base, shots}
// Prints one JSON line {ok: true, code, joins, ...} on success, or exits non-zero with the reason.

import { PHONE, Player, assert, assertEq, at, config, guard, launch, shot, signUp, timeline } from "./lib.mjs";

const fail = guard("party.mjs", 120_000);
const cfg = config();
const base = cfg.base;
const shots = cfg.shots;

const browser = await launch();
const players = [];
let error = null;
try {
  const host = await Player.open(browser, "Hana", PHONE);
  const guests = [
    await Player.open(browser, "Pim", PHONE),
    await Player.open(browser, "Quinn", PHONE),
    await Player.open(browser, "Rae", PHONE, { colorScheme: "dark" }),
  ];
  const viewer = await Player.open(browser, "Vic", PHONE);
  players.push(host, ...guests, viewer);
  const four = [host, ...guests];
  // Main-frame navigations per page: a page that follows the game without a reload adds none.
  const navigations = new Map(players.map((p) => [p, 0]));
  for (const p of players) {
    p.page.on("framenavigated", (f) => {
      if (f === p.page.mainFrame()) navigations.set(p, navigations.get(p) + 1);
    });
  }

  // --- the host ------------------------------------------------------------------------------
  at("the host signs up and creates a one-round room");
  await host.goto(`${base}/`);
  await host.waitScreen("auth");
  await signUp(host, "Hana");
  await host.waitScreen("home");
  await host.page.getByLabel("Rounds").selectOption("1");
  await host.page.getByRole("button", { name: "Create room" }).click();
  await host.waitScreen("lobby");
  const code = (await host.text(".big-code")).trim();
  const link = `${base}/r/${code}`;
  assertEq(await host.text(".share-link"), link, "share link");

  // --- the share link, before anyone signs in -------------------------------------------------
  at("a visitor opens the share link: the room, its host, a nickname and one Join");
  await viewer.goto(link);
  await viewer.waitScreen("join");
  await viewer.waitText(viewer.page.locator("h1"), `Room ${code}`);
  await viewer.waitText(viewer.page.locator(".join-host"), "Hana is hosting · 1 of 8 players");
  assertEq(await viewer.page.getByLabel("Your nickname").inputValue(), "", "an empty nickname field");
  assertEq(await viewer.page.getByRole("button", { name: "Join game" }).count(), 1, "one Join button");
  assertEq(await viewer.page.getByRole("button", { name: "Watch as audience" }).isVisible(), false, "seats left: play");
  await shot(viewer, shots, "join", "phone");

  // --- three guests join ----------------------------------------------------------------------
  const joins = [];
  for (const [i, g] of guests.entries()) {
    at(`${g.name} opens the link, types a nickname, taps Join`);
    const opened = Date.now();
    await g.goto(link);
    await g.waitScreen("join");
    await g.waitText(g.page.locator(".join-host"), "Hana is hosting");
    await g.page.getByLabel("Your nickname").fill(g.name);
    const tapped = Date.now();
    await g.page.getByRole("button", { name: "Join game" }).click();
    await g.waitScreen("lobby");
    const inLobby = Date.now();
    const me = g.page.locator(".player", { hasText: g.name });
    await g.waitText(me.locator(".badges"), "You");
    await g.waitText(g.page.locator(".count"), `${i + 2} / 8`);
    joins.push({ name: g.name, open_to_lobby_ms: inLobby - opened, tap_to_lobby_ms: inLobby - tapped });
  }
  for (const p of four) {
    await p.waitFor(
      async () => JSON.stringify(await p.texts(".player .player-name")) === JSON.stringify(["Hana", "Pim", "Quinn", "Rae"]),
      () => "Hana, Pim, Quinn and Rae in the lobby",
    );
  }
  at("a guest who opens the link again is straight back in the lobby");
  await guests[0].goto(link);
  await guests[0].waitScreen("lobby");
  await guests[0].waitText(guests[0].page.locator(".player", { hasText: "Pim" }).locator(".badges"), "You");

  // --- a game under way, an unknown code --------------------------------------------------------
  at("the host starts the game; the visitor is told, and watches as audience");
  await host.page.getByRole("button", { name: "Start game" }).click();
  for (const p of four) await p.waitScreen("answer");
  await viewer.reload();
  await viewer.waitScreen("join");
  await viewer.waitText(viewer.page.locator(".form-error"), "This game has already started");
  await viewer.waitText(viewer.page.locator(".form-error"), "You can still watch as audience.");
  assertEq(await viewer.page.getByRole("button", { name: "Join game" }).isVisible(), false, "no Join mid-game");
  await viewer.page.getByLabel("Your nickname").fill("Vic");
  await viewer.page.getByRole("button", { name: "Watch as audience" }).click();
  await viewer.waitScreen("answer");
  await viewer.waitText(viewer.page.locator(".done-card:visible"), "You're watching");
  assertEq(await viewer.page.getByLabel("Your answer").isVisible(), false, "the audience never answers");

  // --- one round ------------------------------------------------------------------------------
  at("everyone answers; voting starts by itself");
  const answers = { Hana: "Cheese moons", Pim: "Gravity socks", Quinn: "Comet parking", Rae: "Rocket tea" };
  for (const p of four) {
    await p.page.getByLabel("Your answer").fill(answers[p.name]);
    await p.page.getByRole("button", { name: "Send answer" }).click();
  }
  for (const p of [...four, viewer]) await p.waitScreen("vote");

  at("the audience votes apart; everyone votes; the round ends by itself");
  const card = (p, text) => p.page.locator(".answer-card", { hasText: text });
  await card(viewer, answers.Quinn).getByRole("button", { name: /Vote/ }).click();
  await viewer.waitText(card(viewer, answers.Quinn).locator(".tag"), "Your vote");
  // The web client's room form hides votes until the reveal (on by default): how many have
  // voted shows, never for what.
  for (const [i, p] of four.entries()) {
    const choice = p.name === "Pim" ? answers.Hana : answers.Pim;
    await card(p, choice).getByRole("button", { name: /Vote/ }).click();
    if (i === 0) {
      for (const q of guests) await q.waitText(q.page.locator(".progress-text"), "1 of 4 voted");
      assertEq(await guests[0].page.locator(".answer-card .votes:visible").count(), 0, "no counts while voting");
    }
  }
  for (const p of [...four, viewer]) await p.waitScreen("reveal");
  at("the reveal names who voted for what; each author sees who voted for them");
  await host.waitText(host.page.locator(".result.mine .voters"), "Voted for you: Pim");
  await guests[0].waitText(guests[0].page.locator(".result.mine .voters"), "Voted for you: Hana, Quinn, Rae");
  await guests[1].waitText(guests[1].page.locator(".result", { hasText: answers.Pim }).locator(".voters"), "Voted by Hana, you, Rae");
  await host.page.getByRole("button", { name: "Show final results" }).click();
  for (const p of [...four, viewer]) await p.waitScreen("podium");

  // --- the podium and play again ----------------------------------------------------------------
  at("the podium: the host's Play again; the others wait, or leave");
  await host.waitText(host.page.locator("h1"), "Pim wins!");
  assertEq(await host.page.getByRole("button", { name: "Play again" }).isVisible(), true, "the host's Play again");
  for (const p of [...guests, viewer]) {
    await p.waitText(p.page.locator(".waiting"), "Waiting for Hana to start another game…");
    assertEq(await p.page.locator(".play-again:visible").count(), 0, `${p.name}: no Play again`);
    assert(await p.page.getByRole("button", { name: /Leave room|Stop watching/ }).isVisible(), `${p.name}: a way home`);
  }
  await shot(host, shots, "play-again", "phone");

  at("the host taps Play again: every page follows game 2 without a reload");
  for (const p of players) await p.page.evaluate(() => (window.__vgMarker = "game 1"));
  const before = new Map(players.map((p) => [p, navigations.get(p)]));
  const again = Date.now();
  await host.page.getByRole("button", { name: "Play again" }).click();
  for (const p of [...four, viewer]) {
    await p.waitScreen("answer");
    await p.waitText(p.page.locator(".eyebrow"), "Game 2 · Round 1 of 1");
  }
  const followed = Date.now() - again;
  for (const p of [...four, viewer]) {
    assertEq(await p.page.evaluate(() => window.__vgMarker), "game 1", `${p.name}'s page was not reloaded`);
    assertEq(navigations.get(p), before.get(p), `${p.name} did not navigate`);
    if (p !== viewer) assertEq(await p.page.getByLabel("Your answer").isVisible(), true, `${p.name} can answer`);
  }
  await host.waitText(host.page.locator(".progress-text"), "0 of 4 answered");

  // --- a guest makes an account -----------------------------------------------------------------
  at("a guest makes an account from settings, keeping their nickname and games");
  const quinn = guests[1];
  await quinn.goto(`${base}/`);
  await quinn.waitScreen("home");
  await quinn.waitText(quinn.page.locator(".guest-host"), "Hosting needs an account");
  assertEq(await quinn.page.getByRole("button", { name: "Create room" }).count(), 0, "no host form for a guest");
  await quinn.page.getByRole("link", { name: "Make an account" }).click();
  await quinn.waitScreen("settings");
  await quinn.page.getByLabel("Email").fill(`quinn-${Date.now()}@example.com`);
  await quinn.page.getByLabel("Password").fill("password123");
  await quinn.page.getByRole("button", { name: "Create account" }).click();
  await quinn.waitText(quinn.page.locator(".form-ok").last(), "you have an account");
  await quinn.waitFor(
    async () => !(await quinn.page.getByRole("button", { name: "Create account" }).isVisible()),
    () => "the upgrade form cannot be sent twice",
  );
  await quinn.goto(`${base}/`);
  await quinn.waitScreen("home");
  await quinn.waitText(quinn.page.locator("h1"), "Hi, Quinn!");
  assertEq(await quinn.page.getByRole("button", { name: "Create room" }).count(), 1, "the host form, now");

  // --- an unknown code ------------------------------------------------------------------------
  at("an unknown code says so on the same screen");
  const wrong = code === "ZZZZZZ" ? "YYYYYY" : "ZZZZZZ";
  const stranger = await Player.open(browser, "Sol", PHONE);
  players.push(stranger);
  // The preview's 404 is the answer, and Chromium logs it.
  stranger.expected = (i) => i.includes("404");
  await stranger.goto(`${base}/`);
  await stranger.waitScreen("auth");
  await shot(stranger, shots, "home-visitor", "phone");
  await stranger.page.getByLabel("Room code").fill(wrong.toLowerCase());
  await stranger.page.getByRole("button", { name: "Join game" }).click();
  await stranger.waitScreen("join");
  assertEq(new URL(stranger.page.url()).pathname, `/r/${wrong}`, "the code's share link");
  await stranger.waitText(stranger.page.locator(".form-error"), "There's no open room with that code");
  assertEq(await stranger.page.getByLabel("Your nickname").isVisible(), false, "nothing to join");

  await shot(stranger, shots, "join-unknown", "phone");

  at("transports and problems");
  const problems = players.flatMap((p) => p.problems().map((i) => `${p.name}: ${i}`));
  if (problems.length) throw new Error(`problems in the pages:\n${problems.join("\n")}`);
  at("done");
  console.log(JSON.stringify({ ok: true, code, joins, play_again_ms: followed, timeline }));
} catch (e) {
  error = e;
} finally {
  await browser.close().catch(() => {});
}
if (error) fail(error?.stack || String(error));
process.exit(0);
