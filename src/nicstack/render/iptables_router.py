"""Render one virtual router's NAT and ingress filtering as one iptables-restore document of its own chains.

The router may share its tables with other software, so the document holds only chains of ours
(`render.netfilter`: prefix `ns-`) and one jump rule per built-in chain into them, first in it; the
agent loads it per table with `--noflush`. Every rule carries `-m comment --comment "<uuid>"`: the
rule's uuid, the public IP's for static NAT / source NAT / a firewall chain, the tier's for hairpin NAT.

`*nat`
  `ns-PREROUTING` and `ns-OUTPUT`: DNAT public ip[:ports] -> guest address[:ports] for static NAT and
  port forwarding. No input interface is matched, so guests reach the public address too (hairpin),
  and OUTPUT lets the router itself reach them.
  `ns-POSTROUTING`: hairpin SNAT per tier (guest -> public ip -> guest in the same tier must come back
  through the router), SNAT of each static-NAT guest address to its public address, then source NAT
  of every tier to the source-NAT address.
`*filter`
  `ns-INPUT`: established traffic on the public interface, the firewall chain of each public IP and
  the ICMP it lets through, the load balancer ports haproxy serves, then DROP of anything else
  arriving on the public interface (other interfaces keep working). A load balancer rule with
  source CIDRs (CloudStack's cidrlist) accepts its port from each CIDR on any interface and then
  DROPs that port for everyone else, so a guest hairpinning to the public address is held to the
  same list. This is done here rather than with an haproxy `src` ACL so that refused clients are
  dropped before haproxy sees them, like every other source restriction of the router.
  `ns-FORWARD`: established traffic from the public side, the firewall chains, one ACCEPT per NAT/PF
  target, everything arriving on a guest interface (egress and, in a VPC, the default allow ACL),
  then DROP of whatever else arrives on the public interface or leaves on a guest one: the router's
  own traffic behaves as under a DROP policy, other software's forwarding is left alone.
  `ns-acl-in-<if>` / `ns-acl-out-<if>` (VPC tiers with an ACL list): entered from the top of ns-FORWARD for
  what enters / leaves the tier, after replies are let through; the list's items in number order.
  `ns-egress` (isolated only, when it has egress rules or denies by default): guest traffic leaving on the
  public interface, before the guest interface's ACCEPT. Under the default egress policy allow each egress
  rule DROPs what it matches and the rest returns (and is accepted); under deny each rule RETURNs what it
  matches and the chain ends in DROP. Egress is not NATed on its destination, so plain --dport matches.
  `ns-fw-<public ip>` (isolated only): one RETURN per firewall rule and CIDR, then DROP. The chains
  are entered on conntrack's *original* destination and match the *original* (public) ports,
  because in FORWARD the packet has already been rewritten to the guest address. A VPC has no
  firewall chains: the target ACCEPTs are its default allow ACL for exactly the ports the rules open.
Port ranges map one to one with `G:first-last/public_first` (kernel >= 5.9, iptables >= 1.8.6);
without the base port the kernel would pick any port of the range.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from hashlib import sha256
from ipaddress import IPv4Address, IPv4Network
from uuid import UUID

from nicstack.domain.vocabulary import Direction, PortRange, Protocol
from nicstack.render.netfilter import PREFIX
from nicstack.render.router_state import (
    AclRule,
    EgressRule,
    FirewallRule,
    GuestTier,
    RouterKind,
    RouterState,
    TierAcl,
)

CHAIN_MAX = 28
FIREWALL_PREFIX = f"{PREFIX}fw-"
ACL_IN_PREFIX = f"{PREFIX}acl-in-"
ACL_OUT_PREFIX = f"{PREFIX}acl-out-"
EGRESS_CHAIN = f"{PREFIX}egress"
NAT_CHAINS = ("PREROUTING", "OUTPUT", "POSTROUTING")
FILTER_CHAINS = ("INPUT", "FORWARD")


def chain_name(prefix: str, key: str) -> str:
    """`prefix` + `key` with every other character than [A-Za-z0-9-] as '-', or, when that is longer than
    28 characters, `prefix` + the start of sha256(key): readable for IPv4 and always within the bound."""
    if len(prefix) > CHAIN_MAX - 8:
        raise ValueError(f"chain prefix {prefix!r} leaves too little room for a key")
    readable = prefix + re.sub(r"[^A-Za-z0-9-]", "-", key)
    if len(readable) <= CHAIN_MAX:
        return readable
    return prefix + sha256(key.encode()).hexdigest()[: CHAIN_MAX - len(prefix)]


def firewall_chain(public_ip: IPv4Address) -> str:
    return chain_name(FIREWALL_PREFIX, str(public_ip))


def own(builtin: str) -> str:
    """Our chain that the built-in chain `builtin` jumps to."""
    return PREFIX + builtin


def _head(builtins: tuple[str, ...], extra: list[str]) -> list[str]:
    """Declarations of our chains, then the jump into ours from each built-in chain."""
    declared = [f":{own(b)} - [0:0]" for b in builtins] + [f":{c} - [0:0]" for c in extra]
    return declared + [f"-A {b} -j {own(b)}" for b in builtins]


@dataclass(frozen=True, slots=True)
class _Forward:
    """One DNAT mapping, static NAT (no protocol, no ports) or port forwarding."""

    public_ip: IPv4Address
    guest: IPv4Address
    protocol: Protocol | None
    public_ports: PortRange | None
    private_ports: PortRange | None
    source_cidrs: tuple[IPv4Network, ...]
    comment: UUID

    @property
    def key(self) -> tuple[IPv4Address, bool, str, PortRange, UUID]:
        # A static NAT's whole-address line comes after the port rules (IP forwarding) of its address.
        whole = self.protocol is None
        return (self.public_ip, whole, self.protocol or "", self.public_ports or PortRange(1, 1), self.comment)


def render_router_iptables(state: RouterState) -> str:
    """The iptables-restore document of our chains for `state`: deterministic, whatever the order of its tuples."""
    forwards = sorted(_forwards(state), key=lambda f: f.key)
    lines = [
        f"# nicstack virtual router {state.kind} {state.uuid}: generated, do not edit",
        *_nat(state, forwards),
        *_filter(state, forwards),
    ]
    return "\n".join(lines) + "\n"


def _forwards(state: RouterState) -> Iterator[_Forward]:
    for ip in state.public_ips:
        if ip.static_nat is not None:
            yield _Forward(ip.address, ip.static_nat.address, None, None, None, (), ip.uuid)
    nat_guest = {ip.address: ip.static_nat.address for ip in state.public_ips if ip.static_nat is not None}
    for ipf in state.ip_forwards:
        yield _Forward(ipf.public_ip, nat_guest[ipf.public_ip], ipf.protocol, ipf.ports, None, (), ipf.uuid)
    for pf in state.port_forwards:
        yield _Forward(
            pf.public_ip, pf.target.address, pf.protocol, pf.public_ports, pf.private_ports,
            tuple(sorted(set(pf.source_cidrs))), pf.uuid,
        )


def _nat(state: RouterState, forwards: list[_Forward]) -> Iterator[str]:
    yield "*nat"
    yield from _head(NAT_CHAINS, [])
    for chain in (own("PREROUTING"), own("OUTPUT")):
        for f in forwards:
            match = _protocol(f.protocol) + _dport(f.protocol, f.public_ports)
            yield f"-A {chain} -d {f.public_ip}/32{match}{_comment(f.comment)} -j DNAT --to-destination {_to(f)}"
    post = own("POSTROUTING")
    tiers = sorted(state.tiers, key=lambda t: (t.cidr, t.uuid))
    for tier in (t for t in tiers if t.holds_gateway):
        yield (
            f"-A {post} -s {tier.cidr} -o {tier.interface}{_comment(tier.uuid)}"
            f" -j SNAT --to-source {tier.gateway}"
        )
    out = state.public_interface
    for ip in sorted(state.public_ips, key=lambda p: p.address):
        if ip.static_nat is not None:
            guest = ip.static_nat.address
            yield f"-A {post} -s {guest}/32 -o {out}{_comment(ip.uuid)} -j SNAT --to-source {ip.address}"
    source_nat = state.source_nat
    if source_nat is not None:
        for tier in tiers:
            yield (
                f"-A {post} -s {tier.cidr} -o {out}{_comment(source_nat.uuid)}"
                f" -j SNAT --to-source {source_nat.address}"
            )
    yield "COMMIT"


def _filter(state: RouterState, forwards: list[_Forward]) -> Iterator[str]:
    out = state.public_interface
    public_ips = sorted(state.public_ips, key=lambda p: p.address)
    firewalled = public_ips if state.kind is RouterKind.ISOLATED else []
    tiers = sorted(state.tiers, key=lambda t: (t.cidr, t.uuid))
    acls = _tier_acls(state, tiers)
    established = f" -i {out} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
    inbound, forward = own("INPUT"), own("FORWARD")
    # A shared network's router has no public interface: no rule may name one (the machine's eth2 is not ours).
    public_side = state.kind is not RouterKind.SHARED
    egress = state.kind is RouterKind.ISOLATED and (bool(state.egress_rules) or not state.egress_default_allow)
    yield "*filter"
    acl_chains = [c for tier, _ in acls for c in (acl_chain(ACL_IN_PREFIX, tier), acl_chain(ACL_OUT_PREFIX, tier))]
    egress_chain = [EGRESS_CHAIN] if egress else []
    yield from _head(FILTER_CHAINS, [firewall_chain(ip.address) for ip in firewalled] + acl_chains + egress_chain)

    if public_side:
        yield f"-A {inbound}" + established
    for ip in firewalled:
        yield f"-A {inbound} -i {out} -d {ip.address}/32{_comment(ip.uuid)} -j {firewall_chain(ip.address)}"
        # ICMP that the firewall let through (a rule opened it) is answered by the router itself.
        yield f"-A {inbound} -i {out} -d {ip.address}/32 -p icmp{_comment(ip.uuid)} -j ACCEPT"
    for lb in sorted(state.load_balancers, key=lambda r: (r.public_ip, r.public_port, r.uuid)):
        match = f"-d {lb.public_ip}/32 -p tcp -m tcp --dport {lb.public_port}{_comment(lb.uuid)}"
        if not lb.source_cidrs:
            yield f"-A {inbound} -i {out} {match} -j ACCEPT"
            continue
        for source in _sources(lb.source_cidrs):
            yield f"-A {inbound}{source} {match} -j ACCEPT"
        yield f"-A {inbound} {match} -j DROP"
    if public_side:
        yield f"-A {inbound} -i {out} -j DROP"
        yield f"-A {forward}" + established
    yield from _acl_jumps(forward, acls)
    for ip in firewalled:
        yield (
            f"-A {forward} -i {out} -m conntrack --ctstate DNAT --ctorigdst {ip.address}/32{_comment(ip.uuid)}"
            f" -j {firewall_chain(ip.address)}"
        )
    for f in forwards:
        for source in _sources(f.source_cidrs):
            yield (
                f"-A {forward} -i {out}{source} -d {f.guest}/32"
                f"{_protocol(f.protocol)}{_dport(f.protocol, f.private_ports)}"
                f" -m conntrack --ctstate DNAT --ctorigdst {f.public_ip}/32{_origport(f.public_ports, alone=False)}"
                f"{_comment(f.comment)} -j ACCEPT"
            )
    # A tier whose gateway is another router (a shared network's) sends nothing through this one.
    for tier in (t for t in tiers if t.holds_gateway):
        if egress:
            yield f"-A {forward} -i {tier.interface} -o {out}{_comment(tier.uuid)} -j {EGRESS_CHAIN}"
        yield f"-A {forward} -i {tier.interface}{_comment(tier.uuid)} -j ACCEPT"
    if public_side:
        yield f"-A {forward} -i {out} -j DROP"
    for tier in tiers:
        yield f"-A {forward} -o {tier.interface}{_comment(tier.uuid)} -j DROP"

    for ip in firewalled:
        chain = firewall_chain(ip.address)
        rules = sorted((r for r in state.firewall_rules if r.public_ip == ip.address), key=_rule_key)
        for rule in rules:
            for source in _sources(rule.source_cidrs):
                match = f"{source}{_protocol(rule.protocol)}{_firewall_match(rule)}"
                yield f"-A {chain}{match}{_comment(rule.uuid)} -j RETURN"
        yield f"-A {chain}{_comment(ip.uuid)} -j DROP"
    for tier, acl in acls:
        yield from _acl_chains(tier, acl)
    if egress:
        yield from _egress(state)
    yield "COMMIT"


def acl_chain(prefix: str, tier: GuestTier) -> str:
    return chain_name(prefix, tier.interface)


def _tier_acls(state: RouterState, tiers: list[GuestTier]) -> list[tuple[GuestTier, TierAcl]]:
    by_tier = {acl.tier: acl for acl in state.tier_acls}
    return [(tier, by_tier[tier.uuid]) for tier in tiers if tier.uuid in by_tier]


def _acl_jumps(forward: str, acls: list[tuple[GuestTier, TierAcl]]) -> Iterator[str]:
    """Before anything else may accept: replies pass, then what leaves a tier meets its egress items and what
    enters one its ingress items (so traffic between two tiers meets both)."""
    if not acls:
        return
    yield f"-A {forward} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
    for tier, acl in acls:
        yield f"-A {forward} -i {tier.interface}{_comment(acl.acl)} -j {acl_chain(ACL_OUT_PREFIX, tier)}"
    for tier, acl in acls:
        yield f"-A {forward} -o {tier.interface}{_comment(acl.acl)} -j {acl_chain(ACL_IN_PREFIX, tier)}"


def _acl_chains(tier: GuestTier, acl: TierAcl) -> Iterator[str]:
    """Ingress: allowed items ACCEPT, denied DROP, then DROP. Egress: allowed items RETURN (the destination tier's
    ingress items still apply), denied DROP, and DROP after them only when there are egress items: CloudStack
    lets all out of a tier until its list says something about egress."""
    rules = sorted(acl.rules, key=lambda r: (r.number, r.uuid))
    inbound = acl_chain(ACL_IN_PREFIX, tier)
    for rule in (r for r in rules if r.direction is Direction.INGRESS):
        verdict = "ACCEPT" if rule.allow else "DROP"
        for cidr in _acl_cidrs(rule, "-s"):
            yield f"-A {inbound}{cidr}{_acl_match(rule)}{_comment(rule.uuid)} -j {verdict}"
    yield f"-A {inbound}{_comment(acl.acl)} -j DROP"
    outbound = acl_chain(ACL_OUT_PREFIX, tier)
    egress = [r for r in rules if r.direction is Direction.EGRESS]
    for rule in egress:
        verdict = "RETURN" if rule.allow else "DROP"
        for cidr in _acl_cidrs(rule, "-d"):
            yield f"-A {outbound}{cidr}{_acl_match(rule)}{_comment(rule.uuid)} -j {verdict}"
    if egress:
        yield f"-A {outbound}{_comment(acl.acl)} -j DROP"


def _acl_cidrs(rule: AclRule, flag: str) -> list[str]:
    cidrs = sorted(set(rule.cidrs))
    if not cidrs or any(c.prefixlen == 0 for c in cidrs):
        return [""]
    return [f" {flag} {cidr}" for cidr in cidrs]


def _acl_match(rule: AclRule) -> str:
    if rule.protocol == "all":
        return ""
    match = f" -p {rule.protocol}"
    if rule.ports is not None:
        return f"{match} -m {rule.protocol} --dport {_colon(rule.ports)}"
    if rule.protocol == "icmp" and rule.icmp_type is not None:
        code = "" if rule.icmp_code is None else f"/{rule.icmp_code}"
        return f"{match} -m icmp --icmp-type {rule.icmp_type}{code}"
    return match


def _egress(state: RouterState) -> Iterator[str]:
    verdict = "DROP" if state.egress_default_allow else "RETURN"
    for rule in sorted(state.egress_rules, key=_rule_key):
        for source in _sources(c for c in rule.source_cidrs if c.prefixlen):
            for dest in _sources(c for c in rule.dest_cidrs if c.prefixlen):
                match = f"{source}{dest.replace(' -s ', ' -d ')}{_protocol(rule.protocol)}{_egress_match(rule)}"
                yield f"-A {EGRESS_CHAIN}{match}{_comment(rule.uuid)} -j {verdict}"
    if not state.egress_default_allow:
        yield f"-A {EGRESS_CHAIN}{_comment(state.uuid)} -j DROP"


def _egress_match(rule: EgressRule) -> str:
    if rule.protocol is Protocol.ICMP and rule.icmp_type is not None:
        code = "" if rule.icmp_code is None else f"/{rule.icmp_code}"
        return f" -m icmp --icmp-type {rule.icmp_type}{code}"
    return _dport(rule.protocol, rule.ports)


def _rule_key(rule: FirewallRule | EgressRule) -> tuple[str, PortRange, int, int, UUID]:
    """The order rules are written in: protocol, ports, ICMP type and code, then uuid (stable documents)."""
    ports = rule.ports or PortRange(1, 65535)
    icmp_type = -1 if rule.icmp_type is None else rule.icmp_type
    icmp_code = -1 if rule.icmp_code is None else rule.icmp_code
    return (rule.protocol, ports, icmp_type, icmp_code, rule.uuid)


def _firewall_match(rule: FirewallRule) -> str:
    if rule.protocol is Protocol.ICMP and rule.icmp_type is not None:
        code = "" if rule.icmp_code is None else f"/{rule.icmp_code}"
        return f" -m icmp --icmp-type {rule.icmp_type}{code}"
    # Original (public) ports: in FORWARD the packet already carries the private ones.
    return _origport(rule.ports)


def _protocol(protocol: Protocol | None) -> str:
    return "" if protocol in (None, Protocol.ALL) else f" -p {protocol}"


def _dport(protocol: Protocol | None, ports: PortRange | None) -> str:
    return "" if protocol is None or ports is None else f" -m {protocol} --dport {_colon(ports)}"


def _origport(ports: PortRange | None, *, alone: bool = True) -> str:
    if ports is None:
        return ""
    return (" -m conntrack" if alone else "") + f" --ctorigdstport {_colon(ports)}"


def _colon(ports: PortRange) -> str:
    return str(ports.start) if ports.size == 1 else f"{ports.start}:{ports.end}"


def _to(f: _Forward) -> str:
    if f.private_ports is None or f.public_ports is None:
        return str(f.guest)
    if f.private_ports.size == 1:
        return f"{f.guest}:{f.private_ports.start}"
    return f"{f.guest}:{f.private_ports.start}-{f.private_ports.end}/{f.public_ports.start}"


def _sources(cidrs: Iterable[IPv4Network]) -> list[str]:
    return [f" -s {cidr}" for cidr in sorted(set(cidrs))] or [""]


def _comment(uuid: UUID) -> str:
    # A UUID's text needs no escaping: nothing user-typed reaches the document.
    return f' -m comment --comment "{uuid}"'
