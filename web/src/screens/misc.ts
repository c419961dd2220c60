// Small screens: starting up, the server unreachable at start, an unknown address.

import { h } from "../dom";
import { staticScreen, type Screen } from "./screen";

export const loadingScreen = (): Screen =>
  staticScreen("Loading", h("p", { class: "loading", role: "status" }, "Loading…"));

export function bootErrorScreen(message: string, retry: () => void): Screen {
  return staticScreen(
    "Can't connect",
    h("h1", null, "Can't reach the game"),
    h("p", { class: "form-error", role: "alert" }, message),
    h("button", { type: "button", class: "btn btn-primary", onclick: retry }, "Try again"),
  );
}

export const missingScreen = (): Screen =>
  staticScreen(
    "Not found",
    h("h1", null, "Nothing here"),
    h("p", { class: "lead" }, "This page doesn't exist. Room links look like /r/ABC123."),
    h("a", { href: "/", "data-link": true, class: "btn btn-primary" }, "Go home"),
  );
