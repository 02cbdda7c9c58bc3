// Networks: every network the user may see, with its type, CIDRs, zone and VPC.

import * as api from "../api.js";
import { clone, h, link, slot, table } from "../dom.js";

export async function render(view) {
  const page = clone("t-list-page");
  slot(page, "title").textContent = "Networks";
  const [found, vpcs] = await Promise.all([
    api.list("listNetworks", "network", { listall: true }),
    api.list("listVPCs", "vpc", { listall: true }),
  ]);
  const vpcName = new Map(vpcs.map((vpc) => [vpc.id, vpc.name]));
  const rows = [...found].sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  slot(page, "summary").textContent = `${rows.length} network${rows.length === 1 ? "" : "s"}`;
  const columns = [
    ["Name", (net) => link(`/networks/${net.id}`, net.name)],
    ["Type", (net) => net.type],
    ["CIDR", (net) => [net.cidr, net.ip6cidr].filter(Boolean).join(", ") || h("span", { class: "muted", text: "per pod" })],
    ["Zone", (net) => net.zonename],
    ["VPC", (net) => (net.vpcid ? vpcName.get(net.vpcid) ?? net.vpcid : "")],
    ["Owner", (net) => net.account ?? `domain ${net.domain}`],
  ];
  slot(page, "list").append(table("Networks", columns, rows, "No networks yet."));
  view.append(page);
  return "Networks";
}
