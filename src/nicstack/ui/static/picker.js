// Choosing a rule's target: an instance, then an address of *its NIC in the public IP's network*
// (a VPC: in the chosen tier), primary first, marked and selected. CloudStack's own picker offers
// the first NIC's addresses whatever the network (its issues #3334 and #1785); this one never does.

import * as api from "./api.js";
import { byAddress, h } from "./dom.js";

// The (VM, NIC) pairs that can be a target of a rule on `ip`.
export async function candidates(ip) {
  const vms = await api.list("listVirtualMachines", "virtualmachine", { listall: true });
  const found = [];
  for (const vm of vms) {
    if (!["Running", "Stopped"].includes(vm.state)) continue;
    for (const nic of vm.nic ?? []) {
      const inVpc = ip.vpcid && nic.vpcid === ip.vpcid && (!ip.associatednetworkid || nic.networkid === ip.associatednetworkid);
      if (inVpc || (!ip.vpcid && nic.networkid === ip.associatednetworkid)) found.push({ vm, nic });
    }
  }
  return found.sort((a, b) => a.vm.name.localeCompare(b.vm.name, "en", { numeric: true }));
}

// A NIC's IPv4 addresses: the primary first, then its secondaries in numeric order.
export function addressesOf(nic) {
  const secondaries = (nic.secondaryip ?? []).filter((s) => !s.ipaddress.includes(":")).sort(byAddress((s) => s.ipaddress));
  return [
    ...(nic.ipaddress ? [{ address: nic.ipaddress, primary: true }] : []),
    ...secondaries.map((s) => ({ address: s.ipaddress, primary: false })),
  ];
}

function label(address) {
  return `${address.address} (${address.primary ? "primary" : "secondary"})`;
}

function pairName(pair, vpc) {
  return vpc ? `${pair.vm.name} (tier ${pair.nic.networkname})` : pair.vm.name;
}

// One target: an instance select, then an address select. `value()` -> { vm, nic, address } or null.
export function addressPicker(pairs, vpc, names = { vm: "Instance", address: "Guest address" }) {
  const vmSelect = h("select", { name: "virtualmachineid", required: true },
    pairs.map((pair, i) => h("option", { value: String(i), text: pairName(pair, vpc) })));
  const addressSelect = h("select", { name: "vmguestip", required: true });
  function fill() {
    const pair = pairs[Number(vmSelect.value)];
    addressSelect.replaceChildren(...(pair ? addressesOf(pair.nic) : []).map((a) => h("option", {
      value: a.address, text: label(a), selected: a.primary,
    })));
  }
  vmSelect.addEventListener("change", fill);
  fill();
  const element = h("div", { class: "picker" },
    h("label", {}, names.vm, " ", vmSelect), h("label", {}, names.address, " ", addressSelect));
  return {
    element,
    value() {
      const pair = pairs[Number(vmSelect.value)];
      return pair ? { vm: pair.vm, nic: pair.nic, address: addressSelect.value } : null;
    },
  };
}

// Load-balancer members: per instance, a group of checkboxes, one per address. `value()` -> [{ vm, address }].
export function memberPicker(pairs, vpc) {
  const boxes = [];
  const element = h("div", { class: "members" }, pairs.map((pair) => h("fieldset", {},
    h("legend", { text: pairName(pair, vpc) }),
    addressesOf(pair.nic).map((a) => {
      const box = h("input", { type: "checkbox", name: "member", value: a.address });
      boxes.push([box, pair]);
      return h("label", { class: "check" }, box, ` ${label(a)}`);
    }))));
  return {
    element,
    value() {
      return boxes.filter(([box]) => box.checked).map(([box, pair]) => ({ vm: pair.vm, nic: pair.nic, address: box.value }));
    },
  };
}
