// The share link's screen (`/r/CODE`), also where a code typed on the home page leads: whose
// room it is and how full (`GET /api/rooms/{code}/preview`, open to visitors), a nickname and
// ONE Join that lands in the lobby. A visitor becomes a guest on the way (`POST /api/auth/guest`
// with the nickname, then the socket's `join_room`); a signed-in player finds their name filled
// in and just taps Join. A full room, an unknown code or a game under way says so here, and
// offers to watch as audience where the room takes one.

import { api, ApiError } from "../api";
import { h, setText } from "../dom";
import { describe } from "../errors";
import * as game from "../game";
import { state, update, type RoomPreview, type User } from "../store";
import type { Screen } from "./screen";

/** The nickname this browser last joined with, offered again next time. */
const NICKNAME = "vg.nickname";

export function joinScreen(code: string, signedIn: (u: User) => void): Screen {
  let preview: RoomPreview | null = null;
  /** The code names no open room. */
  let missing = false;
  /** The preview could not be read (rate limited, offline): the form stays, the join will tell. */
  let loaded = false;
  /** Signing in as a guest, or renaming, before the join itself. */
  let busy = false;
  /** Why that failed (the nickname refused, too many sign-ins from this address…). */
  let ownError = "";
  let lastJoinError: string | null = null;

  const eyebrow = h("p", { class: "eyebrow" }, "You're invited");
  const hostLine = h("p", { class: "join-host", "aria-live": "polite" }, "Finding the room…");
  const name = h("input", {
    id: "join-name",
    name: "display_name",
    autocomplete: "nickname",
    autocapitalize: "words",
    maxLength: 32,
    enterKeyHint: "go",
    placeholder: "What should others call you?",
    value: state.me?.display_name ?? localStorage.getItem(NICKNAME) ?? "",
  });
  const nameField = h("div", { class: "field" }, h("label", { for: "join-name" }, "Your nickname"), name);
  const message = h("p", { class: "form-error", role: "alert" });
  // Said to screen readers; the button says it on screen.
  const status = h("p", { class: "sr-only", role: "status" });
  const joinBtn = h("button", { type: "submit", class: "btn btn-primary btn-block btn-big" }, "Join game");
  const watchBtn = h(
    "button",
    { type: "button", class: "btn btn-secondary btn-block", onclick: () => void enter("audience") },
    "Watch as audience",
  );
  const account = h(
    "div",
    { class: "join-account" },
    h("p", { class: "hint" }, "No account needed. Have one?"),
    h(
      "button",
      { type: "button", class: "btn btn-quiet btn-small", onclick: () => update((s) => (s.pollSignIn = true)) },
      "Sign in",
    ),
  );
  const form = h(
    "form",
    {
      class: "stack",
      novalidate: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        void enter("player");
      },
    },
    nameField,
    message,
    status,
    joinBtn,
    watchBtn,
    account,
  );

  const el = h(
    "section",
    { class: "screen screen-narrow" },
    eyebrow,
    h("h1", null, "Room ", h("span", { class: "code-inline" }, code)),
    hostLine,
    h("div", { class: "card" }, form),
    h("a", { href: "/", "data-link": true, class: "btn btn-quiet btn-block" }, "Back home"),
  );

  async function load(): Promise<void> {
    try {
      preview = await api<RoomPreview>("GET", `/api/rooms/${code}/preview`);
      missing = false;
    } catch (err) {
      preview = null;
      missing = err instanceof ApiError && err.code === "room_not_found";
    }
    loaded = true;
    draw();
  }

  /** Signs a visitor in as a guest (or renames a signed-in player), then joins or watches. */
  async function enter(as: "player" | "audience"): Promise<void> {
    if (busy || state.joining) return;
    const nick = name.value.trim();
    if (!nick) {
      ownError = "Type a nickname first: it's how the others will see you.";
      draw();
      name.focus();
      return;
    }
    busy = true;
    ownError = "";
    draw();
    try {
      const me = state.me;
      if (!me) {
        const { user } = await api<{ user: User }>("POST", "/api/auth/guest", { display_name: nick });
        localStorage.setItem(NICKNAME, nick);
        signedIn(user);
      } else if (nick !== me.display_name) {
        const { user } = await api<{ user: User }>("PATCH", "/api/auth/me", { display_name: nick });
        update((s) => (s.me = user));
      }
    } catch (err) {
      busy = false;
      ownError = describe(err instanceof ApiError ? err : { code: "network" });
      draw();
      name.focus();
      return;
    }
    busy = false;
    if (as === "audience") game.watch(code);
    else game.join(code);
  }

  function draw(): void {
    const p = preview;
    const joining = busy || state.joining;
    setText(eyebrow, missing ? "No such room" : "You're invited");
    if (missing) setText(hostLine, "");
    else if (p) {
      setText(hostLine, `${p.host_name} is hosting · ${p.players} of ${p.max_players} players`);
    } else setText(hostLine, loaded ? "" : "Finding the room…");
    hostLine.hidden = hostLine.textContent === "";
    const refused = missing ? "room_not_found" : (p?.join_refused ?? null);
    const watchable = !missing && !!p?.audience_open;
    let text = ownError || state.joinError || (refused ? describe({ code: refused }) : "");
    if (text && !ownError && refused && refused !== "kicked" && watchable) {
      text += " You can still watch as audience.";
    }
    setText(message, text);
    // Without a preview (an address over its budget, say) Join is offered: the join will tell.
    const joinable = !refused;
    joinBtn.hidden = !joinable;
    watchBtn.hidden = !watchable;
    nameField.hidden = !joinable && !watchable;
    account.hidden = !!state.me || nameField.hidden;
    joinBtn.disabled = joining;
    watchBtn.disabled = joining;
    setText(joinBtn, joining && joinable ? "Joining…" : "Join game");
    setText(watchBtn, joining && !joinable ? "Joining…" : "Watch as audience");
    setText(status, state.joining ? "Joining…" : "");
  }

  void load();
  return {
    el,
    title: `Join ${code}`,
    update() {
      // A join refused meanwhile (the last seat taken, the game started): ask again what is
      // possible, so the screen offers what is left.
      if (state.joinError && state.joinError !== lastJoinError && !missing) void load();
      lastJoinError = state.joinError;
      draw();
    },
  };
}
