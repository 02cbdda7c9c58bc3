// A network: its facts and its address usage per family (counts by kind, a bar, a picture of the
// pool in cells, the free ranges and the runs of used addresses), from listNetworkAddressUsage.

import * as api from "../api.js";
import { clone, count, facts, h, slot, table } from "../dom.js";

const KINDS = [
  ["primary", "Primary (a NIC's own address)"],
  ["secondary", "Secondary"],
  ["router", "Virtual router"],
  ["reserved", "Reserved (gateway and the like)"],
  ["taken", "Taken"],
  ["free", "Free"],
];
const LABEL = Object.fromEntries(KINDS);

function percent(part, whole) {
  if (whole === 0n) return "0 %";
  const tenths = (part * 1000n) / whole;
  if (tenths === 0n && part > 0n) return "under 0.1 %";
  return `${tenths / 10n}.${tenths % 10n} %`;
}

function bar(usage) {
  const total = BigInt(usage.total);
  const segments = KINDS.filter(([kind]) => kind !== "free" && usage.counts[kind]).map(([kind]) => {
    const share = Number((BigInt(usage.counts[kind]) * 100000n) / (total || 1n)) / 1000;
    const segment = h("span", { class: `segment kind-${kind}` });
    // At least a sliver for a kind that holds anything: an IPv6 /64 is honest only with counts beside it.
    segment.style.width = `${Math.max(share, 0.5)}%`;
    return segment;
  });
  return h("div", { class: "bar", role: "img",
    "aria-label": `${count(usage.used)} of ${count(usage.total)} addresses in use (${percent(BigInt(usage.used), total)})` },
  ...segments);
}

function cellKind(cell) {
  let best = null;
  for (const [kind, n] of Object.entries(cell.held)) if (best === null || BigInt(n) > BigInt(cell.held[best])) best = kind;
  return best;
}

function picture(usage, family) {
  const cells = usage.cells;
  const perCell = cells.length ? BigInt(cells[0].size) : 0n;
  const grid = h("div", { class: "grid", role: "img",
    "aria-label": `Picture of the IPv${family} pool in ${cells.length} cells; the tables below list the same data` });
  for (const cell of cells) {
    const kind = cellKind(cell) ?? "free";
    const size = BigInt(cell.size);
    const used = size - BigInt(cell.free);
    const div = h("span", { class: `cell kind-${kind}`,
      title: size === 1n ? `${cell.start}: ${LABEL[kind]}`
        : `${cell.start} – ${cell.end}: ${count(used)} of ${count(size)} in use` });
    if (size > 1n && used > 0n) {
      // The colour's strength shows the share in use, at least a quarter when any address is.
      div.style.setProperty("--fill", String(Math.max(Number((used * 1000n) / size) / 1000, 0.25)));
      div.classList.add("partial");
    }
    grid.append(div);
  }
  const scale = perCell > 1n ? `Each cell holds about ${count(perCell)} addresses; its colour's strength shows the `
    + "share in use (at least a quarter when any address is)." : "Each cell is one address.";
  return [grid, h("p", { class: "hint", text: scale })];
}

function legend(usage) {
  return h("ul", { class: "legend", "aria-label": "Addresses by kind" },
    KINDS.filter(([kind]) => usage.counts[kind] !== undefined).map(([kind, label]) => h("li", {},
      h("span", { class: `swatch kind-${kind}`, "aria-hidden": "true" }), `${label}: ${count(usage.counts[kind])}`)));
}

function familySection(usage, family, cidr) {
  const runs = usage.runs;
  const freeRuns = runs.filter((run) => run.kind === "free");
  const usedRuns = runs.filter((run) => run.kind !== "free");
  const section = h("section", { class: "family", "aria-labelledby": `usage-v${family}` },
    h("h3", { id: `usage-v${family}`, text: `IPv${family}${cidr ? ` · ${cidr}` : ""}` }),
    h("p", { class: "totals" },
      h("strong", { text: count(usage.total) }), " addresses · ",
      h("strong", { text: count(usage.used) }), ` used (${percent(BigInt(usage.used), BigInt(usage.total))}) · `,
      h("strong", { text: count(usage.free) }), " free",
      usage.firstfree ? [" · first free ", h("code", { text: usage.firstfree })] : null),
    bar(usage), legend(usage), ...picture(usage, family),
    h("h4", { text: "Free ranges" }),
    table(`Free IPv${family} ranges`, [
      ["From", (run) => h("code", { text: run.start })], ["To", (run) => h("code", { text: run.end })],
      ["Addresses", (run) => count(run.count)],
    ], freeRuns, "No free address left."),
    usedRuns.length ? h("details", {}, h("summary", { text: `Used addresses (${usedRuns.length} runs)` }),
      table(`Used IPv${family} runs`, [
        ["From", (run) => h("code", { text: run.start })], ["To", (run) => h("code", { text: run.end })],
        ["Addresses", (run) => count(run.count)], ["Kind", (run) => LABEL[run.kind] ?? run.kind],
      ], usedRuns)) : null,
    usage.truncated ? h("p", { class: "hint", text: "The lists stop after the first runs; the counts are complete." }) : null);
  return section;
}

export async function render(view, { params }) {
  const found = await api.call("listNetworks", { id: params.network, listall: true });
  const net = (found.network ?? [])[0];
  if (!net) throw new api.ApiError(431, "entity does not exist", "listNetworks");
  const page = clone("t-network");
  slot(page, "title").textContent = net.name;
  facts(slot(page, "facts"), [
    ["Type", net.type], ["Description", net.displaytext], ["Zone", net.zonename], ["State", net.state],
    ["CIDR", net.cidr], ["Gateway", net.gateway], ["IPv6 CIDR", net.ip6cidr], ["IPv6 gateway", net.ip6gateway],
    ["VLAN", net.vlan], ["VPC", net.vpcid ? h("code", { text: net.vpcid }) : null],
    ["Owner", net.account ?? `every account of domain ${net.domain}`], ["Offering", net.networkofferingname],
    ["Services", (net.service ?? []).map((s) => s.name).join(", ")],
  ]);
  const box = slot(page, "usage");
  if (net.type === "L2") {
    box.append(h("p", { text: "An L2 network has no address management." }));
  } else {
    const usage = (await api.call("listNetworkAddressUsage", { networkid: net.id })).networkaddressusage;
    if (net.type === "Shared") {
      box.append(h("p", { class: "notice", text: "A shared network: you see which addresses are free and which are "
        + "taken, never who holds them." }));
    }
    if (usage.ipv4) box.append(familySection(usage.ipv4, 4, net.type === "Shared" ? null : net.cidr));
    if (usage.ipv6) box.append(familySection(usage.ipv6, 6, net.type === "Shared" ? null : net.ip6cidr));
    if (!usage.ipv4 && !usage.ipv6) box.append(h("p", { text: "This network has no address range yet." }));
  }
  view.append(page);
  return net.name;
}
