// Sign up / sign in (REST; the server sets the HttpOnly auth cookie).

import { api, ApiError } from "../api";
import { h, setText } from "../dom";
import { describe } from "../errors";
import type { Route, User } from "../store";
import { icon } from "../icons";
import type { Screen } from "./screen";

export function authScreen(route: Route, done: (u: User) => void): Screen {
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
  const heading = h("h1", null);

  const form = h(
    "form",
    { class: "stack", novalidate: false, onsubmit: (e: Event) => void send(e) },
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

  const el = h(
    "section",
    { class: "screen screen-narrow" },
    h("div", { class: "hero" }, icon("logo", "hero-badge"), heading, invite),
    h(
      "div",
      { class: "card" },
      h("div", { class: "segmented", role: "group", "aria-label": "Account" }, tabSignup, tabSignin),
      form,
    ),
  );
  return { el, title: "Sign in", update() {} };
}
