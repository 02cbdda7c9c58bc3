// Port forwarding rules of a public IP, and adding one to any address of an instance's NIC there.

import * as api from "../api.js";
import { announce, busy, confirm, errorBox, h, link, table } from "../dom.js";
import { addressPicker, candidates } from "../picker.js";

function ports(start, end) {
  return start === end ? start : `${start}-${end}`;
}

function deleteButton(rule, refresh) {
  const button = h("button", { type: "button", class: "danger small", text: "Delete",
    "aria-label": `Delete port forwarding ${rule.publicport} to ${rule.vmguestip}` });
  button.addEventListener("click", async () => {
    if (!await confirm("Delete this port forwarding rule?", `${rule.ipaddress}:${ports(rule.publicport,
      rule.publicendport)} stops forwarding to ${rule.vmguestip}.`, "Delete")) return;
    const progress = h("span", { class: "progress" });
    button.after(progress);
    try {
      await busy(button, progress, "Deleting…", () => api.run("deletePortForwardingRule", { id: rule.id }));
      await refresh();
      announce("Port forwarding rule deleted.");
    } catch (error) {
      progress.replaceWith(errorBox(error));
    }
  });
  return button;
}

export function portField(name, label, required = true) {
  return h("label", {}, label, " ", h("input", { name, type: "number", min: 1, max: 65535, required, inputmode: "numeric" }));
}

function addForm(ip, pairs, refresh) {
  const picker = addressPicker(pairs, Boolean(ip.vpcid));
  const protocol = h("select", { name: "protocol" }, h("option", { text: "tcp" }), h("option", { text: "udp" }));
  const openFirewall = h("input", { type: "checkbox", name: "openfirewall", checked: !ip.vpcid });
  const button = h("button", { type: "submit", class: "primary", text: "Add rule" });
  const progress = h("span", { class: "progress", hidden: true });
  const errors = h("div");
  const form = h("form", { class: "stack", "aria-labelledby": "pf-add" },
    h("h3", { id: "pf-add", text: "Add a rule" }),
    h("div", { class: "row" }, portField("publicport", "Public port"), portField("publicendport", "to (optional)", false),
      portField("privateport", "Private port"), portField("privateendport", "to (optional)", false),
      h("label", {}, "Protocol ", protocol)),
    picker.element,
    ip.vpcid ? null : h("label", { class: "check" }, openFirewall, " Also open the firewall for the public ports"),
    errors, h("div", { class: "actions" }, button, progress));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    const data = new FormData(form);
    const target = picker.value();
    try {
      await busy(button, progress, "Adding the rule…", () => api.run("createPortForwardingRule", {
        ipaddressid: ip.id, protocol: protocol.value, publicport: data.get("publicport"),
        publicendport: data.get("publicendport"), privateport: data.get("privateport"),
        privateendport: data.get("privateendport"), virtualmachineid: target.vm.id, vmguestip: target.address,
        networkid: ip.vpcid ? target.nic.networkid : undefined, openfirewall: ip.vpcid ? undefined : openFirewall.checked,
      }));
      await refresh();
      announce(`Port forwarding to ${target.address} added.`);
    } catch (error) {
      errors.replaceChildren(errorBox(error));
    }
  });
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
    ["Action", (r) => deleteButton(r, refresh)],
  ], rules, "No port forwarding rule yet.");
  return [shown, pairs.length ? addForm(ip, pairs, refresh) : h("p", { text: "No instance has a NIC here yet." })];
}
