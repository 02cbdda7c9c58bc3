// Firewall rules of a public IP of an isolated network (VPC tiers use network ACLs instead).

import * as api from "../api.js";
import { announce, busy, confirm, errorBox, h, table } from "../dom.js";
import { portField } from "./ip_port_forwarding.js";

function deleteButton(rule, refresh) {
  const button = h("button", { type: "button", class: "danger small", text: "Delete",
    "aria-label": `Delete firewall rule ${rule.protocol} ${rule.startport ?? ""}` });
  button.addEventListener("click", async () => {
    if (!await confirm("Delete this firewall rule?", "Traffic it lets in is dropped from now on.", "Delete")) return;
    const progress = h("span", { class: "progress" });
    button.after(progress);
    try {
      await busy(button, progress, "Deleting…", () => api.run("deleteFirewallRule", { id: rule.id }));
      await refresh();
      announce("Firewall rule deleted.");
    } catch (error) {
      progress.replaceWith(errorBox(error));
    }
  });
  return button;
}

export async function panel(ip, { refresh }) {
  if (ip.vpcid) return [h("p", { text: "VPC tiers are guarded by network ACLs, not per-IP firewall rules." })];
  const rules = await api.list("listFirewallRules", "firewallrule", { ipaddressid: ip.id, listall: true });
  const shown = table(`Firewall rules of ${ip.ipaddress}`, [
    ["Protocol", (r) => r.protocol],
    ["Ports", (r) => (r.startport === undefined ? "all" : r.startport === r.endport ? r.startport : `${r.startport}-${r.endport}`)],
    ["From", (r) => r.cidrlist || "0.0.0.0/0"],
    ["Action", (r) => deleteButton(r, refresh)],
  ], rules, "No firewall rule: nothing reaches this IP from outside.");
  const protocol = h("select", { name: "protocol" }, ["tcp", "udp", "icmp"].map((p) => h("option", { text: p })));
  const cidrs = h("input", { name: "cidrlist", value: "0.0.0.0/0" });
  const button = h("button", { type: "submit", class: "primary", text: "Add rule" });
  const progress = h("span", { class: "progress", hidden: true });
  const errors = h("div");
  const form = h("form", { class: "stack", "aria-labelledby": "fw-add" }, h("h3", { id: "fw-add", text: "Add a rule" }),
    h("div", { class: "row" }, h("label", {}, "Protocol ", protocol), portField("startport", "Start port", false),
      portField("endport", "End port", false), h("label", {}, "Source CIDRs ", cidrs)),
    errors, h("div", { class: "actions" }, button, progress));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    const data = new FormData(form);
    try {
      await busy(button, progress, "Adding the rule…", () => api.run("createFirewallRule", {
        ipaddressid: ip.id, protocol: protocol.value, startport: data.get("startport"), endport: data.get("endport"),
        cidrlist: cidrs.value.trim(),
      }));
      await refresh();
      announce("Firewall rule added.");
    } catch (error) {
      errors.replaceChildren(errorBox(error));
    }
  });
  return [shown, form];
}
