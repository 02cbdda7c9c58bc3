// Load balancer rules of a public IP; a new rule is created with its members in one action
// (createLoadBalancerRuleWithMembers: a refused member leaves no rule behind).

import { confirmedButton, submitting } from "../actions.js";
import * as api from "../api.js";
import { h, table } from "../dom.js";
import { candidates, memberPicker } from "../picker.js";
import { portField } from "./ip_port_forwarding.js";

function members(items) {
  const found = items.flatMap((item) => (item.lbvmipaddresses ?? []).map((address) =>
    `${item.loadbalancerruleinstance.name} ${address}`));
  return found.length ? h("ul", { class: "inline-list" }, found.map((text) => h("li", { text }))) : "none";
}

function createForm(ip, pairs, refresh) {
  const picker = memberPicker(pairs, Boolean(ip.vpcid));
  let chosen = [];
  const algorithm = h("select", { name: "algorithm" }, ["roundrobin", "leastconn", "source"].map((a) => h("option", { text: a })));
  const form = h("form", { class: "stack", "aria-labelledby": "lb-add" }, h("h3", { id: "lb-add", text: "Create a rule" }),
    h("div", { class: "row" }, h("label", {}, "Name ", h("input", { name: "name", required: true, maxlength: 255 })),
      portField("publicport", "Public port"), portField("privateport", "Private port"),
      h("label", {}, "Algorithm ", algorithm)),
    h("p", { class: "hint", text: "Members: any addresses of the instances' NICs in this network, primary or secondary." }),
    picker.element);
  form.append(...submitting(form, {
    text: "Create load balancer", progressText: "Creating the load balancer…", refresh,
    done: (result) => `Load balancer ${result.loadbalancer.name} created with ${chosen.length} members.`,
    work: (data) => {
      chosen = picker.value();
      if (chosen.length === 0) throw new Error("Choose at least one member address.");
      const map = Object.fromEntries(chosen.flatMap((m, i) => [[`vmidipmap[${i}].vmid`, m.vm.id],
        [`vmidipmap[${i}].vmip`, m.address]]));
      return api.run("createLoadBalancerRuleWithMembers", {
        publicipid: ip.id, name: data.get("name").trim(), algorithm: data.get("algorithm"),
        publicport: data.get("publicport"), privateport: data.get("privateport"),
        networkid: ip.vpcid ? chosen[0].nic.networkid : undefined, ...map,
      });
    },
  }));
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
    ["Action", ({ rule }) => confirmedButton({
      text: "Delete", label: `Delete load balancer ${rule.name}`,
      ask: [`Delete load balancer ${rule.name}?`, "Its members stop receiving its traffic.", "Delete"],
      progressText: "Deleting…", work: () => api.run("deleteLoadBalancerRule", { id: rule.id }), refresh,
      done: `Load balancer ${rule.name} deleted.` })],
  ], withMembers, "No load balancer rule yet.");
  return [shown, pairs.length ? createForm(ip, pairs, refresh) : h("p", { text: "No instance has a NIC here yet." })];
}
