// Sign up / sign in (REST; the server sets the HttpOnly auth cookie). On the home page a
// visitor first finds where to type a room's code: joining needs no account (the share link's
// screen asks for a nickname), hosting does.

import { api, ApiError } from "../api";
import { h, setText } from "../dom";
import { describe } from "../errors";
import type { Route, User } from "../store";
import { icon } from "../icons";
import type { Screen } from "./screen";
import { cleanCode } from "./home";

type Navigate = (path: string) => void;

/** A room's code, typed by a visitor: it leads to the share link's screen (nickname, Join). */
function codeCard(navigate: Navigate): HTMLElement {
  const go = () => {
    const c = cleanCode(input.value);
    if (c.length !== 6) {
      input.focus();
      return;
    }
    navigate(`/r/${c}`);
  };
  const input = h("input", {
    id: "visit-code",
    name: "room_code",
    class: "input-code",
    maxLength: 6,
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: false,
    enterKeyHint: "go",
    "aria-describedby": "visit-code-hint",
    oninput: () => {
      const v = cleanCode(input.value);
      if (v !== input.value) input.value = v;
    },
    onkeydown: (e: KeyboardEvent) => {
      if (e.key === "Enter") {
        e.preventDefault();
        go();
      }
    },
  });
  // Not a <form>: the page's one form is the account's.
  return h(
    "div",
    { class: "card stack" },
    h("h2", null, "Join a game"),
    h("div", { class: "field" }, h("label", { for: "visit-code" }, "Room code"), input),
    h("p", { id: "visit-code-hint", class: "hint" }, "6 letters and digits, from the host's screen. No account needed."),
    h("button", { type: "button", class: "btn btn-primary btn-block", onclick: go }, "Join game"),
  );
}

export function authScreen(route: Route, done: (u: User) => void, navigate?: Navigate): Screen {
  const home = route.name === "home" && !!navigate;
  // Someone who signed in on this browser before most likely has an account.
  let mode: "signup" | "signin" = localStorage.getItem("vg.known") ? "signin" : "signup";
  let busy = false;

  const name = h("input", {
    id: "auth-name",
    name: "display_name",
    autocomplete: "nickname",
    maxLength: 32,
    required: true,
    placeholder: "What should others call you?",
  });
  const email = h("input", {
    id: "auth-email",
    name: "email",
    type: "email",
    autocomplete: "email",
    required: true,
    inputMode: "email",
    placeholder: "you@example.com",
  });
  const password = h("input", {
    id: "auth-password",
    name: "password",
    type: "password",
    minLength: 8,
    required: true,
    "aria-describedby": "auth-password-hint",
  });
  const nameField = h(
    "div",
    { class: "field" },
    h("label", { for: "auth-name" }, "Display name"),
    name,
  );
  const passwordHint = h("p", { id: "auth-password-hint", class: "hint" }, "At least 8 characters.");
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" });
  const tabSignup = h("button", { type: "button", class: "seg", onclick: () => setMode("signup") }, "Create account");
  const tabSignin = h("button", { type: "button", class: "seg", onclick: () => setMode("signin") }, "Sign in");
  // At home the page's title is the game; the account card has a heading of its own.
  const heading = h(home ? "h2" : "h1", null);

  const form = h(
    "form",
    { id: "auth-form", class: "stack", novalidate: false, onsubmit: (e: Event) => void send(e) },
    nameField,
    h("div", { class: "field" }, h("label", { for: "auth-email" }, "Email"), email),
    h("div", { class: "field" }, h("label", { for: "auth-password" }, "Password"), password, passwordHint),
    error,
    submit,
  );

  function setMode(m: typeof mode): void {
    mode = m;
    draw();
    (m === "signup" ? name : email).focus();
  }

  function draw(): void {
    const up = mode === "signup";
    setText(heading, up ? "Create your player account" : "Welcome back");
    nameField.hidden = !up;
    name.required = up;
    passwordHint.hidden = !up;
    password.autocomplete = up ? "new-password" : "current-password";
    tabSignup.setAttribute("aria-pressed", String(up));
    tabSignin.setAttribute("aria-pressed", String(!up));
    setText(submit, busy ? (up ? "Creating account…" : "Signing in…") : up ? "Create account" : "Sign in");
    submit.disabled = busy;
    setText(error, "");
  }

  async function send(e: Event): Promise<void> {
    e.preventDefault();
    if (busy) return;
    busy = true;
    draw();
    try {
      const body =
        mode === "signup"
          ? { email: email.value.trim(), password: password.value, display_name: name.value.trim() }
          : { email: email.value.trim(), password: password.value };
      const { user } = await api<{ user: User }>(
        "POST",
        mode === "signup" ? "/api/auth/register" : "/api/auth/login",
        body,
      );
      done(user);
    } catch (err) {
      busy = false;
      draw();
      const message = describe(err instanceof ApiError ? err : { code: "network" });
      // An existing account: offer to sign in with what was typed.
      if (err instanceof ApiError && err.code === "email_taken") setMode("signin");
      setText(error, message);
    }
  }

  draw();
  const invite =
    route.name === "room"
      ? h(
          "p",
          { class: "invite" },
          "You're invited to room ",
          h("strong", { class: "code-inline" }, route.code),
          ". Create an account or sign in to join.",
        )
      : h(
          "p",
          { class: "lead" },
          "Answer silly questions, vote for the best answer, top the leaderboard. Play with friends on any phone or computer.",
        );

  const accountCard = h(
    "div",
    { class: "card" },
    home ? heading : null,
    home ? h("p", { class: "hint account-why" }, "An account lets you host games and make polls.") : null,
    h("div", { class: "segmented", role: "group", "aria-label": "Account" }, tabSignup, tabSignin),
    form,
  );
  const el = home
    ? h(
        "section",
        { class: "screen screen-narrow" },
        h("div", { class: "hero" }, icon("logo", "hero-badge"), h("h1", null, "Play with friends"), invite),
        codeCard(navigate as Navigate),
        accountCard,
      )
    : h(
        "section",
        { class: "screen screen-narrow" },
        h("div", { class: "hero" }, icon("logo", "hero-badge"), heading, invite),
        accountCard,
      );
  return { el, title: "Sign in", update() {} };
}
