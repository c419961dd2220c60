// Shared by the browser scenarios: Debian's Chromium through playwright-core (never a
// downloaded browser), players as browser contexts that record every console error, page error
// and failed request, waiting helpers that fail with what the page showed, and screenshots.

import { chromium } from "playwright-core";
import jsQR from "jsqr";
import { PNG } from "pngjs";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** How long any one expected change on a page may take. */
export const STEP_TIMEOUT = 10_000;

export const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};
export const DESKTOP = { viewport: { width: 1280, height: 800 } };
/** A big screen or projector (1080p). */
export const TV = { viewport: { width: 1920, height: 1080 } };

export function config() {
  return JSON.parse(readFileSync(process.argv[2], "utf8"));
}

/** Exits with the reason on stderr (the Rust test prints it); never hangs past `ms`. */
export function guard(name, ms) {
  const fail = (why) => {
    console.error(`${name}: ${why}`);
    process.exit(1);
  };
  process.on("unhandledRejection", (e) => fail(e?.stack || String(e)));
  process.on("uncaughtException", (e) => fail(e?.stack || String(e)));
  setTimeout(() => fail(`did not finish within ${ms / 1000} s`), ms).unref();
  return fail;
}

export async function launch() {
  // playwright-core gives every launch a fresh temporary profile (user-data dir).
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
}

let step = "start";
let stepStarted = Date.now();
/** How long each step took, in order (part of the report). */
export const timeline = [];
/** Names what the scenario is doing, so a failure says where it happened. */
export function at(what) {
  const now = Date.now();
  timeline.push([step, now - stepStarted]);
  step = what;
  stepStarted = now;
}
export const currentStep = () => step;

/**
 * One person with one browser context and page. Records everything that went wrong in the
 * page; `problems()` lists it, minus what `expected` allows.
 */
export class Player {
  constructor(name, context, page) {
    this.name = name;
    this.context = context;
    this.page = page;
    this.issues = [];
    this.sio = []; // Socket.IO traffic in order: {kind: "polling"|"websocket", url, status, acao, acac}
    this.expected = () => false;
    this.reloading = false;
    page.on("console", (m) => {
      if (m.type() === "error") this.issues.push(`[${step}] console error: ${m.text()}`);
    });
    page.on("pageerror", (e) => this.issues.push(`[${step}] page error: ${e.message}`));
    page.on("requestfailed", (r) => {
      const why = r.failure()?.errorText ?? "failed";
      // A long-poll cut short by our own reload or transport upgrade is not a failure.
      if (why === "net::ERR_ABORTED" && r.url().includes("/socket.io/")) return;
      // Nor is any request of the old page that our own reload cut short (a fetch the page had
      // just started, as a poll page's stats after a vote).
      if (why === "net::ERR_ABORTED" && this.reloading) return;
      this.issues.push(`[${step}] request failed: ${r.method()} ${r.url()} ${why}`);
    });
    // Socket.IO traffic in the order the page sent it; CORS headers filled in on response.
    const polls = new Map();
    page.on("request", (r) => {
      const url = r.url();
      if (url.includes("/socket.io/") && url.includes("transport=polling")) {
        const entry = { kind: "polling", method: r.method(), url, status: null, acao: null, acac: null };
        polls.set(r, entry);
        this.sio.push(entry);
      }
    });
    page.on("response", async (r) => {
      const url = r.url();
      const entry = polls.get(r.request());
      if (entry) {
        const h = await r.allHeaders().catch(() => ({}));
        entry.status = r.status();
        entry.acao = h["access-control-allow-origin"] ?? null;
        entry.acac = h["access-control-allow-credentials"] ?? null;
      }
      if (r.status() >= 400) this.issues.push(`[${step}] HTTP ${r.status()}: ${r.request().method()} ${url}`);
    });
    page.on("websocket", (ws) => this.sio.push({ kind: "websocket", url: ws.url() }));
  }

