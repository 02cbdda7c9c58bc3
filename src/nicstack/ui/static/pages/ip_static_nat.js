// Static NAT of a public IP: to an address of an instance's NIC in the IP's network (or VPC tier).

import { confirmedButton, submitting } from "../actions.js";
import * as api from "../api.js";
import { h, link } from "../dom.js";
import { addressPicker, addressesOf, candidates } from "../picker.js";

async function roleOf(ip) {
  const found = await api.call("listVirtualMachines", { id: ip.virtualmachineid, listall: true });
  const vm = (found.virtualmachine ?? [])[0];
  const nic = (vm?.nic ?? []).find((n) => addressesOf(n).some((a) => a.address === ip.vmipaddress));
  const address = nic ? addressesOf(nic).find((a) => a.address === ip.vmipaddress) : null;
  return address ? (address.primary ? "primary" : "secondary") : "guest";
}

function enabled(ip, role, refresh) {
  return [
    h("p", { class: "mapping" }, `${ip.ipaddress} → `, link(`/instances/${ip.virtualmachineid}/nics`, ip.virtualmachinename),
      " ", h("code", { text: ip.vmipaddress }), h("span", { class: `badge ${role === "primary" ? "primary" : ""}`, text: role })),
    h("div", { class: "actions" }, confirmedButton({
      text: "Disable static NAT", small: false,
      ask: [`Disable static NAT on ${ip.ipaddress}?`, `${ip.vmipaddress} stops receiving its traffic.`, "Disable"],
      progressText: "Disabling static NAT…", work: () => api.run("disableStaticNat", { ipaddressid: ip.id }), refresh,
      done: `Static NAT on ${ip.ipaddress} disabled.` })),
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
  const form = h("form", { class: "stack", "aria-label": "Enable static NAT" }, picker.element);
  let target = null;
  form.append(...submitting(form, {
    text: "Enable static NAT", progressText: "Enabling static NAT…", refresh,
    done: () => `Static NAT from ${ip.ipaddress} to ${target.address} enabled.`,
    work: () => {
      target = picker.value();
      return api.call("enableStaticNat", { ipaddressid: ip.id, virtualmachineid: target.vm.id,
        vmguestip: target.address, networkid: ip.vpcid ? target.nic.networkid : undefined });
    },
  }));
  return [h("p", { text: "All traffic to this public IP goes to the chosen guest address, and that address's "
    + "outgoing traffic leaves from it." }), form];
}
