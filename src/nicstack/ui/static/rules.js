// Which rules target which guest address of a VM: static NAT, port forwarding and load balancer
// members, each with a link to the public IP page that holds the rule.

import * as api from "./api.js";

function add(found, address, rule) {
  if (!found.has(address)) found.set(address, []);
  found.get(address).push(rule);
}

// Map of guest address -> [{ kind, label, href }] for the VM's NIC in the network `networkId`
// (networks without NAT or load balancing simply have none of these rules).
export async function rulesByAddress(vm, networkId) {
  const found = new Map();
  const [nats, forwards, balancers] = await Promise.all([
    api.list("listPublicIpAddresses", "publicipaddress", { isstaticnat: true, listall: true }),
    api.list("listPortForwardingRules", "portforwardingrule", { networkid: networkId, listall: true }),
    api.list("listLoadBalancerRules", "loadbalancerrule", { virtualmachineid: vm.id, networkid: networkId, listall: true }),
  ]);
  for (const ip of nats) {
    if (ip.virtualmachineid === vm.id && ip.vmipaddress) {
      add(found, ip.vmipaddress, { kind: "static-nat", label: `Static NAT from ${ip.ipaddress}`,
        href: `/public-ips/${ip.id}/static-nat` });
    }
  }
  for (const rule of forwards) {
    if (rule.virtualmachineid !== vm.id) continue;
    const ports = rule.publicport === rule.publicendport ? rule.publicport : `${rule.publicport}-${rule.publicendport}`;
    add(found, rule.vmguestip, { kind: "port-forwarding",
      label: `Port forwarding ${rule.ipaddress}:${ports}/${rule.protocol} → ${rule.privateport}`,
      href: `/public-ips/${rule.ipaddressid}/port-forwarding` });
  }
  const members = await Promise.all(balancers.map((rule) => api.list("listLoadBalancerRuleInstances", "lbrulevmidip",
    { id: rule.id, lbvmips: true }).then((items) => [rule, items])));
  for (const [rule, items] of members) {
    for (const item of items) {
      if (item.loadbalancerruleinstance.id !== vm.id) continue;
      for (const address of item.lbvmipaddresses ?? []) {
        add(found, address, { kind: "load-balancing",
          label: `Load balancer ${rule.name} (${rule.publicip}:${rule.publicport})`,
          href: `/public-ips/${rule.publicipid}/load-balancing` });
      }
    }
  }
  return found;
}