  static async open(browser, name, device, extra = {}) {
    const context = await browser.newContext({ ...device, ...extra });
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT);
    return new Player(name, context, page);
  }

  /** Reloads the page as a person would (F5), forgiving what the old page had in flight. */
  async reload() {
    this.reloading = true;
    try {
      await this.page.reload({ waitUntil: "domcontentloaded" });
    } finally {
      this.reloading = false;
    }
  }

  problems() {
    return this.issues.filter((i) => !this.expected(i));
  }

  async goto(url) {
    await this.page.goto(url, { waitUntil: "domcontentloaded" });
  }

  /** The page's `<main>` screen name (data-screen), e.g. "lobby", "answer", "vote". */
  async screen() {
    return this.page.locator("main").getAttribute("data-screen");
  }

  async waitScreen(name) {
    await this.waitFor(async () => (await this.screen()) === name, () => `screen ${name}`);
  }

  /** Polls `check` until it is truthy; fails with `what()` and the page's visible text. */
  async waitFor(check, what, timeout = STEP_TIMEOUT) {
    const end = Date.now() + timeout;
    for (;;) {
      let ok = false;
      try {
        ok = await check();
      } catch {
        ok = false;
      }
      if (ok) return;
      if (Date.now() > end) {
        const text = await this.page
          .locator("body")
          .innerText({ timeout: 1000 })
          .catch(() => "(no text)");
        throw new Error(
          `${this.name}: waited ${timeout} ms for ${what()} at step "${step}"; ` +
            `screen ${await this.screen().catch(() => "?")}; page shows:\n${text}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits until the locator's text matches (substring or RegExp). */
  async waitText(locator, want, timeout = STEP_TIMEOUT) {
    let seen = "";
    await this.waitFor(
      async () => {
        // textContent, not innerText: what the page says, whatever CSS does to its case.
        seen = ((await locator.first().textContent({ timeout: 500 })) ?? "").replace(/\s+/g, " ").trim();
        return want instanceof RegExp ? want.test(seen) : seen.includes(want);
      },
      () => `text ${want} (last seen: ${JSON.stringify(seen)})`,
      timeout,
    );
    return seen;
  }

  async text(selector) {
    return (await this.page.locator(selector).first().innerText()).trim();
  }

  async texts(selector) {
    return (await this.page.locator(selector).allInnerTexts()).map((t) => t.trim());
  }

  async conn() {
    return this.page.locator("#conn").getAttribute("data-state");
  }

  async waitConnected() {
    await this.waitFor(async () => (await this.conn()) === "connected", () => "connection badge: connected");
  }
}

/** Jumps entrance animations to their end, so a picture or a measure shows the settled page
 * (an endless animation, a pulse, has no end and is left running). */
export async function settle(player) {
  await player.page.evaluate(() =>
    document.getAnimations().forEach((a) => {
      try {
        a.finish();
      } catch {
        // endless: nothing to jump to
      }
    }),
  );
}

/** Saves a screenshot as <dir>/<screen>-<size>.png. */
export async function shot(player, dir, name, size) {
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await settle(player);
  await player.page.evaluate(() => new Promise((r) => setTimeout(r, 100)));
  await player.page.screenshot({ path: join(dir, `${name}-${size}.png`), fullPage: false });
}

/** A screenshot of the window, settled, as PNG bytes; also saved as <dir>/<name>.png when a
 * directory is given. */
export async function capture(player, dir, name) {
  await settle(player);
  const png = await player.page.screenshot({ fullPage: false, animations: "disabled" });
  if (dir) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${name}.png`), png);
  }
  return png;
}

/** Reads the QR code inside `locator`'s box from the screenshot `png` (jsQR on the crop). */
export async function decodeQr(png, locator) {
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

export function assert(cond, message) {
  if (!cond) throw new Error(`assertion failed at step "${step}": ${message}`);
}

export function assertEq(got, want, message) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Error(`assertion failed at step "${step}": ${message}: got ${g}, want ${w}`);
}

/** Signs up through the UI (the auth screen must be showing). */
export async function signUp(p, name) {
  const page = p.page;
  if ((await page.getByRole("button", { name: "Create account" }).first().getAttribute("aria-pressed")) !== "true") {
    await page.getByRole("button", { name: "Create account" }).first().click();
  }
  await page.getByLabel("Display name").fill(name);
  const email = `${name.toLowerCase()}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("password123");
  await page.locator("form button[type=submit]").click();
  return email;
}
