// Browsing polls (`/polls`, open to visitors): tabs for recent, popular and trending (and "best
// match" while searching), a category filter, search as you type and "Show more" pages, all from
// `GET /api/polls`. Typing waits 200 ms for a pause, and a newer query cancels the request of an
// older one (see pager), so results never arrive out of order. The choice lives in the address
// (`/polls?sort=popular&category=food&q=piz`), so a reload or a shared link shows the same list.
// New public polls appear live at the top of Recent (the socket's feed, see below).

import { api } from "../api";
import { h } from "../dom";
import { loadCategories, watchFeed } from "../polls";
import { state, type PollPage, type PollSummary } from "../store";
import { pager, pollItem } from "./polllist";
import { plural, type Screen } from "./screen";

type Sort = "best" | "recent" | "popular" | "trending";
const SORTS: Array<[Sort, string]> = [
  ["best", "Best match"],
  ["recent", "Recent"],
  ["popular", "Popular"],
  ["trending", "Trending"],
];
const DEBOUNCE_MS = 200;
const PER_PAGE = 20;

export function browseScreen(): Screen {
  const url = new URLSearchParams(location.search);
  let q = (url.get("q") ?? "").trim();
  let category = url.get("category") ?? "";
  let sort: Sort = (SORTS.find(([s]) => s === url.get("sort"))?.[0] ?? (q ? "best" : "recent")) as Sort;
  let timer = 0;
  /** A search was cancelled by typing: the list must be loaded again even for the same text. */
  let cancelled = false;

  // --- search ---
  const search = h("input", {
    id: "browse-q",
    name: "q",
    type: "search",
    value: q,
    autocomplete: "off",
    spellcheck: false,
    enterKeyHint: "search",
    maxLength: 200,
    placeholder: "Words from a question or an option",
    "aria-controls": "browse-panel",
  });
  const cat = h(
    "select",
    { id: "browse-category", name: "category", "aria-controls": "browse-panel" },
    h("option", { value: "" }, "All categories"),
  );
  const searchForm = h(
    "form",
    {
      role: "search",
      class: "browse-filters",
      onsubmit: (e: Event) => {
        // Enter searches at once (and keeps the phone's keyboard from reloading the page).
        e.preventDefault();
        clearTimeout(timer);
        typed(true);
      },
    },
    h("div", { class: "field browse-q" }, h("label", { for: "browse-q" }, "Search polls"), search),
    h("div", { class: "field" }, h("label", { for: "browse-category" }, "Category"), cat),
  );

  // --- tabs (the ARIA tabs pattern: arrows move between them, Tab goes to the list) ---
  const tabs = new Map<Sort, HTMLButtonElement>();
  const tablist = h("div", { class: "tabs", role: "tablist", "aria-label": "Order" });
  for (const [s, label] of SORTS) {
    const tab = h(
      "button",
      { type: "button", role: "tab", id: `tab-${s}`, class: "tab", "aria-controls": "browse-panel" },
      label,
    );
    tab.addEventListener("click", () => choose(s));
    tabs.set(s, tab);
    tablist.append(tab);
  }
  tablist.addEventListener("keydown", (e: KeyboardEvent) => {
    const shown = [...tabs.values()].filter((t) => !t.hidden);
    const at = shown.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const to =
      e.key === "ArrowRight" ? (at + 1) % shown.length
      : e.key === "ArrowLeft" ? (at - 1 + shown.length) % shown.length
      : e.key === "Home" ? 0
      : e.key === "End" ? shown.length - 1
      : -1;
    if (to < 0) return;
    e.preventDefault();
    shown[to].focus();
    shown[to].click();
  });

  const list = pager<PollSummary>({
    label: "Polls",
    key: (p) => p.id,
    render: (p) => pollItem(p),
    load: async (page, signal) => {
      const r = await api<PollPage>("GET", `/api/polls?${params(page)}`, undefined, signal);
      return { items: r.polls, more: r.page * r.per_page < r.total, total: r.total };
    },
    empty: () =>
      q
        ? `No polls match “${q}”. Try fewer or other words.`
        : category
          ? "No polls in this category yet."
          : "No polls yet.",
    count: (n) => (q ? `${plural(n, "poll")} ${n === 1 ? "matches" : "match"} “${q}”` : plural(n, "poll")),
  });
  const panel = h("div", { id: "browse-panel", role: "tabpanel", class: "browse-panel" }, list.el);

  function params(page: number): string {
    const p = new URLSearchParams();
    // Without `sort`, a search is ranked by relevance.
    if (sort !== "best") p.set("sort", sort);
    if (category) p.set("category", category);
    if (q) p.set("q", q);
    p.set("page", String(page));
    p.set("per_page", String(PER_PAGE));
    return p.toString();
  }

  /** Draws the tabs and puts the choice in the address bar. */
  function show(): void {
    for (const [s, tab] of tabs) {
      const on = s === sort;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      tab.hidden = s === "best" && !q;
    }
    panel.setAttribute("aria-labelledby", `tab-${sort}`);
    const p = new URLSearchParams();
    if (sort !== (q ? "best" : "recent")) p.set("sort", sort);
    if (category) p.set("category", category);
    if (q) p.set("q", q);
    const qs = p.toString();
    const want = qs ? `/polls?${qs}` : "/polls";
    if (location.pathname === "/polls" && location.pathname + location.search !== want) {
      history.replaceState(null, "", want);
    }
  }

  function reload(): void {
    show();
    list.reset();
  }

  function choose(s: Sort): void {
    if (s === sort) return;
    sort = s;
    reload();
  }

  /** The search text changed: at once (Enter), or after a pause in the typing. */
  function typed(now: boolean): void {
    const text = search.value.trim();
    if (text === q && !now && !cancelled) return;
    cancelled = false;
    const had = !!q;
    q = text;
    // Searching ranks by relevance until another order is chosen; without words that order
    // means nothing, so it falls back to recent.
    if (q && !had && sort === "recent") sort = "best";
    if (!q && sort === "best") sort = "recent";
    reload();
  }

  search.addEventListener("input", () => {
    // A request for older text is stale the moment the text changes.
    if (list.cancel()) cancelled = true;
    clearTimeout(timer);
    timer = window.setTimeout(() => {
      if (el.isConnected) typed(false);
    }, DEBOUNCE_MS);
  });

  cat.addEventListener("change", () => {
    category = cat.value;
    reload();
  });

  loadCategories().then(
    (cats) => {
      for (const c of cats) cat.append(h("option", { value: c.slug, selected: c.slug === category }, c.name));
    },
    () => {
      cat.disabled = true;
      cat.title = "Categories could not be loaded";
    },
  );

  const newPoll = h("a", { href: "/polls/new", "data-link": true, class: "btn btn-primary btn-small" }, "New poll");
  const el = h(
    "section",
    { class: "screen browse" },
    h("div", { class: "row between" }, h("h1", null, "Polls"), newPoll),
    searchForm,
    tablist,
    panel,
  );
  reload();

  // The feed carries every new public poll. Recent is newest first, so a new poll belongs at its
  // top; a category is checked here (the summary names it), but a search is not: the server's
  // stemmed, ranked matching can't be repeated faithfully in the page, and a poll that
  // doesn't match must never show among the results. Other tabs rank by counts that a new poll
  // doesn't have yet. Their lists are fresh when the tab is chosen again. main.ts stops the
  // feed when the page is left.
  watchFeed((p) => {
    // Subscribed: new polls appear from now on (the browser tests wait for this).
    if (!p) panel.dataset.live = "true";
    else if (sort === "recent" && !q && (!category || p.category?.slug === category) && el.isConnected) {
      list.prepend(p);
    }
  });

  return {
    el,
    title: "Polls",
    update() {
      newPoll.hidden = !state.me;
    },
  };
}
