// Sign in with a username, a password and a domain (CloudStack's login); then back to where the user was.

import * as api from "../api.js";
import { clone, errorBox, slot } from "../dom.js";

const NOTICES = {
  expired: "Your session has ended. Sign in again to go on.",
  "signed-out": "You are signed out.",
};

function destination(query) {
  const next = query.get("next") ?? "";
  // Only a path of this site: never an absolute URL someone put in a link.
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : "/instances";
}

export async function render(view, { query, navigate }) {
  const page = clone("t-login");
  const notice = slot(page, "notice");
  if (NOTICES[query.get("reason")]) {
    notice.textContent = NOTICES[query.get("reason")];
    notice.hidden = false;
  }
  const form = slot(page, "form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    slot(page, "error").replaceChildren();
    try {
      await api.login(data.get("username").trim(), data.get("password"), data.get("domain").trim());
      await navigate(destination(query), { replace: true });
    } catch (error) {
      const text = error.status === 401
        ? "The username, password or domain is wrong, or the account is disabled."
        : error.message;
      slot(page, "error").replaceChildren(errorBox(new Error(text)));
      form.elements.password.select();
    } finally {
      button.disabled = false;
    }
  });
  view.append(page);
  if (api.signedIn() && !query.get("reason")) await navigate(destination(query), { replace: true });
  return "Sign in";
}
