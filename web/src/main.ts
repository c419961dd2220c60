// Start-up, routing and drawing. Routes: `/` (join a room by its code, or sign in to host one),
// `/r/CODE` (the share link: the room, a nickname and one Join, signed in or not; once in it,
// the game's screens), `/polls/new`
// (create a poll), `/p/CODE` or `/p/ID` (a poll's page and share link; `/p/CODE/present` its
// presenter view for a projector), `/polls` (browse and search) and
// `/u/ID` (a profile); the last three are open to visitors too; `/me/settings` (one's account).
// Every state change redraws: the screen is rebuilt only when its key changes (another phase,
// another round), and otherwise patched in place, so typing, focus and countdowns are never
// disturbed.

import { api, ApiError } from "./api";
import { h, setText } from "./dom";
import { describe } from "./errors";
import * as game from "./game";
import * as polls from "./polls";
import { isHost, state, subscribe, update, type Route, type User } from "./store";
import { clearToasts, stopCountdowns, toast } from "./ui";
import type { Screen } from "./screens/screen";
import { authScreen } from "./screens/auth";
import { homeScreen } from "./screens/home";
import { joinScreen } from "./screens/join";
import { lobbyScreen } from "./screens/lobby";
import { answerScreen } from "./screens/answer";
import { voteScreen } from "./screens/vote";
import { revealScreen } from "./screens/reveal";
import { podiumScreen } from "./screens/podium";
import { newPollScreen } from "./screens/newpoll";
import { pollScreen } from "./screens/poll";
import { presentScreen } from "./screens/present";
import { browseScreen } from "./screens/browse";
import { profileScreen } from "./screens/profile";
import { settingsScreen } from "./screens/settings";
import { bootErrorScreen, loadingScreen, missingScreen } from "./screens/misc";
import { screenCode, startBigScreen } from "./screens/bigscreen";

const SIGNED_IN_HINT = "vg.signedIn";

// --- routing --------------------------------------------------------------------------------

export function parseRoute(path: string): Route {
  if (path === "/" || path === "") return { name: "home" };
  const m = /^\/r\/([A-Za-z0-9]{4,12})\/?$/.exec(path);
  if (m) return { name: "room", code: m[1].toUpperCase() };
  if (/^\/polls\/new\/?$/.test(path)) return { name: "newpoll" };
  const p = /^\/p\/([0-9a-fA-F-]{36}|[A-Za-z0-9]{6})(\/present)?\/?$/.exec(path);
  if (p) {
    // An id in lower case, a code in upper case: one spelling each.
    const ref = p[1].length === 6 ? p[1].toUpperCase() : p[1].toLowerCase();
    return p[2] ? { name: "poll", ref, present: true } : { name: "poll", ref };
  }
  if (/^\/polls\/?$/.test(path)) return { name: "polls" };
  if (/^\/me\/settings\/?$/.test(path)) return { name: "settings" };
  const u = /^\/u\/([0-9a-fA-F-]{36})\/?$/.exec(path);
  if (u) return { name: "user", id: u[1].toLowerCase() };
  return { name: "missing" };
}

/** Goes to `path`; `join` says the player asked to join that room (no join screen). */
export function navigate(path: string, opts: { join?: boolean; replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, "", path);
  else if (location.pathname !== path) history.pushState(null, "", path);
  route(opts.join ?? false);
}

function route(wantsJoin = false): void {
  const r = parseRoute(location.pathname);
  // The canonical spelling of a share link is upper case.
  if (r.name === "room" && location.pathname !== `/r/${r.code}`) {
    history.replaceState(null, "", `/r/${r.code}`);
  }
  const pollPath = r.name === "poll" ? `/p/${r.ref}${r.present ? "/present" : ""}` : "";
  if (pollPath && location.pathname !== pollPath) history.replaceState(null, "", pollPath);
  update((s) => {
    s.route = r;
    s.joinError = null;
    s.pollSignIn = false;
  });
  if (r.name !== "poll") polls.unwatch();
  if (r.name !== "polls") polls.unwatchFeed();
  if (r.name === "room") {
    if (state.game && state.game.room.code !== r.code) game.leaveLocally();
    if (state.me && (wantsJoin || game.isRemembered(r.code))) game.join(r.code);
    else if (state.me && game.isWatching(r.code)) game.watch(r.code);
  } else if (state.game || state.joining) {
    // Away from the room (it goes on without this page; the share link brings us back).
    game.leaveLocally();
  }
}

