// A public IP: its facts, Release, and tabs for static NAT, port forwarding, load balancing and firewall.

import { confirmedButton } from "../actions.js";
import * as api from "../api.js";
import { clone, facts, h, link, slot, when } from "../dom.js";
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
  return h("div", { class: "actions" }, confirmedButton({
    text: "Release this public IP", small: false,
    ask: [`Release ${ip.ipaddress}?`, "Its static NAT, port forwarding, load balancing and firewall rules are removed "
      + "with it.", "Release"],
    progressText: `Releasing ${ip.ipaddress}…`, work: () => api.run("disassociateIpAddress", { id: ip.id }),
    refresh: () => navigate("/public-ips"), done: `Released ${ip.ipaddress}.` }));
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
