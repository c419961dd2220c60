// "Create a poll" (REST `POST /api/polls`): question, description, 2–20 options, one or several
// choices (with a limit), ranked, or open answers (a text poll: no options, an answer length,
// answers per voter and whether answers wait for the creator's approval), public or unlisted, open to visitors without an account or not, an
// optional closing time and a category. The
// server's 422 names the field it refused (`question: …`); that message shows under the field.

import { api, ApiError } from "../api";
import { h, setText } from "../dom";
import { describe } from "../errors";
import { loadCategories } from "../polls";
import type { Poll } from "../store";
import type { Screen } from "./screen";

type Navigate = (path: string) => void;

const MIN_OPTIONS = 2;
const MAX_OPTIONS = 20;

/** A field with its label, hint and an error line that the input is described by. */
export function field(id: string, label: string, input: HTMLElement, hint?: string, optional = false): HTMLElement {
  const errId = `${id}-error`;
  const described = [hint ? `${id}-hint` : null, errId].filter(Boolean).join(" ");
  input.setAttribute("aria-describedby", described);
  return h(
    "div",
    { class: "field", "data-field": id },
    h("label", { for: id }, label, optional ? h("span", { class: "optional" }, " (optional)") : null),
    input,
    hint ? h("p", { id: `${id}-hint`, class: "hint" }, hint) : null,
    h("p", { id: errId, class: "form-error field-error" }),
  );
}

