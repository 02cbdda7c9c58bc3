"""The API's reference, docs/api.md, generated from the command table: every command nicstack
answers, its parameters, who may call it, and where it differs from Apache CloudStack.

    python -m nicstack.api.docs > docs/api.md

`tests/unit/test_api_docs.py` fails when the file is not what this prints, so the reference
follows every command added or changed.
"""

from __future__ import annotations

import sys
from collections import defaultdict

from nicstack.api import commands  # noqa: F401 - registers every command
from nicstack.api.registry import COMMANDS, Command
from nicstack.domain.kinds import Role

SECTIONS = {
    "nics": "Secondary IPs on NICs (the feature)", "vms": "Virtual machines", "networks": "Networks",
    "vpcs": "VPCs", "public_ips": "Public IP addresses and ranges", "nat": "Static NAT and port forwarding",
    "load_balancers": "Load balancing", "firewall": "Firewall rules", "security_groups": "Security groups",
    "free_ips": "Free addresses", "routers": "Virtual routers", "hosts": "Hosts and their data plane",
    "infrastructure": "Zones, pods and hosts", "identity": "Domains, accounts and users",
    "offerings": "Offerings and templates", "settings": "Configuration", "jobs": "Asynchronous jobs",
    "events": "Events", "meta": "Discovery", "session": "Web sessions", "agents": "Data-plane agents",
    "address_usage": "Address usage and limits (for the web UI)",
}
ROLES = {Role.ROOT_ADMIN: "root admin", Role.DOMAIN_ADMIN: "domain admin", Role.USER: "user",
         Role.AGENT: "the target's agent"}

# Where a command answers differently from Apache CloudStack (the wire contract's facts stay).
DIFFERENCES = {
    "addIpToNic": "The default limit per NIC is 256 (`vm.network.nic.max.secondary.ipaddresses`; CloudStack's is "
                  "10). Refusals name the address and the reason (in use: 536; outside the network, the gateway, "
                  "the limit: 431) where CloudStack says \"Failed to assign secondary IP to NIC\".",
    "removeIpFromNic": "An address still targeted by static NAT, port forwarding or a load balancer rule is refused "
                       "with 536 naming the rule, where CloudStack says \"Removing guest IP from NIC failed\".",
    "updateVmNicIp": "A primary address that rules target is not moved (536, naming the rule).",
    "getRouterConfig": "nicstack only: the virtual router's rendered iptables-restore, haproxy.cfg and addresses "
                       "documents, their generation and what its agent applied; a long poll with `wait`.",
    "getHostConfig": "nicstack only: a host's security-group documents (ipset, iptables, ip6tables, ebtables, "
                     "vifs), whole or as the changes since a generation, and what its agent applied; a long poll "
                     "with `wait`.",
    "createAgent": "nicstack only: credentials of the data-plane agent of one router or host.",
    "deleteAgent": "nicstack only: revokes an agent's credentials.",
    "reportAppliedConfig": "nicstack only: an agent reports the generation and digest it applied, or its error.",
    "listRouters": "A router is its network's (or VPC's) data-plane target, not a VM: its id is derived from it, and "
                   "it carries nicstack's published and applied generations, last error and heartbeat.",
    "listHosts": "Each host also carries its agent's published and applied generations, last error and heartbeat.",
    "listNics": "Each secondary IP also says whether every data-plane agent concerned has applied it "
                "(`applied`).",
    "listFreeIpAddresses": "nicstack only: free ranges and counts of a network, without the holders.",
    "restartNetwork": "cleanup=true and false do the same: the router's documents are re-derived from the stored "
                      "state (identical unless the state changed).",
    "restartVPC": "As restartNetwork, for the VPC's router.",
    "addHost": "The host is recorded, not contacted: nicstack manages addresses, not hypervisors.",
    "deployVirtualMachine": "No VM runs anywhere: the VM, its NICs and their addresses are recorded. A VM of a "
                            "security-group network cannot be placed on a VMware host (432).",
    "migrateVirtualMachine": "Moves the VM's addresses, secondary ones included, to the new host's documents.",
    "createLoadBalancerRule": "`cidrlist` is enforced by the router's documents.",
    "listApis": "Lists the commands on this page, for generic clients (cloudmonkey).",
    "listNetworkAddressUsage": "nicstack only (the web UI's network page): a network's addresses by kind as "
                               "runs and cells, counts as decimal strings; a shared network shows taken or free, "
                               "never who holds what.",
    "getSecondaryIpLimit": "nicstack only: the per-NIC limit, readable by the NIC's owner (CloudStack shows it to "
                           "root admins only, through listConfigurations).",
    "createLoadBalancerRuleWithMembers": "nicstack only: createLoadBalancerRule and assignToLoadBalancerRule in "
                                         "one transaction, so that no rule without members is left behind.",
}
GENERAL = """\
One endpoint, `/client/api`, GET or POST (form body), as Apache CloudStack: every request carries
`command` and `response=json` (answers are JSON; XML is not offered) and is signed with the caller's
API key and secret key (HMAC-SHA1 of the sorted, lowercased parameters; `signatureVersion=3` with
`expires`, as `cs` and cloudstack-go send it, or without either, as libcloud does). Answers use
CloudStack's envelopes (`<command>response`), error codes (401, 431, 432, 530-537) and texts, so the
clients that parse them work unchanged; every refusal also names the value and the reason. Lists
take `page` and `pagesize` and answer `count`, the total. Parameters a command does not know are
ignored, as CloudStack does. `login` (username, password, optional domain) opens a web session
(`sessionkey`); `logout` ends it. A login or session call that the browser marks as coming from
another site (`Sec-Fetch-Site`, `Origin`) is refused (401). After `incorrect.login.attempts.allowed`
(5) wrong passwords in a row the user is disabled, as in CloudStack (`enableUser` enables it again),
and past `login.throttle.burst` failed logins one address is answered 429 with `Retry-After`. Values
are read strictly: UTF-8 only, uuids as 8-4-4-4-12 hex digits, integers in plain decimal, no control
or bidirectional formatting characters in any text (431 otherwise; README, "Security").
"""


