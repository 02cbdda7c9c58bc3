// Static NAT of a public IP: to an address of an instance's NIC in the IP's network (or VPC tier).

import * as api from "../api.js";
import { announce, busy, confirm, errorBox, h, link } from "../dom.js";
import { addressPicker, addressesOf, candidates } from "../picker.js";

async function roleOf(ip) {
  const found = await api.call("listVirtualMachines", { id: ip.virtualmachineid, listall: true });
  const vm = (found.virtualmachine ?? [])[0];
  const nic = (vm?.nic ?? []).find((n) => addressesOf(n).some((a) => a.address === ip.vmipaddress));
  const address = nic ? addressesOf(nic).find((a) => a.address === ip.vmipaddress) : null;
  return address ? (address.primary ? "primary" : "secondary") : "guest";
}

function enabled(ip, role, refresh) {
  const button = h("button", { type: "button", class: "danger", text: "Disable static NAT" });
  const progress = h("span", { class: "progress", hidden: true });
  const errors = h("div");
  button.addEventListener("click", async () => {
    if (!await confirm(`Disable static NAT on ${ip.ipaddress}?`, `${ip.vmipaddress} stops receiving its traffic.`,
      "Disable")) return;
    errors.replaceChildren();
    try {
      await busy(button, progress, "Disabling static NAT…", () => api.run("disableStaticNat", { ipaddressid: ip.id }));
      await refresh();
      announce(`Static NAT on ${ip.ipaddress} disabled.`);
    } catch (error) {
      errors.replaceChildren(errorBox(error));
    }
  });
  return [
    h("p", { class: "mapping" }, `${ip.ipaddress} → `, link(`/instances/${ip.virtualmachineid}/nics`, ip.virtualmachinename),
      " ", h("code", { text: ip.vmipaddress }), h("span", { class: `badge ${role === "primary" ? "primary" : ""}`, text: role })),
    h("div", { class: "actions" }, button, progress), errors,
  ];
}

export async function panel(ip, { refresh }) {
  if (ip.issourcenat) {
    return [h("p", { text: "This is its network's source NAT address: static NAT needs another public IP." })];
  }
  if (ip.isstaticnat) return enabled(ip, await roleOf(ip), refresh);
  const pairs = await candidates(ip);
  if (pairs.length === 0) return [h("p", { text: "No instance has a NIC in this IP's network yet." })];
  const picker = addressPicker(pairs, Boolean(ip.vpcid));
  const button = h("button", { type: "submit", class: "primary", text: "Enable static NAT" });
  const progress = h("span", { class: "progress", hidden: true });
  const errors = h("div");
  const form = h("form", { class: "stack", "aria-label": "Enable static NAT" }, picker.element, errors,
    h("div", { class: "actions" }, button, progress));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    errors.replaceChildren();
    const target = picker.value();
    try {
      await busy(button, progress, "Enabling static NAT…", () => api.call("enableStaticNat", {
        ipaddressid: ip.id, virtualmachineid: target.vm.id, vmguestip: target.address,
        networkid: ip.vpcid ? target.nic.networkid : undefined,
      }));
      await refresh();
      announce(`Static NAT from ${ip.ipaddress} to ${target.address} enabled.`);
    } catch (error) {
      errors.replaceChildren(errorBox(error));
    }
  });
  return [h("p", { text: "All traffic to this public IP goes to the chosen guest address, and that address's "
    + "outgoing traffic leaves from it." }), form];
}
