// Load balancer rules of a public IP; a new rule is created with its members in one action
// (createLoadBalancerRuleWithMembers: a refused member leaves no rule behind).

import * as api from "../api.js";
import { announce, busy, confirm, errorBox, h, table } from "../dom.js";
import { candidates, memberPicker } from "../picker.js";
import { portField } from "./ip_port_forwarding.js";

function deleteButton(rule, refresh) {
  const button = h("button", { type: "button", class: "danger small", text: "Delete",
    "aria-label": `Delete load balancer ${rule.name}` });
  button.addEventListener("click", async () => {
    if (!await confirm(`Delete load balancer ${rule.name}?`, "Its members stop receiving its traffic.", "Delete")) return;
    const progress = h("span", { class: "progress" });
    button.after(progress);
    try {
      await busy(button, progress, "Deleting…", () => api.run("deleteLoadBalancerRule", { id: rule.id }));
      await refresh();
      announce(`Load balancer ${rule.name} deleted.`);
    } catch (error) {
      progress.replaceWith(errorBox(error));
    }
  });
  return button;
}

function members(items) {
  const found = items.flatMap((item) => (item.lbvmipaddresses ?? []).map((address) =>
    `${item.loadbalancerruleinstance.name} ${address}`));
  return found.length ? h("ul", { class: "inline-list" }, found.map((text) => h("li", { text }))) : "none";
}

function createForm(ip, pairs, refresh) {
  const picker = memberPicker(pairs, Boolean(ip.vpcid));
  const algorithm = h("select", { name: "algorithm" }, ["roundrobin", "leastconn", "source"].map((a) => h("option", { text: a })));
  const name = h("input", { name: "name", required: true, maxlength: 255 });
  const button = h("button", { type: "submit", class: "primary", text: "Create load balancer" });
  const progress = h("span", { class: "progress", hidden: true });
  const errors = h("div");
  const form = h("form", { class: "stack", "aria-labelledby": "lb-add" }, h("h3", { id: "lb-add", text: "Create a rule" }),
    h("div", { class: "row" }, h("label", {}, "Name ", name), portField("publicport", "Public port"),
      portField("privateport", "Private port"), h("label", {}, "Algorithm ", algorithm)),
    h("p", { class: "hint", text: "Members: any addresses of the instances' NICs in this network, primary or secondary." }),
    picker.element, errors, h("div", { class: "actions" }, button, progress));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    const chosen = picker.value();
    if (chosen.length === 0) {
      errors.replaceChildren(errorBox(new Error("Choose at least one member address.")));
      return;
    }
    const data = new FormData(form);
    const map = Object.fromEntries(chosen.flatMap((m, i) => [[`vmidipmap[${i}].vmid`, m.vm.id],
      [`vmidipmap[${i}].vmip`, m.address]]));
    try {
      await busy(button, progress, "Creating the load balancer…", () => api.run("createLoadBalancerRuleWithMembers", {
        publicipid: ip.id, name: name.value.trim(), algorithm: algorithm.value, publicport: data.get("publicport"),
        privateport: data.get("privateport"), networkid: ip.vpcid ? chosen[0].nic.networkid : undefined, ...map,
      }));
      await refresh();
      announce(`Load balancer ${name.value.trim()} created with ${chosen.length} members.`);
    } catch (error) {
      errors.replaceChildren(errorBox(error));
    }
  });
  return form;
}

export async function panel(ip, { refresh }) {
  if (ip.isstaticnat) return [h("p", { text: "This IP has static NAT: it cannot balance load too." })];
  const [rules, pairs] = await Promise.all([
    api.list("listLoadBalancerRules", "loadbalancerrule", { publicipid: ip.id, listall: true }),
    candidates(ip),
  ]);
  const withMembers = await Promise.all(rules.map(async (rule) => ({ rule,
    items: await api.list("listLoadBalancerRuleInstances", "lbrulevmidip", { id: rule.id, lbvmips: true }) })));
  const shown = table(`Load balancer rules of ${ip.ipaddress}`, [
    ["Name", ({ rule }) => rule.name],
    ["Public port", ({ rule }) => rule.publicport],
    ["Private port", ({ rule }) => rule.privateport],
    ["Algorithm", ({ rule }) => rule.algorithm],
    ["Members", ({ items }) => members(items)],
    ["Action", ({ rule }) => deleteButton(rule, refresh)],
  ], withMembers, "No load balancer rule yet.");
  return [shown, pairs.length ? createForm(ip, pairs, refresh) : h("p", { text: "No instance has a NIC here yet." })];
}
