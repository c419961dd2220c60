// A poll's presenter view (`/p/{code}/present`): the poll on a projector, as Mentimeter's
// presenter view, made for 1920×1080 and 1280×720 alike with nothing to scroll. The question
// and a bar chart of the counts in large type, the address and code to vote at, and a QR code
// of the poll's short link `origin/p/{code}`. The counts follow the votes live over the page's
// socket (`subscribe_poll`, `poll_results`, `poll_updated`), as on the poll's page. A text poll
// shows its word cloud (approved answers only) in place of the bars.
//
// It is a page of the ordinary client (not the room's big screen, which signs nobody in): a
// creator presenting their draft is signed in here as everywhere. The header is hidden while it
// shows (`body.is-presenting`, set by main.ts).

import { api, ApiError } from "../api";
import { h, setText } from "../dom";
import { describe, type ErrorLike } from "../errors";
import { pollState, watch, withResults } from "../polls";
import { qrSvg } from "../qr";
import type { Poll, PollResults } from "../store";
import { announce } from "../ui";
import { isPollId } from "./poll";
import { wordCloud } from "./textpoll";
import { plural, syncList, type Screen } from "./screen";

const STATE_LINE = {
  draft: "Draft: only you can see this poll",
  open: "Vote now",
  closed: "Voting is closed",
  expired: "Voting has ended",
} as const;

export function presentScreen(ref: string): Screen {
  let id = isPollId(ref) ? ref : "";
  let poll: Poll | null = null;
  let gone: string | null = null;

  const status = h("p", { class: "bs-brand pr-state" });
  const question = h("h1", { class: "pr-question" }, "Loading the poll…");
  const bars = h("ol", { class: "pr-bars", "aria-label": "Results" });
  // A text poll: its word cloud in place of the bars.
  const cloud = h("div", { class: "pr-cloud" });
  cloud.hidden = true;
  const total = h("p", { class: "bs-status pr-total", role: "status", "aria-live": "polite" });
  const qr = h("div", { class: "bs-qr-code pr-qr" });
  const address = h("p", { class: "pr-address" });
  const code = h("p", { class: "pr-code" });
  // "Answer at" for a text poll (drawSide).
  const where = h("p", { class: "bs-label" }, "Vote at");
  const exit = h("a", { class: "pr-exit", "data-link": true, href: `/p/${ref}` }, "Exit");
  const side = h(
    "aside",
    { class: "pr-side", "aria-label": "Where to take part" },
    qr,
    where,
    address,
    h("p", { class: "bs-label" }, "Code"),
    code,
  );
  side.hidden = true;
  const main = h("div", { class: "pr-main" }, status, question, bars, cloud, total);
  const el = h("section", { class: "bs pr" }, main, side, exit);

  /** The address, code and QR code: drawn once, the code never changes. */
  function drawSide(p: Poll): void {
    if (!side.hidden) return;
    const link = `${location.origin}/p/${p.code}`;
    setText(where, p.text ? "Answer at" : "Vote at");
    qr.dataset.qr = link;
    qr.replaceChildren(qrSvg(link, `QR code of the poll's link ${link}`));
    address.replaceChildren(location.host, h("wbr"), h("span", { class: "pr-path" }, "/p/", h("strong", null, p.code)));
    setText(code, p.code);
    code.setAttribute("aria-label", `Code ${p.code.split("").join(" ")}`);
    exit.setAttribute("href", `/p/${p.code}`);
    side.hidden = false;
  }

  function draw(): void {
    if (gone) {
      el.replaceChildren(
        h("div", { class: "bs-message" }, h("h1", null, gone), h("p", null, h("a", { href: "/", "data-link": true }, "Home"))),
      );
      return;
    }
    const p = poll;
    if (!p) return;
    drawSide(p);
    const st = pollState(p);
    // A text poll takes answers, not votes.
    setText(status, st === "open" && p.text ? "Answer now" : STATE_LINE[st]);
    status.dataset.state = st;
    setText(question, p.question);
    if (p.text) {
      bars.hidden = true;
      cloud.hidden = false;
      const r = p.text.results;
      const key = JSON.stringify(r.words);
      if (cloud.dataset.key !== key) {
        cloud.dataset.key = key;
        // In rem of the page, which the presenter's stylesheet scales with the screen.
        cloud.replaceChildren(
          r.words.length
            ? // Fewer words, larger type: up to 100 words still fit the screen's height.
              wordCloud(r.words, 1.2, r.words.length > 50 ? 3 : r.words.length > 20 ? 4.2 : 5.6)
            : h("p", { class: "pr-empty" }, "Answers appear here as they come in."),
        );
      }
      setText(total, `${plural(r.answer_count, "answer")} from ${plural(p.voters, "voter")}`);
      return;
    }
    const options = [...p.options].sort((a, b) => a.position - b.position);
    // Rows share the chart's height: fewer options, larger type; past six, two columns (see
    // present.css).
    const rows = options.length > 6 ? Math.ceil(options.length / 2) : Math.max(options.length, 2);
    bars.style.setProperty("--rows", String(rows));
    const top = Math.max(0, ...options.map((o) => o.votes));
    syncList(
      bars,
      options,
      (o) => o.id,
      () =>
        h(
          "li",
          { class: "pr-bar" },
          h("span", { class: "pr-text" }),
          h("span", { class: "pr-count" }),
          h("span", { class: "pr-track", "aria-hidden": "true" }, h("span", { class: "pr-fill" })),
        ),
      (li, o) => {
        const share = p.total_votes > 0 ? Math.round((o.votes / p.total_votes) * 100) : 0;
        setText(li.querySelector(".pr-text") as HTMLElement, o.text);
        setText(li.querySelector(".pr-count") as HTMLElement, `${o.votes} · ${share}%`);
        (li.querySelector(".pr-fill") as HTMLElement).style.width = `${share}%`;
        li.dataset.votes = String(o.votes);
        li.classList.toggle("pr-leading", top > 0 && o.votes === top);
        li.setAttribute("aria-label", `${o.text}: ${plural(o.votes, "vote")}, ${share}%`);
      },
    );
    setText(total, `${plural(p.total_votes, "vote")} from ${plural(p.voters, "voter")}`);
  }

  function failed(e: ErrorLike): void {
    if (poll) return;
    gone = e.code === "poll_not_found" || e.code === "not_found" ? "There's no poll here (any more)." : describe(e);
    draw();
  }

  const watcher = {
    poll: (p: Poll, broadcast: boolean) => {
      // Subscribed: the counts follow live from now on (the browser test waits for this).
      if (!broadcast) el.dataset.live = "true";
      if (gone) return;
      poll = p;
      draw();
    },
    results: (r: PollResults) => {
      if (!poll) return;
      poll = withResults(poll, r);
      draw();
    },
    deleted: () => {
      gone = "This poll was deleted by its creator.";
      poll = null;
      announce(gone);
      draw();
    },
    failed,
  };
  if (id) watch(id, watcher);
  api<{ poll: Poll }>("GET", `/api/polls/${ref}`).then(
    (r) => {
      if (!id && el.isConnected) {
        id = r.poll.id;
        watch(id, watcher);
      }
      if (!poll && !gone) {
        poll = r.poll;
        draw();
      }
    },
    (e) => failed(e instanceof ApiError ? e : { code: "network" }),
  );

  return { el, title: "Presenting", update() {}, focus: question };
}
