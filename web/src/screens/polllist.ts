// Lists of polls, shared by the browse page and the profile: one poll as a line that links to
// its page, and a list that loads page after page ("Show more") and cancels a load that a newer
// one has overtaken, so an older answer never lands over a newer one.

import { ApiError } from "../api";
import { h, setText } from "../dom";
import { describe } from "../errors";
import { pollState } from "../polls";
import type { PollSummary } from "../store";
import { plural, syncList } from "./screen";

const STATE_TEXT = { draft: "Draft", open: "Open", closed: "Closed", expired: "Expired" } as const;

const units: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ["year", 31536e6],
  ["month", 2592e6],
  ["day", 864e5],
  ["hour", 36e5],
  ["minute", 6e4],
];
const rtf = new Intl.RelativeTimeFormat([], { numeric: "auto", style: "short" });

/** "5 min. ago", "yesterday"; "just now" under a minute. */
export function ago(iso: string): string {
  const ms = Date.parse(iso) - Date.now();
  if (Number.isNaN(ms)) return "";
  for (const [unit, size] of units) {
    if (Math.abs(ms) >= size) return rtf.format(Math.round(ms / size), unit);
  }
  return "just now";
}

/** One poll: its question links to its page; who asked links to their profile. */
export function pollItem(p: PollSummary, extra?: string): HTMLElement {
  const st = pollState(p);
  const bits = [
    p.category?.name,
    plural(p.voters, "voter"),
    plural(p.likes, "like"),
    ago(p.created_at),
    p.is_public ? null : "unlisted",
    extra,
  ].filter(Boolean);
  return h(
    "li",
    { class: "poll-item" },
    h("a", { class: "poll-item-link", href: `/p/${p.id}`, "data-link": true }, p.question),
    h(
      "p",
      { class: "poll-item-meta" },
      h("span", { class: "poll-state", "data-state": st }, STATE_TEXT[st]),
      h("span", null, "by ", h("a", { href: `/u/${p.creator.id}`, "data-link": true }, p.creator.display_name)),
      h("span", null, bits.join(" · ")),
    ),
  );
}

export interface Pager<T> {
  el: HTMLElement;
  /** Starts again from page 1 (cancelling any load in flight). */
  reset(): void;
  /** Cancels the load in flight, if any (its answer is stale); says whether there was one. */
  cancel(): boolean;
  /** Puts a new item first (unless it is shown already). */
  prepend(item: T): void;
}

/**
 * A list that loads `load(page, signal)` page by page. `more` in the answer says whether another
 * page exists. Items are keyed by `key`, so an item that moved to the next page meanwhile shows
 * once. `empty()` is what an empty first page says.
 */
export function pager<T>(opts: {
  label: string;
  load: (page: number, signal: AbortSignal) => Promise<{ items: T[]; more: boolean; total?: number }>;
  key: (item: T) => string;
  render: (item: T) => HTMLElement;
  empty: () => string;
  count?: (total: number) => string;
}): Pager<T> {
  const list = h("ul", { class: "poll-list", "aria-label": opts.label });
  const status = h("p", { class: "hint list-status", role: "status" });
  const more = h("button", { type: "button", class: "btn btn-secondary" }, "Show more");
  const retry = h("button", { type: "button", class: "btn btn-secondary" }, "Try again");
  const el = h("div", { class: "stack pager" }, status, list, h("div", { class: "row center" }, more, retry));
  let items: T[] = [];
  /** Items prepended since the first page was asked for: its answer may predate them. */
  let added: T[] = [];
  let total: number | undefined;
  let page = 0;
  let ctrl: AbortController | null = null;
  more.hidden = true;
  retry.hidden = true;

  function cancel(): boolean {
    if (!ctrl) return false;
    ctrl.abort();
    ctrl = null;
    list.removeAttribute("aria-busy");
    more.disabled = false;
    return true;
  }

  async function fetchPage(next: number): Promise<void> {
    cancel();
    const mine = new AbortController();
    ctrl = mine;
    list.setAttribute("aria-busy", "true");
    more.disabled = true;
    retry.hidden = true;
    if (next === 1) {
      added = [];
      if (items.length === 0) setText(status, "Loading…");
    }
    try {
      const r = await opts.load(next, mine.signal);
      if (ctrl !== mine) return; // overtaken by a newer load
      total = r.total;
      if (next === 1) {
        // A fresh start: every line is drawn anew (its counts may have changed).
        const fresh = new Set(r.items.map(opts.key));
        items = added.filter((i) => !fresh.has(opts.key(i)));
        if (total !== undefined) total += items.length;
        list.replaceChildren();
      }
      const seen = new Set(items.map(opts.key));
      items = items.concat(r.items.filter((i) => !seen.has(opts.key(i))));
      page = next;
      more.hidden = !r.more;
      draw();
    } catch (e) {
      if (ctrl !== mine || (e instanceof ApiError && e.code === "aborted")) return;
      setText(status, describe(e instanceof ApiError ? e : { code: "network" }));
      retry.hidden = false;
      retry.onclick = () => void fetchPage(next);
    } finally {
      if (ctrl === mine) {
        ctrl = null;
        list.removeAttribute("aria-busy");
        more.disabled = false;
      }
    }
  }

  function draw(): void {
    syncList(list, items, opts.key, opts.render, () => {});
    setText(status, items.length === 0 ? opts.empty() : total !== undefined && opts.count ? opts.count(total) : "");
  }

  function prepend(item: T): void {
    const k = opts.key(item);
    if (added.some((i) => opts.key(i) === k)) return;
    added.unshift(item);
    if (page === 0 || items.some((i) => opts.key(i) === k)) return;
    items.unshift(item);
    if (total !== undefined) total++;
    draw();
  }

  more.addEventListener("click", () => {
    // Keep focus in the list: on the first new item once it is there.
    const before = items.length;
    void fetchPage(page + 1).then(() => {
      (list.children[before]?.querySelector("a") as HTMLElement | null)?.focus();
    });
  });

  return { el, reset: () => void fetchPage(1), cancel, prepend };
}
