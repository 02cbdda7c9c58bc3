// A NIC's addresses: primary and secondary, the rules that target each, Release (with confirmation)
// and Acquire (an optional address, this network's free addresses in numeric order, the limit).

import * as api from "../api.js";
import {
  addressValue, announce, busy, byAddress, clone, confirm, count, errorBox, facts, h, ipv4Text, link, slot, table,
} from "../dom.js";
import { rulesByAddress } from "../rules.js";

const SUGGESTED = 100;

async function load(params) {
  const found = await api.call("listVirtualMachines", { id: params.vm, listall: true });
  const vm = (found.virtualmachine ?? [])[0];
  const nic = vm && (vm.nic ?? []).find((n) => n.id === params.nic);
  if (!nic) throw new api.ApiError(431, "entity does not exist", "listNics");
  const [limit, free, rules] = await Promise.all([
    api.call("getSecondaryIpLimit", { nicid: nic.id }).then((r) => r.secondaryiplimit),
    api.call("listFreeIpAddresses", { networkid: nic.networkid, limit: SUGGESTED }).then((r) => r.freeipaddress),
    rulesByAddress(vm, nic.networkid),
  ]);
  return { vm, nic, limit, free, rules };
}

function rulesCell(rules) {
  if (!rules || rules.length === 0) return h("span", { class: "muted", text: "none" });
  return h("ul", { class: "rules" }, rules.map((rule) => h("li", {}, link(rule.href, rule.label))));
}

// Free ranges of both families, IPv4 first; counts from the addresses themselves (exact for IPv6).
function freeRanges(free) {
  return [free.ipv4, free.ipv6].filter(Boolean).flatMap((family) => family.ranges.map((range) => ({
    ...range, size: addressValue(range.end)[1] - addressValue(range.start)[1] + 1n,
  })));
}

function suggestions(ranges) {
  const found = [];
  for (const range of ranges) {
    if (range.start.includes(":")) {
      found.push(range.start);
      continue;
    }
    const [, start] = addressValue(range.start);
    for (let i = 0n; i < range.size && found.length < SUGGESTED; i += 1n) found.push(ipv4Text(start + i));
    if (found.length >= SUGGESTED) break;
  }
  return found;
}

// The prefix length of the NIC's subnet for an address of it (from the netmask or the IPv6 CIDR).
function prefixOf(nic) {
  const bits = (nic.netmask ?? "").split(".").reduce((n, octet) => n + Number(octet).toString(2).replaceAll("0", "").length, 0);
  return (address) => (address.includes(":") ? (nic.ip6cidr ?? "/64").split("/")[1] : String(bits || 32));
}

