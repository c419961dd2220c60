// Account settings (`/me/settings`, signed in only; linked from one's own profile): the display
// name and the password, each its own form that sends only what it changes (`PATCH
// /api/auth/me`). A password change ends the account's other sessions on the server; this
// page's own token keeps working, so it stays signed in. A guest gets "make this an account"
// in place of the password form.

import { api, ApiError } from "../api";
import { h, setText } from "../dom";
import { describe } from "../errors";
import { state, update, type User } from "../store";
import { field } from "./newpoll";
import type { Screen } from "./screen";

/** The server's field names → our inputs' ids (a 422 names the field it refused). */
const IDS: Record<string, string> = {
  display_name: "set-name",
  email: "set-email",
  current_password: "set-current",
  password: "set-password",
};

/** A card with one form: `send` resolves to what to confirm, or throws the server's refusal. */
function section(heading: string, fields: HTMLElement[], label: string, send: () => Promise<string>): HTMLElement {
  const ok = h("p", { class: "hint form-ok", role: "status" });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "btn btn-primary" }, label);
  const form = h("form", { class: "stack" }, ...fields, error, ok, h("div", { class: "row" }, submit));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (submit.disabled) return;
    for (const x of form.querySelectorAll(".field-error")) x.textContent = "";
    for (const x of form.querySelectorAll("[aria-invalid]")) x.removeAttribute("aria-invalid");
    setText(error, "");
    setText(ok, "");
    submit.disabled = true;
    try {
      setText(ok, await send());
    } catch (x) {
      const err = x instanceof ApiError ? x : new ApiError("network", "network error");
      // A wrong current password is the user's slip, not a lost session: say which field.
      const m = /^([a-z_]+):\s*(.*)$/s.exec(err.message);
      const [name, text] =
        err.code === "invalid_credentials"
          ? ["current_password", "Your current password is wrong."]
          : err.code === "validation_failed" && m && IDS[m[1]]
            ? [m[1], describe({ code: err.code, message: m[2] })]
            : ["", describe(err)];
      const input = name ? form.querySelector<HTMLInputElement>(`#${IDS[name]}`) : null;
      if (input) {
        setText(form.querySelector(`#${IDS[name]}-error`) as HTMLElement, text);
        input.setAttribute("aria-invalid", "true");
        input.focus();
      } else setText(error, text);
    } finally {
      submit.disabled = false;
    }
  });
  return h("section", { class: "card" }, h("h2", null, heading), form);
}

export function settingsScreen(): Screen {
  const me = state.me;
  const name = h("input", { id: "set-name", autocomplete: "nickname", maxLength: 32, required: true, value: me?.display_name ?? "" });
  const current = h("input", { id: "set-current", type: "password", autocomplete: "current-password", required: true });
  const fresh = h("input", { id: "set-password", type: "password", autocomplete: "new-password", minLength: 8, required: true });
  const email = h("input", { id: "set-email", type: "email", autocomplete: "email", maxLength: 254, required: true });

  // A guest keeps their nickname, games and votes by adding an email and password to the same
  // user (`POST /api/auth/upgrade`); there is no current password to ask for.
  // Built only when shown: both forms use the one password input.
  const upgrade = () => section(
    "Keep your games: make this an account",
    [
      field("set-email", "Email", email),
      field("set-password", "Password", fresh, "At least 8 characters. Then you can host games and make polls."),
    ],
    "Create account",
    async () => {
      const { user } = await api<{ user: User }>("POST", "/api/auth/upgrade", { email: email.value, password: fresh.value });
      fresh.value = "";
      update((s) => (s.me = user));
      // Done once: the form stays to show what was saved, but cannot be sent again (a second
      // upgrade would only be refused, `not_guest`).
      email.disabled = fresh.disabled = true;
      queueMicrotask(() => {
        for (const b of email.form?.querySelectorAll<HTMLButtonElement>("button[type=submit]") ?? []) b.hidden = true;
      });
      return "Done: you have an account. Sign in with this email next time; your games are still yours.";
    },
  );
  const passwordChange = () => section(
    "Password",
    [
      field("set-current", "Current password", current),
      field("set-password", "New password", fresh, "At least 8 characters. Your other devices will be signed out."),
    ],
    "Change password",
    async () => {
      await api("PATCH", "/api/auth/me", { password: fresh.value, current_password: current.value });
      current.value = fresh.value = "";
      return "Your password is changed. Your other devices are signed out.";
    },
  );

  const el = h(
    "section",
    { class: "screen screen-narrow settings" },
    h("p", { class: "eyebrow" }, h("a", { href: `/u/${me?.id ?? ""}`, "data-link": true }, "← Your profile")),
    h("h1", null, "Account settings"),
    section("Display name", [field("set-name", "Display name", name, "1–32 characters. Everyone sees it.")], "Save name", async () => {
      const { user } = await api<{ user: User }>("PATCH", "/api/auth/me", { display_name: name.value });
      update((s) => (s.me = user));
      return "Your display name is saved.";
    }),
    me?.guest ? upgrade() : passwordChange(),
  );
  return { el, title: "Account settings", update() {} };
}