// --- account --------------------------------------------------------------------------------

export function signedIn(user: User): void {
  localStorage.setItem(SIGNED_IN_HINT, "1");
  // A guest has no account to sign in to next time.
  if (!user.guest) localStorage.setItem("vg.known", "1");
  update((s) => {
    s.me = user;
    s.bootError = null;
  });
  game.connect();
  route(false);
}

export async function signOut(): Promise<void> {
  try {
    await api("POST", "/api/auth/logout");
  } catch (e) {
    // Signed out here whatever the server said; only a network error is worth a word.
    if (e instanceof ApiError && e.code === "network") toast(describe(e));
  }
  localSignOut();
  navigate("/");
}

function localSignOut(): void {
  localStorage.removeItem(SIGNED_IN_HINT);
  game.disconnect();
  update((s) => {
    s.me = null;
    s.game = null;
    s.joining = false;
  });
}

game.setSignedOutHandler((why) => {
  localSignOut();
  toast(why);
});

// --- drawing --------------------------------------------------------------------------------

const main = document.getElementById("main") as HTMLElement;
const connEl = document.getElementById("conn") as HTMLElement;
const accountEl = document.getElementById("account") as HTMLElement;
let current: { key: string; screen: Screen } | null = null;

function pick(): [string, () => Screen] {
  if (!state.booted) return ["loading", loadingScreen];
  if (state.bootError) return ["boot-error", () => bootErrorScreen(state.bootError ?? "", boot)];
  const r = state.route;
  if (r.name === "missing") return ["missing", missingScreen];
  // A poll's page, the list and profiles are open to visitors; they sign in there when they ask.
  const me = state.me?.id ?? "";
  if (state.me || !state.pollSignIn) {
    if (r.name === "poll" && r.present) return [`present:${r.ref}:${me}`, () => presentScreen(r.ref)];
    if (r.name === "poll") return [`poll:${r.ref}:${me}`, () => pollScreen(r.ref, navigate)];
    if (r.name === "polls") return [`polls:${me}`, browseScreen];
    if (r.name === "user") return [`user:${r.id}:${me}`, () => profileScreen(r.id)];
  }
  // A share link is open to visitors too: a nickname and Join make them a guest on the way in.
  if (r.name === "room" && (state.me || !state.pollSignIn)) {
    const g = state.game;
    if (!g || g.room.code !== r.code) return [`join:${r.code}`, () => joinScreen(r.code, signedIn)];
  }
  if (!state.me) return [`auth:${r.name === "room" ? r.code : ""}`, () => authScreen(r, signedIn, navigate)];
  if (r.name === "newpoll") return ["newpoll", () => newPollScreen(navigate)];
  if (r.name === "settings") return ["settings", settingsScreen];
  if (r.name === "home") return ["home", () => homeScreen(navigate)];
  if (r.name === "poll" || r.name === "polls" || r.name === "user") return ["missing", missingScreen];
  const g = state.game;
  if (!g) return ["missing", missingScreen];
  if (g.room.status === "finished" || g.final) return ["podium", () => podiumScreen(navigate)];
  const round = g.round;
  if (g.room.status === "lobby" || !round) return ["lobby", () => lobbyScreen(navigate)];
  if (round.status === "answering") return [`answer:${round.id}`, () => answerScreen(round.id)];
  if (round.status === "voting") return [`vote:${round.id}`, () => voteScreen(round.id)];
  return [`reveal:${round.id}`, revealScreen];
}

function render(): void {
  drawHeader();
  const [key, make] = pick();
  if (current?.key !== key) {
    const first = current === null;
    stopCountdowns();
    const screen = make();
    current = { key, screen };
    main.replaceChildren(screen.el);
    document.title = `${screen.title} · Voting Game`;
    main.dataset.screen = key.split(":")[0];
    // The presenter view is the whole window, as the big screen is (no header).
    document.body.classList.toggle("is-presenting", main.dataset.screen === "present");
    // Move focus to the new screen (keyboard and screen-reader users land on it), except on
    // the very first draw, where the browser's own start is right.
    const target = screen.focus ?? screen.el.querySelector<HTMLElement>("h1");
    if (target && !first) {
      if (!target.hasAttribute("tabindex") && target.tagName === "H1") target.tabIndex = -1;
      target.focus({ preventScroll: false });
    }
    if (!first) window.scrollTo(0, 0);
  }
  current.screen.update();
}

