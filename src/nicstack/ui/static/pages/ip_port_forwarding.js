// Port forwarding rules of a public IP, and adding one to any address of an instance's NIC there.

import { confirmedButton, submitting } from "../actions.js";
import * as api from "../api.js";
import { h, link, table } from "../dom.js";
import { addressPicker, candidates } from "../picker.js";

function ports(start, end) {
  return start === end ? start : `${start}-${end}`;
}

export function portField(name, label, required = true) {
  return h("label", {}, label, " ", h("input", { name, type: "number", min: 1, max: 65535, required, inputmode: "numeric" }));
}

function addForm(ip, pairs, refresh) {
  const picker = addressPicker(pairs, Boolean(ip.vpcid));
  const protocol = h("select", { name: "protocol" }, h("option", { text: "tcp" }), h("option", { text: "udp" }));
  const openFirewall = h("input", { type: "checkbox", name: "openfirewall", checked: !ip.vpcid });
  const form = h("form", { class: "stack", "aria-labelledby": "pf-add" },
    h("h3", { id: "pf-add", text: "Add a rule" }),
    h("div", { class: "row" }, portField("publicport", "Public port"), portField("publicendport", "to (optional)", false),
      portField("privateport", "Private port"), portField("privateendport", "to (optional)", false),
      h("label", {}, "Protocol ", protocol)),
    picker.element,
    ip.vpcid ? null : h("label", { class: "check" }, openFirewall, " Also open the firewall for the public ports"));
  form.append(...submitting(form, {
    text: "Add rule", progressText: "Adding the rule…", refresh,
    done: (result) => `Port forwarding to ${result.portforwardingrule.vmguestip} added.`,
    work: (data) => {
      const target = picker.value();
      return api.run("createPortForwardingRule", {
        ipaddressid: ip.id, protocol: data.get("protocol"), publicport: data.get("publicport"),
        publicendport: data.get("publicendport"), privateport: data.get("privateport"),
        privateendport: data.get("privateendport"), virtualmachineid: target.vm.id, vmguestip: target.address,
        networkid: ip.vpcid ? target.nic.networkid : undefined, openfirewall: ip.vpcid ? undefined : openFirewall.checked,
      });
    },
  }));
  return form;
}

export async function panel(ip, { refresh }) {
  if (ip.isstaticnat) return [h("p", { text: "This IP has static NAT: it forwards every port already." })];
  const [rules, pairs] = await Promise.all([
    api.list("listPortForwardingRules", "portforwardingrule", { ipaddressid: ip.id, listall: true }),
    candidates(ip),
  ]);
  const shown = table(`Port forwarding rules of ${ip.ipaddress}`, [
    ["Public ports", (r) => ports(r.publicport, r.publicendport)],
    ["Private ports", (r) => ports(r.privateport, r.privateendport)],
    ["Protocol", (r) => r.protocol],
    ["Instance", (r) => link(`/instances/${r.virtualmachineid}/nics`, r.virtualmachinename)],
    ["Guest address", (r) => h("code", { text: r.vmguestip })],
    ["Action", (r) => confirmedButton({
      text: "Delete", label: `Delete port forwarding ${r.publicport} to ${r.vmguestip}`,
      ask: ["Delete this port forwarding rule?",
        `${r.ipaddress}:${ports(r.publicport, r.publicendport)} stops forwarding to ${r.vmguestip}.`, "Delete"],
      progressText: "Deleting…", work: () => api.run("deletePortForwardingRule", { id: r.id }), refresh,
      done: "Port forwarding rule deleted." })],
  ], rules, "No port forwarding rule yet.");
  return [shown, pairs.length ? addForm(ip, pairs, refresh) : h("p", { text: "No instance has a NIC here yet." })];
}
