// Public IPs: the user's acquired addresses, and acquiring a new one for an isolated network or a VPC.

import { submitting } from "../actions.js";
import * as api from "../api.js";
import { byAddress, clone, h, link, slot, table } from "../dom.js";

function mapping(ip) {
  if (ip.issourcenat) return h("span", { class: "muted", text: "source NAT" });
  if (ip.isstaticnat) return [`Static NAT → ${ip.virtualmachinename} `, h("code", { text: ip.vmipaddress })];
  return "";
}

function acquireForm(networks, vpcs, navigate) {
  const select = h("select", { name: "target", required: true },
    h("optgroup", { label: "Isolated networks" }, networks.map((n) => h("option", { value: `network:${n.id}`, text: n.name }))),
    vpcs.length ? h("optgroup", { label: "VPCs" }, vpcs.map((v) => h("option", { value: `vpc:${v.id}`, text: v.name }))) : null);
  const form = h("form", { class: "inline-form", "aria-label": "Acquire a public IP" }, h("label", {}, "For ", select));
  form.append(...submitting(form, {
    text: "Acquire public IP", progressText: "Acquiring a public IP…",
    refresh: (result) => navigate(`/public-ips/${result.ipaddress.id}`),
    done: (result) => `Acquired ${result.ipaddress.ipaddress}.`,
    work: (data) => {
      const [kind, id] = data.get("target").split(":");
      return api.run("associateIpAddress", kind === "vpc" ? { vpcid: id } : { networkid: id });
    },
  }));
  return form;
}

export async function render(view, { navigate }) {
  const page = clone("t-list-page");
  slot(page, "title").textContent = "Public IPs";
  const [found, networks, vpcs] = await Promise.all([
    api.list("listPublicIpAddresses", "publicipaddress", { listall: true }),
    api.list("listNetworks", "network", { listall: true, type: "Isolated" }),
    api.list("listVPCs", "vpc", { listall: true }),
  ]);
  const isolated = networks.filter((n) => !n.vpcid && (n.service ?? []).some((s) => s.name === "SourceNat"));
  if (isolated.length || vpcs.length) slot(page, "tools").append(acquireForm(isolated, vpcs, navigate));
  const rows = [...found].sort(byAddress((ip) => ip.ipaddress));
  slot(page, "summary").textContent = `${rows.length} public IP${rows.length === 1 ? "" : "s"}`;
  slot(page, "list").append(table("Public IPs", [
    ["Address", (ip) => link(`/public-ips/${ip.id}`, ip.ipaddress)],
    ["Serves", (ip) => ip.vpcname ? `VPC ${ip.vpcname}` : ip.associatednetworkname ?? ""],
    ["Mapping", mapping],
    ["Zone", (ip) => ip.zonename],
    ["State", (ip) => ip.state],
  ], rows, "No public IP yet: acquire one above."));
  view.append(page);
  return "Public IPs";
}
