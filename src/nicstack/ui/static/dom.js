// Small DOM helpers shared by the pages: building elements, templates, messages, dialogs, and
// the address arithmetic the pages sort and count with (IPv6 counts need BigInt).

export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") element.textContent = value;
    else if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return element;
}

export function clone(id) {
  return document.getElementById(id).content.firstElementChild.cloneNode(true);
}

export function slot(root, name) {
  return root.querySelector(`[data-slot="${name}"]`);
}

export function link(href, text, attrs = {}) {
  return h("a", { href, ...attrs }, text);
}

export function announce(text) {
  const status = document.getElementById("status");
  status.textContent = "";
  // A fresh text node after a tick: screen readers announce a change, not the same text twice.
  setTimeout(() => { status.textContent = text; }, 20);
}

export function errorBox(error, ...extra) {
  return h("div", { class: "error", role: "alert" }, h("p", { text: error.message ?? String(error) }), ...extra);
}

export function facts(list, pairs) {
  list.replaceChildren(...pairs.filter(([, value]) => value !== undefined && value !== null && value !== "")
    .flatMap(([term, value]) => [h("dt", { text: term }), h("dd", {}, value)]));
}

// A table: `columns` are [header, cell(row) -> node or text]; at phone widths each row is a card
// whose cells carry their header (data-label, shown by the style sheet).
export function table(label, columns, rows, empty = "None") {
  if (rows.length === 0) return h("p", { class: "empty", text: empty });
  const head = h("tr", {}, columns.map(([title]) => h("th", { scope: "col", text: title })));
  const body = rows.map((row) => h("tr", {}, columns.map(([title, cell]) => {
    const value = cell(row);
    return h("td", { "data-label": title }, value ?? "");
  })));
  return h("div", { class: "table-wrap" }, h("table", { "aria-label": label }, h("thead", {}, head),
    h("tbody", {}, body)));
}

// Ask before a destructive action; resolves true when the user confirmed. A modal <dialog>
// keeps the focus inside it, Escape cancels, and focus goes back where it was.
export function confirm(title, text, action) {
  const dialog = clone("t-confirm");
  slot(dialog, "title").textContent = title;
  slot(dialog, "body").textContent = text;
  slot(dialog, "confirm").textContent = action;
  document.body.append(dialog);
  const before = document.activeElement;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "confirm");
      dialog.remove();
      if (before instanceof HTMLElement) before.focus();
    });
    dialog.showModal();
    slot(dialog, "cancel").focus();
  });
}

// Run `work` with the button disabled and a progress text shown; its errors reach the caller.
export async function busy(button, progress, text, work) {
  button.disabled = true;
  progress.hidden = false;
  progress.textContent = text;
  progress.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    progress.hidden = true;
    progress.removeAttribute("aria-busy");
  }
}

export function when(stamp) {
  if (!stamp) return "";
  const date = new Date(stamp.replace(/\+0000$/, "Z"));
  return Number.isNaN(date.getTime()) ? stamp : date.toLocaleString("en-GB", { timeZone: "UTC" }) + " UTC";
}

export function count(value) {
  return BigInt(value).toLocaleString("en");
}

// -- addresses: numeric order (10.1.1.5 before 10.1.1.100), IPv4 before IPv6 ------------------

function ipv6Value(text) {
  const [head, tail = null] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = tail === null ? [] : tail ? tail.split(":") : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return groups.reduce((value, group) => (value << 16n) + BigInt(parseInt(group || "0", 16)), 0n);
}

export function addressValue(text) {
  if (text.includes(":")) return [6, ipv6Value(text)];
  return [4, text.split(".").reduce((value, octet) => (value << 8n) + BigInt(Number(octet)), 0n)];
}

function compareAddresses(a, b) {
  const [fa, va] = addressValue(a);
  const [fb, vb] = addressValue(b);
  if (fa !== fb) return fa - fb;
  return va < vb ? -1 : va > vb ? 1 : 0;
}

export function byAddress(key) {
  return (a, b) => compareAddresses(key(a), key(b));
}

export function ipv4Text(value) {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join(".");
}