const CONN_TEXT: Record<string, string> = {
  idle: "",
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

/** The pages a visitor may see without signing in (a share link's screen has its own
 * "Sign in", beside the nickname). */
const isOpenRoute = (r: Route) => r.name === "poll" || r.name === "polls" || r.name === "user";

function drawHeader(): void {
  // A visitor has a socket on a poll's page and on the list (its live feed).
  const conn = state.me || state.route.name === "poll" || state.route.name === "polls" ? state.conn : "idle";
  connEl.dataset.state = conn;
  connEl.hidden = conn === "idle";
  const label = connEl.querySelector(".conn-text") ?? connEl.appendChild(h("span", { class: "conn-text" }));
  setText(label, CONN_TEXT[conn]);
  connEl.title = conn === "connected" ? `Connected (${game.transportName()})` : CONN_TEXT[conn];
  connEl.dataset.transport = game.transportName();

  const me = state.me;
  const r = state.route;
  // A visitor on an open page may sign in from the header (and comes back to the same page).
  const visitor = !me && isOpenRoute(r) && !state.pollSignIn;
  const key = me ? `${me.id}:${me.display_name}:${isHost(state.game, me)}` : visitor ? "visitor" : "";
  if (accountEl.dataset.key !== key) {
    accountEl.dataset.key = key;
    const polls = h("a", { href: "/polls", "data-link": true, class: "nav-link" }, "Polls");
    accountEl.replaceChildren(
      ...(me
        ? [
            h(
              "nav",
              { class: "nav", "aria-label": "Main" },
              polls,
              h(
                "a",
                {
                  href: `/u/${me.id}`,
                  "data-link": true,
                  class: "nav-link me-link",
                  title: me.email ? `Your profile (${me.email})` : "Your profile (guest)",
                },
                h("span", { class: "me-name" }, me.display_name),
                h("span", { class: "me-short" }, "Me"),
              ),
            ),
            h(
              "button",
              { type: "button", class: "btn btn-quiet btn-small", onclick: () => void signOut() },
              "Sign out",
            ),
          ]
        : visitor
          ? [
              h("nav", { class: "nav", "aria-label": "Main" }, polls),
              h(
                "button",
                { type: "button", class: "btn btn-quiet btn-small", onclick: () => update((s) => (s.pollSignIn = true)) },
                "Sign in",
              ),
            ]
          : []),
    );
  }
  // The current page's link says so.
  for (const a of accountEl.querySelectorAll<HTMLAnchorElement>("a.nav-link")) {
    if (a.pathname === location.pathname) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

subscribe(render);

// --- start ----------------------------------------------------------------------------------

// Links marked data-link change the route without reloading the page.
document.addEventListener("click", (e) => {
  const a = (e.target as Element | null)?.closest?.("a[data-link]") as HTMLAnchorElement | null;
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey)
    return;
  e.preventDefault();
  clearToasts();
  navigate(a.pathname);
});
window.addEventListener("popstate", () => route(false));

async function boot(): Promise<void> {
  update((s) => {
    s.booted = false;
    s.bootError = null;
    s.route = parseRoute(location.pathname);
  });
  // Only ask who we are when this browser signed in before: a first visit makes no request
  // that is bound to fail.
  if (localStorage.getItem(SIGNED_IN_HINT)) {
    try {
      const { user } = await api<{ user: User }>("GET", "/api/auth/me");
      update((s) => (s.booted = true));
      signedIn(user);
      return;
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError("network", String(e));
      if (err.status === 401) {
        localStorage.removeItem(SIGNED_IN_HINT);
      } else {
        update((s) => {
          s.booted = true;
          s.bootError = describe(err);
        });
        return;
      }
    }
  }
  update((s) => (s.booted = true));
  route(false);
}

// `/screen/CODE#KEY` is the big screen: nobody signs in there (see screens/bigscreen.ts).
const screenAt = screenCode(location.pathname);
if (screenAt) startBigScreen(main, screenAt);
else void boot();
