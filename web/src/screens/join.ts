// The share link's screen (`/r/CODE`): join that room, or why we could not.

import { h, setText } from "../dom";
import * as game from "../game";
import { state } from "../store";
import type { Screen } from "./screen";

export function joinScreen(code: string): Screen {
  const button = h(
    "button",
    { type: "button", class: "btn btn-primary btn-block", onclick: () => game.join(code) },
    "Join game",
  );
  const status = h("p", { class: "join-status", role: "status" });
  const error = h("p", { class: "form-error", role: "alert" });
  const el = h(
    "section",
    { class: "screen screen-narrow" },
    h("h1", null, "Join room ", h("span", { class: "code-inline" }, code)),
    h(
      "div",
      { class: "card stack" },
      h("p", null, `You're signed in as ${state.me?.display_name ?? ""}. Join to play in this room.`),
      status,
      error,
      button,
      h(
        "a",
        { href: "/", "data-link": true, class: "btn btn-quiet btn-block" },
        "Back home",
      ),
    ),
  );
  return {
    el,
    title: `Join ${code}`,
    update() {
      setText(status, state.joining ? "Joining…" : "");
      setText(error, state.joinError ?? "");
      button.disabled = state.joining;
      setText(button, state.joinError ? "Try again" : "Join game");
    },
    focus: button,
  };
}