export function newPollScreen(navigate: Navigate): Screen {
  const question = h("input", { id: "poll-question", name: "question", maxLength: 200, required: true, autocomplete: "off" });
  const description = h("textarea", { id: "poll-description", name: "description", maxLength: 1000, rows: 2 });
  const optionList = h("ol", { class: "option-inputs" });
  const addBtn = h("button", { type: "button", class: "btn btn-secondary btn-small" }, "Add option");
  const optionsError = h("p", { id: "poll-options-error", class: "form-error field-error" });

  const single = h("input", { type: "radio", name: "kind", id: "kind-single", value: "single", checked: true });
  const multiple = h("input", { type: "radio", name: "kind", id: "kind-multiple", value: "multiple" });
  const ranked = h("input", { type: "radio", name: "kind", id: "kind-ranked", value: "ranked" });
  const text = h("input", { type: "radio", name: "kind", id: "kind-text", value: "text" });
  const maxLength = h("input", { id: "poll-max-length", name: "max_length", type: "number", min: 1, max: 280, value: "140", inputMode: "numeric" });
  const perVoter = h("input", { id: "poll-answers-per-voter", name: "answers_per_voter", type: "number", min: 1, max: 10, value: "1", inputMode: "numeric" });
  const premod = h("input", { type: "checkbox", name: "moderation", id: "poll-premod" });
  const textFields = h(
    "div",
    { class: "stack text-settings" },
    h(
      "div",
      { class: "grid-2" },
      field("poll-max-length", "Longest answer (characters)", maxLength, "1–280."),
      field("poll-answers-per-voter", "Answers per voter", perVoter, "1–10."),
    ),
    h("label", { class: "check" }, premod, " Approve each answer before anyone sees it"),
    h("p", { class: "hint" }, "Otherwise answers show at once and you can hide them. Answers the word filter catches always wait for you."),
  );
  const maxChoices = h("input", { id: "poll-max-choices", name: "max_choices", type: "number", min: 1, max: 20, value: "2", inputMode: "numeric" });
  const maxField = field("poll-max-choices", "At most this many choices", maxChoices);

  const pub = h("input", { type: "radio", name: "visibility", id: "vis-public", value: "public", checked: true });
  const unlisted = h("input", { type: "radio", name: "visibility", id: "vis-unlisted", value: "unlisted" });
  const anon = h("input", { type: "checkbox", name: "allow_anonymous", id: "poll-anonymous" });
  const expires = h("input", { id: "poll-expires", name: "expires_at", type: "datetime-local" });
  const category = h("select", { id: "poll-category", name: "category" }, h("option", { value: "" }, "None"));
  const formError = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Create poll");

  function addOption(value = "", focus = false): void {
    if (optionList.children.length >= MAX_OPTIONS) return;
    const input = h("input", { name: "option", maxLength: 100, value, autocomplete: "off", "aria-describedby": "poll-options-error" });
    const remove = h("button", { type: "button", class: "btn btn-quiet btn-small option-remove" }, "Remove");
    const li = h("li", { class: "option-input" }, input, remove);
    remove.addEventListener("click", () => {
      const next = (li.nextElementSibling ?? li.previousElementSibling)?.querySelector("input");
      li.remove();
      renumber();
      next?.focus();
    });
    optionList.append(li);
    renumber();
    if (focus) input.focus();
  }

  /** Labels follow the position ("Option 3"), and the limits show as disabled buttons. */
  function renumber(): void {
    const items = Array.from(optionList.children);
    items.forEach((li, i) => {
      li.querySelector("input")?.setAttribute("aria-label", `Option ${i + 1}`);
      const rm = li.querySelector("button") as HTMLButtonElement;
      rm.setAttribute("aria-label", `Remove option ${i + 1}`);
      rm.disabled = items.length <= MIN_OPTIONS;
    });
    addBtn.disabled = items.length >= MAX_OPTIONS;
    maxChoices.max = String(Math.max(1, items.length));
  }
  addBtn.addEventListener("click", () => addOption("", true));
  const optionsField = h(
    "fieldset",
    { class: "field options-field", "aria-describedby": "poll-options-hint poll-options-error" },
    h("legend", null, "Options"),
    optionList,
    h("p", { id: "poll-options-hint", class: "hint" }, `${MIN_OPTIONS}–${MAX_OPTIONS} different options, up to 100 characters each.`),
    optionsError,
    h("div", { class: "row" }, addBtn),
  );
  addOption();
  addOption();

  const kindChanged = () => {
    maxField.hidden = !multiple.checked;
    optionsField.hidden = text.checked;
    textFields.hidden = !text.checked;
  };
  single.addEventListener("change", kindChanged);
  multiple.addEventListener("change", kindChanged);
  ranked.addEventListener("change", kindChanged);
  text.addEventListener("change", kindChanged);

  loadCategories().then(
    (cats) => {
      for (const c of cats) category.append(h("option", { value: c.slug }, c.name));
    },
    () => {
      // Without the list the poll simply has no category; say so rather than fail.
      category.disabled = true;
      category.title = "Categories could not be loaded";
    },
  );

  const errors: Record<string, HTMLElement> = {};
  kindChanged();
  let busy = false;

  function clearErrors(): void {
    for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    setText(formError, "");
  }

  /** Shows a refusal under its field (the message starts with the field's name). */
  function showError(e: ApiError): void {
    const m = /^([a-z_]+):\s*(.*)$/s.exec(e.message);
    const target = m && e.code === "validation_failed" ? errors[m[1]] : undefined;
    if (!m || !target) {
      setText(formError, describe(e));
      return;
    }
    const text = m[2].charAt(0).toUpperCase() + m[2].slice(1);
    setText(target, /[.!?]$/.test(text) ? text : `${text}.`);
    const input = m[1] === "options" ? optionList.querySelector("input") : form.querySelector(`#${target.id.replace(/-error$/, "")}`);
    input?.setAttribute("aria-invalid", "true");
    (input as HTMLElement | null)?.focus();
  }

  async function create(ev: Event): Promise<void> {
    ev.preventDefault();
    if (busy) return;
    clearErrors();
    const options = Array.from(optionList.querySelectorAll("input"))
      .map((i) => i.value)
      .filter((v) => v.trim() !== "");
    const body: Record<string, unknown> = {
      question: question.value,
      options: text.checked ? [] : options,
      kind: text.checked ? "text" : ranked.checked ? "ranked" : "choice",
      allow_multiple: multiple.checked,
      is_public: pub.checked,
      allow_anonymous: anon.checked,
    };
    if (text.checked) {
      body.max_length = Number(maxLength.value);
      body.answers_per_voter = Number(perVoter.value);
      body.moderation = premod.checked ? "pre" : "post";
    }
    if (description.value.trim()) body.description = description.value;
    if (multiple.checked) body.max_choices = Number(maxChoices.value);
    if (category.value) body.category = category.value;
    if (expires.value) {
      const at = new Date(expires.value);
      if (Number.isNaN(at.getTime())) {
        setText(errors.expires_at, "That isn't a date and time.");
        return;
      }
      body.expires_at = at.toISOString();
    }
    busy = true;
    submit.disabled = true;
    setText(submit, "Creating…");
    try {
      const { poll } = await api<{ poll: Poll }>("POST", "/api/polls", body);
      navigate(`/p/${poll.id}`);
    } catch (e) {
      showError(e instanceof ApiError ? e : new ApiError("network", "network error"));
    } finally {
      busy = false;
      submit.disabled = false;
      setText(submit, "Create poll");
    }
  }

  const form = h(
    "form",
    { class: "stack", novalidate: true, onsubmit: (e: Event) => void create(e) },
    field("poll-question", "Question", question, "Up to 200 characters."),
    field("poll-description", "Description", description, undefined, true),
    h(
      "fieldset",
      { class: "field choice-field" },
      h("legend", null, "Voters may pick"),
      h("label", { class: "check" }, single, " One option"),
      h("label", { class: "check" }, multiple, " Several options"),
      h("label", { class: "check" }, ranked, " Ranked: voters order the options, and an instant runoff finds the winner"),
      h("label", { class: "check" }, text, " Open answers: voters answer in their own words, shown as a word cloud"),
      maxField,
      textFields,
    ),
    optionsField,
    h(
      "fieldset",
      { class: "field choice-field" },
      h("legend", null, "Who can find it and vote"),
      h("label", { class: "check" }, pub, " Public: listed for everyone"),
      h("label", { class: "check" }, unlisted, " Unlisted: only people with the link"),
      h("label", { class: "check" }, anon, " Visitors may vote without an account"),
    ),
    h(
      "div",
      { class: "grid-2" },
      field("poll-expires", "Voting closes at", expires, "Leave empty to close it yourself.", true),
      field("poll-category", "Category", category),
    ),
    formError,
    submit,
  );
  // Server field names → where their message goes.
  errors.question = form.querySelector("#poll-question-error") as HTMLElement;
  errors.description = form.querySelector("#poll-description-error") as HTMLElement;
  errors.options = optionsError;
  errors.text = optionsError;
  errors.kind = formError;
  errors.max_choices = form.querySelector("#poll-max-choices-error") as HTMLElement;
  errors.max_length = form.querySelector("#poll-max-length-error") as HTMLElement;
  errors.answers_per_voter = form.querySelector("#poll-answers-per-voter-error") as HTMLElement;
  errors.moderation = formError;
  errors.expires_at = form.querySelector("#poll-expires-error") as HTMLElement;
  errors.category = form.querySelector("#poll-category-error") as HTMLElement;

  const el = h(
    "section",
    { class: "screen screen-narrow" },
    h("p", { class: "eyebrow" }, h("a", { href: "/", "data-link": true }, "← Home")),
    h("h1", null, "Create a poll"),
    h("div", { class: "card" }, form),
  );
  return { el, title: "New poll", update() {}, focus: question };
}
