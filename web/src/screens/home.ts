// Home: join a room by its code, or host a new one with its settings (REST `POST /api/rooms`);
// the way to create a poll.

import { api, ApiError } from "../api";
import { h, setText } from "../dom";
import { describe } from "../errors";
import { rememberRoom, rememberedRooms } from "../game";
import { state, type Room } from "../store";
import type { Screen } from "./screen";

type Navigate = (path: string, opts?: { join?: boolean }) => void;

/** Room codes use this alphabet (no 0/O, 1/I/L); we accept what people type and tidy it. */
export const cleanCode = (v: string) => v.toUpperCase().replace(/[^A-Z0-9]/g, "").slice(0, 6);

function select(id: string, options: Array<[number, string]>, value: number): HTMLSelectElement {
  return h(
    "select",
    { id, name: id },
    options.map(([v, label]) => h("option", { value: String(v), selected: v === value }, label)),
  );
}

/** The rooms this browser joined lately, one tap to go back (the server decides if we may). */
function recent(): HTMLElement | null {
  const codes = rememberedRooms().slice(0, 4);
  if (codes.length === 0) return null;
  return h(
    "nav",
    { class: "recent", "aria-label": "Your recent rooms" },
    h("p", { class: "hint" }, "Back to a recent room:"),
    h(
      "ul",
      null,
      codes.map((c) => h("li", null, h("a", { href: `/r/${c}`, "data-link": true }, c))),
    ),
  );
}

export function homeScreen(navigate: Navigate): Screen {
  // --- join ---
  const code = h("input", {
    id: "join-code",
    name: "room_code",
    class: "input-code",
    required: true,
    minLength: 6,
    maxLength: 6,
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: false,
    placeholder: "6-character code",
    "aria-describedby": "join-code-hint",
    oninput: () => {
      const v = cleanCode(code.value);
      if (v !== code.value) code.value = v;
    },
  });
  const joinForm = h(
    "form",
    {
      class: "stack",
      onsubmit: (e: Event) => {
        e.preventDefault();
        const c = cleanCode(code.value);
        if (c.length !== 6) {
          code.focus();
          return;
        }
        navigate(`/r/${c}`, { join: true });
      },
    },
    h("div", { class: "field" }, h("label", { for: "join-code" }, "Room code"), code),
    h("p", { id: "join-code-hint", class: "hint" }, "6 letters and digits, from the host's screen."),
    h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Join game"),
  );

  // --- create ---
  const rounds = select(
    "max_rounds",
    [1, 2, 3, 4, 5, 6, 8, 10].map((n) => [n, n === 1 ? "1 round" : `${n} rounds`]),
    3,
  );
  const answerSeconds = select(
    "answer_seconds",
    [20, 30, 45, 60, 90, 120].map((n) => [n, `${n} seconds`]),
    60,
  );
  const voteSeconds = select(
    "vote_seconds",
    [15, 20, 30, 45, 60, 90].map((n) => [n, `${n} seconds`]),
    45,
  );
  const maxPlayers = h("input", {
    id: "max_players",
    name: "max_players",
    type: "number",
    min: 2,
    max: 100,
    value: "8",
    inputMode: "numeric",
    required: true,
  });
  const theme = h("input", {
    id: "theme",
    name: "theme",
    maxLength: 100,
    placeholder: "e.g. space, food, the office",
    "aria-describedby": "theme-hint",
  });
  // Hidden votes are on by default here (the API's default is off, for clients of the first
  // contract): counts shown while voting invite bandwagoning, and the reveal shows them all.
  const hideVotes = h("input", { type: "checkbox", name: "hide_votes", id: "hide_votes", checked: true });
  const hostPlays = h("input", { type: "checkbox", name: "host_plays", id: "host_plays", checked: true });
  const createError = h("p", { class: "form-error", role: "alert" });
  const createBtn = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Create room");
  let busy = false;

  async function create(e: Event): Promise<void> {
    e.preventDefault();
    if (busy) return;
    busy = true;
    createBtn.disabled = true;
    setText(createBtn, "Creating…");
    setText(createError, "");
    const settings: Record<string, unknown> = {
      max_rounds: Number(rounds.value),
      answer_seconds: Number(answerSeconds.value),
      vote_seconds: Number(voteSeconds.value),
      max_players: Number(maxPlayers.value),
      hide_votes: hideVotes.checked,
      host_plays: hostPlays.checked,
    };
    if (theme.value.trim()) settings.theme = theme.value.trim();
    try {
      const { room } = await api<{ room: Room }>("POST", "/api/rooms", { settings });
      rememberRoom(room.code);
      navigate(`/r/${room.code}`, { join: true });
    } catch (err) {
      busy = false;
      createBtn.disabled = false;
      setText(createBtn, "Create room");
      setText(createError, describe(err instanceof ApiError ? err : { code: "network" }));
    }
  }

  const createForm = h(
    "form",
    { class: "stack", onsubmit: (e: Event) => void create(e) },
    h(
      "div",
      { class: "grid-2" },
      h("div", { class: "field" }, h("label", { for: "max_rounds" }, "Rounds"), rounds),
      h("div", { class: "field" }, h("label", { for: "max_players" }, "Max players"), maxPlayers),
      h("div", { class: "field" }, h("label", { for: "answer_seconds" }, "Time to answer"), answerSeconds),
      h("div", { class: "field" }, h("label", { for: "vote_seconds" }, "Time to vote"), voteSeconds),
    ),
    h(
      "div",
      { class: "field" },
      h("label", { for: "theme" }, "Theme ", h("span", { class: "optional" }, "(optional)")),
      theme,
      h("p", { id: "theme-hint", class: "hint" }, "Steers the questions towards a topic."),
    ),
    h(
      "fieldset",
      { class: "field choice-field" },
      h("legend", null, "How it plays"),
      h("label", { class: "check" }, hideVotes, " Hide votes until the reveal"),
      h("label", { class: "check" }, hostPlays, " I play too"),
      h(
        "p",
        { class: "hint" },
        "Untick “I play too” to run the game for others, from a big screen or this phone.",
      ),
    ),
    createError,
    createBtn,
  );

  const el = h(
    "section",
    { class: "screen" },
    h("h1", null, `Hi, ${state.me?.display_name ?? "player"}!`),
    h("p", { class: "lead" }, "Join your friends' game with its code, or host one and share the link."),
    h(
      "div",
      { class: "columns" },
      h("div", { class: "card" }, h("h2", null, "Join a game"), joinForm, recent()),
      h(
        "div",
        { class: "card" },
        h("h2", null, "Host a game"),
        state.me?.guest
          ? h(
              "div",
              { class: "stack guest-host" },
              h("p", null, "Hosting needs an account. Add an email and password to this nickname: your games stay yours."),
              h("a", { href: "/me/settings", "data-link": true, class: "btn btn-secondary" }, "Make an account"),
            )
          : createForm,
      ),
    ),
    h(
      "div",
      { class: "card poll-cta" },
      h("h2", null, "Ask everyone something"),
      h("p", { class: "hint" }, "A poll with live results and a link to share."),
      h(
        "div",
        { class: "row" },
        h("a", { href: "/polls/new", "data-link": true, class: "btn btn-secondary" }, "New poll"),
        h("a", { href: "/polls", "data-link": true, class: "btn btn-quiet" }, "Browse polls"),
      ),
    ),
  );
  return { el, title: "Home", update() {}, focus: undefined };
}
