// The lobby: who is here (and connected), the share link, the host's start and kick controls.
// The audience sees it too, with "Stop watching" for a way out. After "play again" it is the
// next game's lobby for the moment before its first round starts.

import { ApiError } from "../api";
import { h, setText } from "../dom";
import { describe } from "../errors";
import * as game from "../game";
import { hostName, isHost, runsOnly, state, type Participant } from "../store";
import { toast } from "../ui";
import { qrSvg } from "../qr";
import { present } from "./bigscreen";
import { avatar, busyClick, repaintAvatar } from "./common";
import { plural, syncList, type Screen } from "./screen";

type Navigate = (path: string) => void;

export function lobbyScreen(navigate: Navigate): Screen {
  const g0 = state.game;
  const code = g0?.room.code ?? "";
  const link = `${location.origin}/r/${code}`;
  const settings = g0?.room.settings;

  const copyBtn = h("button", { type: "button", class: "btn btn-secondary" }, "Copy link");
  copyBtn.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(link);
      setText(copyBtn, "Copied!");
      setTimeout(() => setText(copyBtn, "Copy link"), 2000);
    } catch {
      // No clipboard access (an insecure origin, a refused permission): select it instead.
      const sel = window.getSelection();
      const range = document.createRange();
      range.selectNodeContents(linkEl);
      sel?.removeAllRanges();
      sel?.addRange(range);
      toast("Copy the selected link to share it.", "info");
    }
  });
  const shareBtn =
    typeof navigator.share === "function"
      ? h("button", { type: "button", class: "btn btn-secondary" }, "Share…")
      : null;
  shareBtn?.addEventListener("click", () => {
    navigator.share({ title: "Join my game", text: `Join my game: room ${code}`, url: link }).catch(() => {});
  });
  const linkEl = h("a", { class: "share-link", href: link }, link);
  // The host's big screen (a TV or projector): see screens/bigscreen.ts.
  const presentBtn = h("button", { type: "button", class: "btn btn-secondary", title: "Show the room on a TV or projector" }, "Present");
  busyClick(presentBtn, async () => {
    try {
      await present(code);
    } catch (e) {
      toast(describe(e instanceof ApiError ? e : new ApiError("network", String(e))));
    }
  });

  const players = h("ul", { class: "players", "aria-label": "Players" });
  const countEl = h("span", { class: "count", "aria-live": "polite" });
  const start = h("button", { type: "button", class: "btn btn-primary btn-block btn-big" }, "Start game");
  busyClick(start, () => game.startGame());
  const startHint = h("p", { class: "hint center" });
  const waiting = h("p", { class: "waiting", role: "status" });
  const running = h(
    "p",
    { class: "hint center" },
    "You're running this game, not playing in it: start it when everyone is in.",
  );
  const leave = h("button", { type: "button", class: "btn btn-quiet" }, g0?.audience ? "Stop watching" : "Leave room");
  busyClick(leave, async () => {
    if (await game.leave(code)) navigate("/");
  });

  const chips = settings
    ? [
        plural(settings.max_rounds, "round"),
        `${settings.answer_seconds} s to answer`,
        `${settings.vote_seconds} s to vote`,
        `up to ${settings.max_players} players`,
        settings.theme ? `theme: ${settings.theme}` : null,
        settings.hide_votes ? "votes hidden until the reveal" : null,
        settings.host_plays === false ? "the host doesn't play" : null,
      ]
    : [];

  const el = h(
    "section",
    { class: "screen" },
    h(
      "p",
      { class: "eyebrow" },
      (g0?.room.game_number ?? 1) > 1 ? `Lobby · game ${g0?.room.game_number}` : "Lobby",
      g0?.audience ? h("span", { class: "phase-tag" }, "Watching") : null,
    ),
    h("h1", null, "Room ", h("span", { class: "code-inline" }, code)),
    h("ul", { class: "chips", "aria-label": "Settings" }, chips.filter(Boolean).map((c) => h("li", null, c))),
    h(
      "div",
      { class: "columns" },
      h(
        "div",
        { class: "card" },
        h("h2", null, "Invite players"),
        h("p", { class: "big-code", "aria-label": `Room code ${code.split("").join(" ")}` }, code),
        h("p", { class: "hint center" }, "Friends open this link, or type the code on the home page:"),
        h("p", { class: "center" }, linkEl),
        h("div", { class: "row center" }, copyBtn, shareBtn, presentBtn),
        h("div", { class: "lobby-qr", "data-qr": link }, qrSvg(link, `QR code of the join link ${link}`)),
      ),
      h(
        "div",
        { class: "card" },
        h("h2", null, "Players ", countEl),
        players,
        running,
        start,
        startHint,
        waiting,
      ),
    ),
    h("div", { class: "row end" }, leave),
  );

  function makePlayer(p: Participant): HTMLElement {
    const kick = h("button", { type: "button", class: "btn btn-quiet btn-small kick" }, "Remove");
    busyClick(kick, async () => {
      // For good: a removed player cannot come back to this room.
      if (window.confirm(`Remove ${p.display_name} from the room? They won't be able to rejoin.`)) {
        await game.kick(p.user_id);
      }
    });
    return h(
      "li",
      { class: "player" },
      avatar(p.user_id, p.display_name),
      h("span", { class: "player-name" }),
      h("span", { class: "badges" }),
      h("span", { class: "presence" }),
      kick,
    );
  }

  function patchPlayer(li: HTMLElement, p: Participant): void {
    const me = state.me?.id === p.user_id;
    repaintAvatar(li.querySelector(".avatar") as HTMLElement, p.user_id);
    setText(li.querySelector(".player-name") as HTMLElement, p.display_name);
    const badges = li.querySelector(".badges") as HTMLElement;
    const want = `${p.is_host ? "host" : ""}|${me ? "you" : ""}`;
    if (badges.dataset.v !== want) {
      badges.dataset.v = want;
      badges.replaceChildren(
        ...(p.is_host ? [h("span", { class: "badge badge-host" }, "Host")] : []),
        ...(me ? [h("span", { class: "badge" }, "You")] : []),
      );
    }
    const presence = li.querySelector(".presence") as HTMLElement;
    presence.dataset.connected = String(p.connected);
    setText(presence, p.connected ? "connected" : "away");
    li.classList.toggle("away", !p.connected);
    const kick = li.querySelector(".kick") as HTMLButtonElement;
    kick.hidden = me || !isHost(state.game, state.me);
    kick.setAttribute("aria-label", `Remove ${p.display_name}`);
  }

  return {
    el,
    title: `Lobby ${code}`,
    update() {
      const g = state.game;
      if (!g) return;
      const list = g.room.participants;
      syncList(players, list, (p) => p.user_id, makePlayer, patchPlayer);
      setText(countEl, `${list.length} / ${g.room.settings.max_players}`);
      const host = isHost(g, state.me);
      start.hidden = !host;
      presentBtn.hidden = !host;
      const enough = list.length >= 2;
      start.disabled = !enough;
      startHint.hidden = !host || enough;
      setText(startHint, "You need at least 2 players to start.");
      running.hidden = !runsOnly(g, state.me);
      const name = hostName(g);
      waiting.hidden = host;
      setText(
        waiting,
        g.audience
          ? `You're watching as audience. Waiting for ${name} to start the game…`
          : `Waiting for ${name} to start the game…`,
      );
    },
  };
}
