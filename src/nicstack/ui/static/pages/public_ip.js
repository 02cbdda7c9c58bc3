// A public IP: its facts, Release, and tabs for static NAT, port forwarding, load balancing and firewall.

import * as api from "../api.js";
import { announce, busy, clone, confirm, errorBox, facts, h, link, slot, when } from "../dom.js";
import * as firewall from "./ip_firewall.js";
import * as loadBalancing from "./ip_load_balancing.js";
import * as portForwarding from "./ip_port_forwarding.js";
import * as staticNat from "./ip_static_nat.js";

const TABS = [
  ["static-nat", "Static NAT", staticNat],
  ["port-forwarding", "Port forwarding", portForwarding],
  ["load-balancing", "Load balancing", loadBalancing],
  ["firewall", "Firewall", firewall],
];

function releaseButton(ip, navigate) {
  if (ip.issourcenat) return h("p", { class: "hint", text: "The source NAT address of its network: it is released with the network." });
  const button = h("button", { type: "button", class: "danger", text: "Release this public IP" });
  const progress = h("span", { class: "progress", hidden: true });
  const errors = h("div");
  button.addEventListener("click", async () => {
    const sure = await confirm(`Release ${ip.ipaddress}?`, "Its static NAT, port forwarding, load balancing and "
      + "firewall rules are removed with it.", "Release");
    if (!sure) return;
    errors.replaceChildren();
    try {
      await busy(button, progress, `Releasing ${ip.ipaddress}…`, () => api.run("disassociateIpAddress", { id: ip.id }));
      await navigate("/public-ips");
      announce(`Released ${ip.ipaddress}.`);
    } catch (error) {
      errors.replaceChildren(errorBox(error));
    }
  });
  return h("div", { class: "actions" }, button, progress, errors);
}

export async function render(view, route) {
  const { params, navigate } = route;
  const found = await api.call("listPublicIpAddresses", { id: params.ip, listall: true });
  const ip = (found.publicipaddress ?? [])[0];
  const tab = TABS.find(([path]) => path === (params.tab ?? "static-nat"));
  if (!ip || !tab) throw new api.ApiError(431, "entity does not exist", "listPublicIpAddresses");
  const page = clone("t-public-ip");
  slot(page, "title").textContent = `Public IP ${ip.ipaddress}`;
  facts(slot(page, "facts"), [
    ["Serves", ip.vpcid ? `VPC ${ip.vpcname}` : ip.associatednetworkid
      ? link(`/networks/${ip.associatednetworkid}`, ip.associatednetworkname) : null],
    ["Tier", ip.vpcid && ip.associatednetworkid ? link(`/networks/${ip.associatednetworkid}`, ip.associatednetworkname) : null],
    ["Zone", ip.zonename], ["State", ip.state], ["Source NAT", ip.issourcenat ? "Yes" : "No"],
    ["Static NAT", ip.isstaticnat ? `To ${ip.virtualmachinename} (${ip.vmipaddress})` : "No"],
    ["Account", ip.account], ["Acquired", when(ip.allocated)],
  ]);
  slot(page, "release").append(releaseButton(ip, navigate));
  slot(page, "tabs").append(...TABS.map(([path, label]) => {
    const anchor = link(`/public-ips/${ip.id}/${path}`, label);
    if (path === tab[0]) anchor.setAttribute("aria-current", "page");
    return anchor;
  }));
  slot(page, "panel").append(h("h2", { text: tab[1] }), ...await tab[2].panel(ip, route));
  view.append(page);
  return `${ip.ipaddress} · ${tab[1]}`;
}