def _roles(command: Command) -> str:
    return ", ".join(ROLES[r] for r in (Role.ROOT_ADMIN, Role.DOMAIN_ADMIN, Role.USER) if r in command.roles)


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _command(command: Command) -> list[str]:
    kind = "asynchronous (answers a job id)" if command.is_async else "synchronous"
    lines = [f"### {command.name}", "", _one_line(command.description), "",
             f"- {kind}; answers under `{command.response_key}`; callers: {_roles(command)}"]
    if command.name in DIFFERENCES:
        lines.append(f"- differs from CloudStack: {DIFFERENCES[command.name]}")
    lines.append("")
    if command.params:
        lines += ["| parameter | type | required | description |", "|---|---|---|---|"]
        lines += [f"| `{p.name}` | {p.type} | {'yes' if p.required else ''} | {_one_line(p.description)} |"
                  for p in command.params]
        lines.append("")
    return lines


def render() -> str:
    """The whole reference, in a stable order: sections as listed, commands by name."""
    grouped: dict[str, list[Command]] = defaultdict(list)
    for command in COMMANDS.values():
        grouped[command.handler.__module__.rsplit(".", 1)[-1]].append(command)
    lines = ["# The nicstack API", "", "<!-- Generated by `python -m nicstack.api.docs > docs/api.md`; "
             "do not edit by hand. -->", "", GENERAL.rstrip(), "",
             f"{len(COMMANDS)} commands, by subject:", ""]
    order = [s for s in SECTIONS if s in grouped] + sorted(set(grouped) - set(SECTIONS))
    lines += [f"- {SECTIONS.get(s, s)}: " + ", ".join(f"`{c.name}`" for c in sorted(grouped[s], key=lambda c: c.name))
              for s in order]
    for section in order:
        lines += ["", f"## {SECTIONS.get(section, section)}", ""]
        for command in sorted(grouped[section], key=lambda c: c.name):
            lines += _command(command)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
