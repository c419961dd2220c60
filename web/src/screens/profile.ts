// A person's page (`/u/{id}`, open to visitors; "Me" in the header for oneself): their public
// numbers (`GET /api/users/{id}`, never the email) and their polls (`/api/users/{id}/polls`,
// which for oneself include drafts and unlisted ones); for oneself also the polls one voted on
// (`/api/me/votes`) and liked (`/api/me/likes`), and a link to the account settings.

import { api, ApiError } from "../api";
import { h, setText } from "../dom";
import { describe } from "../errors";
import { state, type MyVote, type PollPage, type PollSummary, type Profile } from "../store";
import { avatar } from "./common";
import { ago, pager, pollItem } from "./polllist";
import type { Screen } from "./screen";

const PER_PAGE = 10;

function stat(value: HTMLElement, label: string): HTMLElement {
  return h("div", { class: "stat" }, h("dt", null, label), h("dd", null, value));
}

export function profileScreen(id: string): Screen {
  const self = state.me?.id === id;
  const title = h("h1", { class: "profile-name" }, self ? (state.me?.display_name ?? "") : "Loading…");
  const since = h("p", { class: "hint" });
  const pic = h("span", { class: "profile-pic" });
  const nums = { polls: h("span"), votes: h("span"), likes: h("span") };
  const stats = h(
    "dl",
    { class: "stats" },
    stat(nums.polls, "Polls created"),
    stat(nums.votes, "Votes cast"),
    stat(nums.likes, "Likes received"),
  );
  const sections = h("div", { class: "stack" });
  const el = h(
    "section",
    { class: "screen profile" },
    h(
      "div",
      { class: "profile-head" },
      pic,
      h("div", null, title, since),
      self ? h("a", { href: "/me/settings", "data-link": true, class: "btn btn-secondary btn-small" }, "Account settings") : null,
    ),
    stats,
    sections,
  );

  const section = (heading: string, headingId: string, body: HTMLElement) =>
    h("section", { class: "card", "aria-labelledby": headingId }, h("h2", { id: headingId }, heading), body);

  function start(p: Profile): void {
    setText(title, p.display_name);
    pic.replaceChildren(avatar(p.id, p.display_name));
    const joined = new Date(p.created_at);
    setText(since, Number.isNaN(joined.getTime()) ? "" : `Joined ${joined.toLocaleDateString([], { dateStyle: "medium" })}`);
    setText(nums.polls, String(p.polls_created));
    setText(nums.votes, String(p.votes_cast));
    setText(nums.likes, String(p.likes_received));

    const polls = pager<PollSummary>({
      label: self ? "Your polls" : `Polls by ${p.display_name}`,
      key: (x) => x.id,
      render: (x) => pollItem(x),
      load: async (page, signal) => {
        const r = await api<PollPage>(
          "GET",
          `/api/users/${id}/polls?page=${page}&per_page=${PER_PAGE}`,
          undefined,
          signal,
        );
        return { items: r.polls, more: r.page * r.per_page < r.total };
      },
      empty: () => (self ? "You haven't asked anything yet." : "No public polls yet."),
    });
    const parts = [section(self ? "Your polls" : "Polls", "profile-polls", polls.el)];
    polls.reset();

    if (self) {
      // These two lists have no total: another page may exist when this one was full.
      const votes = pager<MyVote>({
        label: "Polls you voted on",
        key: (v) => v.poll.id,
        render: (v) => pollItem(v.poll, `you voted ${ago(v.voted_at)}`),
        load: async (page, signal) => {
          const r = await api<{ votes: MyVote[] }>("GET", `/api/me/votes?page=${page}&per_page=${PER_PAGE}`, undefined, signal);
          return { items: r.votes, more: r.votes.length === PER_PAGE };
        },
        empty: () => "You haven't voted on a poll yet.",
      });
      const likes = pager<PollSummary>({
        label: "Polls you liked",
        key: (x) => x.id,
        render: (x) => pollItem(x),
        load: async (page, signal) => {
          const r = await api<{ polls: PollSummary[] }>("GET", `/api/me/likes?page=${page}&per_page=${PER_PAGE}`, undefined, signal);
          return { items: r.polls, more: r.polls.length === PER_PAGE };
        },
        empty: () => "You haven't liked a poll yet.",
      });
      parts.push(section("Your votes", "profile-votes", votes.el), section("Your likes", "profile-likes", likes.el));
      votes.reset();
      likes.reset();
    }
    sections.replaceChildren(...parts);
  }

  api<{ user: Profile }>("GET", `/api/users/${id}`).then(
    (r) => start(r.user),
    (e) => {
      const gone = e instanceof ApiError && e.status === 404;
      setText(title, gone ? "No one here" : "Can't show this profile");
      stats.hidden = true;
      sections.replaceChildren(
        h("p", { class: gone ? "lead" : "form-error", role: gone ? null : "alert" },
          gone ? "There's no account with this address." : describe(e instanceof ApiError ? e : { code: "network" })),
        h("p", null, h("a", { href: "/polls", "data-link": true, class: "btn btn-secondary" }, "Browse polls")),
      );
    },
  );

  return { el, title: self ? "Your profile" : "Profile", update() {} };
}