export async function render(view, { params }) {
  const page = clone("t-nic");
  let state = await load(params);
  const { vm, nic } = state;
  const input = slot(page, "address");
  const prefix = prefixOf(nic);
  const releaseErrors = h("div", { class: "release-errors" });

  slot(page, "crumbs").append(link("/instances", "Instances"), " › ", link(`/instances/${vm.id}`, vm.name), " › ",
    link(`/instances/${vm.id}/nics`, "NICs"));
  slot(page, "title").textContent = `NIC ${nic.deviceid} of ${vm.name}`;
  facts(slot(page, "facts"), [
    ["Network", link(`/networks/${nic.networkid}`, nic.networkname)], ["Type", nic.type],
    ["MAC", h("code", { text: nic.macaddress })], ["Default NIC", nic.isdefault ? "Yes" : "No"],
    ["Gateway", nic.gateway], ["Netmask", nic.netmask], ["IPv6 CIDR", nic.ip6cidr],
  ]);

  function paintAddresses() {
    const { nic: now, rules, limit } = state;
    const rows = [
      ...[now.ipaddress, now.ip6address].filter(Boolean).map((address) => ({ address, primary: true })),
      ...[...(now.secondaryip ?? [])].sort(byAddress((s) => s.ipaddress))
        .map((s) => ({ address: s.ipaddress, id: s.id, primary: false })),
    ];
    slot(page, "addresses").replaceChildren(releaseErrors, table(`Addresses of NIC ${now.deviceid}`, [
      ["Address", (row) => h("code", { class: "address", text: row.address })],
      ["Role", (row) => h("span", { class: row.primary ? "badge primary" : "badge", text: row.primary ? "Primary" : "Secondary" })],
      ["Rules", (row) => rulesCell(rules.get(row.address))],
      ["Action", (row) => (row.primary ? null : h("button", {
        type: "button", class: "danger small", "aria-label": `Release ${row.address}`, text: "Release",
        onclick: (event) => release(row, event.currentTarget),
      }))],
    ], rows));
    const meter = h("meter", { min: 0, max: limit.limit, value: limit.used, "aria-label": "Secondary addresses used" });
    slot(page, "limit").replaceChildren(meter, ` ${limit.used} of ${limit.limit} secondary addresses`,
      limit.available === 0 ? " — the limit is reached: release one first" : "");
  }

  function paintFree() {
    const ranges = freeRanges(state.free);
    const first = ranges[0]?.start;
    input.placeholder = first ? `empty: any free address (e.g. ${first})` : "no free address left";
    slot(page, "datalist").replaceChildren(...suggestions(ranges).map((value) => h("option", { value })));
    const families = [state.free.ipv4, state.free.ipv6].filter(Boolean);
    const free = families.reduce((sum, f) => sum + BigInt(f.free ?? 0), 0n);
    const heading = h("h2", { id: "free-heading", text: `Free addresses of ${nic.networkname}` });
    const summary = h("p", { text: first
      ? `${count(free)} free; first free: ${first}. Pick one to fill the address field.`
      : "No free address is left in this network." });
    const items = ranges.map((range) => h("li", {},
      h("button", { type: "button", class: "small", text: `Use ${range.start}`,
        onclick: () => { input.value = range.start; input.focus(); } }),
      h("span", { text: range.start === range.end ? " one address"
        : ` ${range.start} – ${range.end} (${count(range.size)} addresses)` })));
    const more = families.some((f) => f.truncated) ? h("p", { class: "hint", text: "Only the first ranges are shown." }) : null;
    slot(page, "free").replaceChildren(heading, summary,
      h("ul", { class: "free-ranges", "aria-labelledby": "free-heading" }, items), ...(more ? [more] : []));
  }

  async function reload() {
    state = await load(params);
    paintAddresses();
    paintFree();
  }

  async function release(row, button) {
    releaseErrors.replaceChildren();
    const sure = await confirm(`Release ${row.address}?`,
      `${row.address} goes back to ${nic.networkname}'s free addresses; remove it from the VM's own network `
      + "configuration too.", "Release");
    if (!sure) return;
    const progress = h("span", { class: "progress" });
    button.after(progress);
    try {
      await busy(button, progress, `Releasing ${row.address}…`, () => api.run("removeIpFromNic", { id: row.id }));
      await reload();
      announce(`Released ${row.address}.`);
      input.focus();
    } catch (error) {
      progress.remove();
      await reload().catch(() => {});
      const rules = state.rules.get(row.address) ?? [];
      const box = errorBox(error, rules.length
        ? h("p", {}, "Targeted by: ", ...rules.flatMap((rule, i) => [i ? ", " : "", link(rule.href, rule.label)]))
        : null);
      releaseErrors.replaceChildren(box);
      // Its button went with the refreshed table: the keyboard's place is the refusal and its links.
      box.tabIndex = -1;
      box.focus();
    }
  }

  slot(page, "acquire").addEventListener("submit", async (event) => {
    event.preventDefault();
    const wanted = input.value.trim();
    const errors = slot(page, "acquire-error");
    errors.replaceChildren();
    releaseErrors.replaceChildren();
    try {
      const result = await busy(slot(page, "acquire-button"), slot(page, "progress"),
        wanted ? `Acquiring ${wanted}…` : "Acquiring the next free address…",
        () => api.run("addIpToNic", { nicid: nic.id, ipaddress: wanted }));
      const got = result.nicsecondaryip.ipaddress;
      input.value = "";
      await reload();
      announce(`Acquired ${got}. Configure it inside the VM yourself, e.g. ip addr add ${got}/${prefix(got)} `
        + `dev eth${nic.deviceid}.`);
      input.focus();
    } catch (error) {
      errors.replaceChildren(errorBox(error));
      await reload().catch(() => {});
      input.focus();
    }
  });

  paintAddresses();
  paintFree();
  view.append(page);
  return `NIC ${nic.deviceid} of ${vm.name}`;
}
