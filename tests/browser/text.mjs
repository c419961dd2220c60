// Open-answer (text) polls in the web client: Ana (desktop) creates one through the form (open
// answers, each approved before it shows, two answers per voter, visitors welcome). A projector
// (1920×1080) opens its presenter view. A visitor on a phone (390×844, no account) answers
// twice; both wait for approval and the phone says so. Ana's moderation queue gets both live;
// she approves one. The presenter's word cloud then shows the approved answer's words and never
// the held one's, and so does the phone's list of answers, without a reload. Nothing scrolls on
// the projector; no page logs an error. Screenshots: text-{answer,moderation}-*, text-cloud-1080p.
//
// Usage: node text.mjs <config.json>  with {base, shots}
// Prints one JSON line {ok: true, ...} on success, or exits non-zero with the reason.

import { DESKTOP, PHONE, Player, TV, assert, assertEq, at, capture, config, guard, launch, settle, shot, signUp, timeline } from "./lib.mjs";

const fail = guard("text.mjs", 110_000);
const cfg = config();
const base = cfg.base;
const shots = cfg.shots;
const Q = "One word for this conference?";

const browser = await launch();
const players = [];
let error = null;
const report = { ok: true };
try {
  const ana = await Player.open(browser, "Ana", DESKTOP);
  players.push(ana);
  const livePage = (p) =>
    p.waitFor(async () => (await p.page.locator(".poll-page").getAttribute("data-live")) === "true", () => `${p.name} live`);
  const cloudWords = (p, scope) => p.page.locator(`${scope} .cloud-word`).evaluateAll((els) => els.map((e) => e.dataset.word));

  at("Ana signs up and creates a text poll through the form");
  await ana.goto(`${base}/`);
  await ana.waitScreen("auth");
  await signUp(ana, "Ana");
  await ana.waitScreen("home");
  await ana.goto(`${base}/polls/new`);
  await ana.waitScreen("newpoll");
  await ana.page.getByLabel("Question").fill(Q);
  await ana.page.getByRole("radio", { name: /Open answers/ }).check();
  assert(await ana.page.locator(".options-field").isHidden(), "a text poll has no options to fill in");
  await ana.page.getByLabel("Answers per voter").fill("2");
  await ana.page.getByRole("checkbox", { name: /Approve each answer/ }).check();
  await ana.page.getByRole("checkbox", { name: /without an account/ }).check();
  await ana.page.getByRole("button", { name: "Create poll" }).click();
  await ana.waitScreen("poll");
  await ana.waitText(ana.page.locator("h1"), Q);
  await livePage(ana);
  await ana.waitText(ana.page.locator(".queue-counts"), "0 waiting · 0 shown · 0 hidden");
  const code = await ana.text(".share-code");
  report.code = code;

  at("the projector opens the presenter view");
  const tv = await Player.open(browser, "Projector", TV);
  players.push(tv);
  await tv.goto(`${base}/p/${code}/present`);
  await tv.waitScreen("present");
  await tv.waitText(tv.page.locator(".pr-question"), Q);
  await tv.waitFor(async () => (await tv.page.locator(".pr").getAttribute("data-live")) === "true", () => "the presenter subscribed");
  await tv.waitText(tv.page.locator(".pr-cloud"), "Answers appear here as they come in.");
  await tv.waitText(tv.page.locator(".pr-total"), "0 answers from 0 voters");
  await tv.waitText(tv.page.locator(".pr-side .bs-label").first(), "Answer at");

  at("a visitor on a phone answers twice; both wait for approval");
  const phone = await Player.open(browser, "Phone", PHONE);
  players.push(phone);
  await phone.goto(`${base}/p/${code}`);
  await phone.waitScreen("poll");
  await livePage(phone);
  await phone.waitText(phone.page.locator(".text-left"), "2 answers left · up to 140 characters each");
  const box = phone.page.getByRole("textbox", { name: "Your answer" });
  await box.fill("Sunny beaches, really!");
  await phone.waitText(phone.page.locator(".text-count"), "22 / 140");
  await phone.page.getByRole("button", { name: "Send" }).click();
  await phone.waitText(phone.page.locator(".text-mine"), "Waiting for approval");
  await box.fill("Rainy mountains");
  await phone.page.getByRole("button", { name: "Send" }).click();
  await phone.waitFor(async () => (await phone.page.locator(".text-mine-item").count()) === 2, () => "two answers of mine");
  await phone.waitText(phone.page.locator(".text-left"), "You have given your 2 answers.");
  assert(await box.isDisabled(), "no third answer");
  assertEq(await phone.texts(".text-answers .text-answer"), [], "nothing approved yet");
  await shot(phone, shots, "text-answer", "phone");

  at("Ana's queue shows both live and she approves one");
  await ana.waitText(ana.page.locator(".queue-counts"), "2 waiting · 0 shown · 0 hidden");
  assertEq(await ana.texts(".queue-text"), ["Sunny beaches, really!", "Rainy mountains"], "oldest first");
  await ana.page.getByRole("button", { name: "Approve “Sunny beaches, really!”" }).click();
  await ana.waitText(ana.page.locator(".queue-counts"), "1 waiting · 1 shown · 0 hidden");
  await ana.waitFor(async () => (await cloudWords(ana, ".cloud-box")).length === 3, () => "Ana's cloud");
  await shot(ana, shots, "text-moderation", "desktop");

  at("the presenter's cloud shows the approved words, never the held ones");
  await tv.waitFor(async () => (await cloudWords(tv, ".pr-cloud")).length === 3, () => "the projector's cloud");
  const words = (await cloudWords(tv, ".pr-cloud")).sort();
  assertEq(words, ["beaches", "really", "sunny"], "the approved answer's words");
  const tvText = await tv.text(".pr");
  assert(!/rainy|mountains/i.test(tvText), `the held answer stays off the projector: ${tvText}`);
  await tv.waitText(tv.page.locator(".pr-total"), "1 answer from 1 voter");
  await settle(tv);
  const fit = await tv.page.evaluate(() => {
    const c = document.querySelector(".pr-cloud .cloud")?.getBoundingClientRect();
    return {
      sh: document.scrollingElement.scrollHeight,
      sw: document.scrollingElement.scrollWidth,
      cloud: c ? [c.top, c.bottom, c.left, c.right] : null,
      largest: Math.max(...[...document.querySelectorAll(".pr-cloud .cloud-word")].map((e) => e.getBoundingClientRect().height)),
    };
  });
  assert(fit.sh <= 1080 && fit.sw <= 1920, `the projector does not scroll: ${JSON.stringify(fit)}`);
  assert(fit.cloud && fit.cloud[1] <= 1080 && fit.cloud[3] <= 1920, `the cloud is inside the window: ${JSON.stringify(fit)}`);
  assert(fit.largest >= 60, `the words read from the back of the room: ${fit.largest}px`);
  await capture(tv, shots, "text-cloud-1080p");
  report.cloud = words;

  at("the phone's answers follow without a reload");
  await phone.waitFor(async () => (await phone.texts(".text-answers .text-answer")).join() === "Sunny beaches, really!", () => "the approved answer on the phone");
  assert(!/Rainy/.test(await phone.text(".text-results")), "the held answer is not in the results");
  await phone.waitText(phone.page.locator(".text-mine-item", { hasText: "Sunny" }), "Shown");
  await phone.waitText(phone.page.locator(".text-mine-item", { hasText: "Rainy" }), "Waiting for approval");
  await shot(phone, shots, "text-results", "phone");

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
