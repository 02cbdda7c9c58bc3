// Security groups: name, description, account, members and rule counts.

import * as api from "../api.js";
import { clone, link, slot, table } from "../dom.js";

export async function render(view) {
  const page = clone("t-list-page");
  slot(page, "title").textContent = "Security groups";
  const found = await api.list("listSecurityGroups", "securitygroup", { listall: true });
  const rows = [...found].sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  slot(page, "summary").textContent = `${rows.length} security group${rows.length === 1 ? "" : "s"}`;
  slot(page, "list").append(table("Security groups", [
    ["Name", (g) => link(`/security-groups/${g.id}`, g.name)],
    ["Description", (g) => g.description ?? ""],
    ["Account", (g) => g.account],
    ["Members", (g) => String(g.virtualmachinecount ?? 0)],
    ["Rules", (g) => `${(g.ingressrule ?? []).length} in, ${(g.egressrule ?? []).length} out`],
  ], rows, "No security groups."));
  view.append(page);
  return "Security groups";
}
