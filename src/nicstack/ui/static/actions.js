// The two shapes every change on a page takes: a button that asks first, and a form; both run
// their work with a progress text, show a refusal inline with the server's words, and on success
// refresh the page and announce what happened.

import { announce, busy, confirm, errorBox, h } from "./dom.js";

// A button that confirms, then runs `work`; `done` names what happened (announced after `refresh`).
export function confirmedButton({ text, label, ask, progressText, work, refresh, done, small = true }) {
  const button = h("button", { type: "button", class: small ? "danger small" : "danger", text, "aria-label": label });
  button.addEventListener("click", async () => {
    if (!await confirm(...ask)) return;
    const progress = h("span", { class: "progress" });
    button.after(progress);
    try {
      await busy(button, progress, progressText, work);
      await refresh();
      announce(done);
    } catch (error) {
      progress.replaceWith(errorBox(error));
    }
  });
  return button;
}

// Make `form` run `work(data)` on submit; `done(result)` says what happened (announced after
// `refresh(result)`, which re-renders the page or goes to another).
// Returns the elements to place after the form's fields: the errors, then the button and its progress.
export function submitting(form, { text, progressText, work, refresh, done }) {
  const button = h("button", { type: "submit", class: "primary", text });
  const progress = h("span", { class: "progress", hidden: true });
  const errors = h("div");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    try {
      const result = await busy(button, progress, progressText, () => work(new FormData(form)));
      await refresh(result);
      announce(done(result));
    } catch (error) {
      errors.replaceChildren(errorBox(error));
    }
  });
  return [errors, h("div", { class: "actions" }, button, progress)];
}
