// Firewall rules of a public IP of an isolated network (VPC tiers use network ACLs instead).

import { confirmedButton, submitting } from "../actions.js";
import * as api from "../api.js";
import { h, table } from "../dom.js";
import { portField } from "./ip_port_forwarding.js";

function ports(rule) {
  if (rule.startport === undefined) return "all";
  return rule.startport === rule.endport ? String(rule.startport) : `${rule.startport}-${rule.endport}`;
}

export async function panel(ip, { refresh }) {
  if (ip.vpcid) return [h("p", { text: "VPC tiers are guarded by network ACLs, not per-IP firewall rules." })];
  const rules = await api.list("listFirewallRules", "firewallrule", { ipaddressid: ip.id, listall: true });
  const shown = table(`Firewall rules of ${ip.ipaddress}`, [
    ["Protocol", (r) => r.protocol],
    ["Ports", ports],
    ["From", (r) => r.cidrlist || "0.0.0.0/0"],
    ["Action", (r) => confirmedButton({
      text: "Delete", label: `Delete firewall rule ${r.protocol} ${ports(r)}`,
      ask: ["Delete this firewall rule?", "Traffic it lets in is dropped from now on.", "Delete"],
      progressText: "Deleting…", work: () => api.run("deleteFirewallRule", { id: r.id }), refresh,
      done: "Firewall rule deleted." })],
  ], rules, "No firewall rule: nothing reaches this IP from outside.");
  const protocol = h("select", { name: "protocol" }, ["tcp", "udp", "icmp"].map((p) => h("option", { text: p })));
  const form = h("form", { class: "stack", "aria-labelledby": "fw-add" }, h("h3", { id: "fw-add", text: "Add a rule" }),
    h("div", { class: "row" }, h("label", {}, "Protocol ", protocol), portField("startport", "Start port", false),
      portField("endport", "End port", false), h("label", {}, "Source CIDRs ", h("input", { name: "cidrlist",
        value: "0.0.0.0/0" }))));
  form.append(...submitting(form, {
    text: "Add rule", progressText: "Adding the rule…", refresh, done: () => "Firewall rule added.",
    work: (data) => api.run("createFirewallRule", {
      ipaddressid: ip.id, protocol: data.get("protocol"), startport: data.get("startport"),
      endport: data.get("endport"), cidrlist: data.get("cidrlist").trim(),
    }),
  }));
  return [shown, form];
}
