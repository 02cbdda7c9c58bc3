// A security group: its ingress and egress rules and its member instances.

import * as api from "../api.js";
import { clone, facts, h, link, slot, table } from "../dom.js";

function rules(label, items) {
  return table(label, [
    ["Protocol", (r) => r.protocol],
    ["Ports", (r) => (r.protocol === "icmp" ? `type ${r.icmptype ?? "any"}, code ${r.icmpcode ?? "any"}`
      : r.startport === undefined ? "all" : r.startport === r.endport ? String(r.startport) : `${r.startport}-${r.endport}`)],
    ["From / to", (r) => r.cidr ?? (r.securitygroupname ? `group ${r.securitygroupname} (${r.account})` : "")],
  ], items, "No rules.");
}

export async function render(view, { params }) {
  const found = await api.call("listSecurityGroups", { id: params.group, listall: true });
  const group = (found.securitygroup ?? [])[0];
  if (!group) throw new api.ApiError(431, "entity does not exist", "listSecurityGroups");
  const page = clone("t-security-group");
  slot(page, "title").textContent = `Security group ${group.name}`;
  facts(slot(page, "facts"), [["Description", group.description], ["Account", group.account], ["Domain", group.domain]]);
  slot(page, "ingress").append(rules("Ingress rules", group.ingressrule ?? []));
  slot(page, "egress").append(rules("Egress rules", group.egressrule ?? []));
  const ids = group.virtualmachineids ?? [];
  const vms = ids.length ? await api.list("listVirtualMachines", "virtualmachine", { listall: true }) : [];
  const members = vms.filter((vm) => ids.includes(vm.id));
  slot(page, "members").append(members.length
    ? h("ul", {}, members.map((vm) => h("li", {}, link(`/instances/${vm.id}`, vm.name))))
    : h("p", { class: "empty", text: "No member instances." }));
  view.append(page);
  return `Security group ${group.name}`;
}
