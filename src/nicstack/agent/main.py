"""`nicstack agent router|host`: the command line of the data-plane agents."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import sys
import threading
from pathlib import Path
from uuid import UUID

from nicstack.agent.appliers import Applier, HostApplier, RouterApplier
from nicstack.agent.client import Api
from nicstack.agent.loop import Agent, Settings, Target
from nicstack.agent.shell import Shell

RUN_ROOT = Path("/run/nicstack")
ROUTER_TOOLS = ("ip", "nsenter", "sysctl", "iptables-save", "iptables-restore", "haproxy")
HOST_TOOLS = ("ip", "nsenter", "sysctl", "ipset", "iptables-save", "iptables-restore", "ip6tables-save",
              "ip6tables-restore", "ebtables-save", "ebtables-restore")
_CREDENTIALS = (
    "The server and the credentials come from --url/--api-key/--secret-key or NICSTACK_URL, NICSTACK_API_KEY and "
    "NICSTACK_SECRET_KEY (prefer the environment for the secret: the command line is visible to every user). "
    "Create an agent's own credentials with the root admin's keys: cs createAgent hostid=... (or networkid=, vpcid=)."
)


AGENT_HELP = "run a data-plane agent (router or host)"
AGENT_DESCRIPTION = ("Apply a router's or a host's published documents, atomically, and report what was applied. "
                     + _CREDENTIALS)
ROUTER_HELP = "a virtual router: interface addresses, NAT and firewall chains, haproxy"
ROUTER_DESCRIPTION = (
    "Serve one virtual router (an isolated network's, a VPC's, or a shared network's) on this machine: its interfaces "
    "hold the public addresses and tier gateways, iptables holds its NAT and firewall chains (other rules are left "
    "alone), haproxy serves its load balancer rules, and a metadata service answers its VMs. A shared network's "
    "router answers only metadata unless its offering has elastic IPs (a Basic zone's EIP/ELB network: it is the "
    "pods' gateway, each pod a --guest-dev POD_ID=DEV). " + _CREDENTIALS)
HOST_HELP = "a KVM or XenServer host: anti-spoofing and security-group chains, ipsets"
HOST_DESCRIPTION = (
    "Serve one security-group host: ipsets with each NIC's addresses (secondary ones included), iptables/ip6tables "
    "chains of the groups' rules, ebtables ARP chains; libvirt's and others' rules are left alone. " + _CREDENTIALS)


def router_options(router: argparse.ArgumentParser) -> None:
    which = router.add_mutually_exclusive_group(required=True)
    which.add_argument("--network", metavar="ID", help="the uuid of the isolated or shared network (a Basic zone's: "
                       "elastic IPs)")
    which.add_argument("--vpc", metavar="ID", help="the uuid of the VPC")
    router.add_argument("--public-dev", metavar="DEV", help="the public interface (default: the document's name)")
    router.add_argument("--guest-dev", metavar="NETWORK_ID=DEV", action="append", default=[],
                        help="the interface of a guest network, VPC tier or Basic-zone pod (repeat; default: the "
                        "document's name)")
    router.add_argument("--run-dir", type=Path, metavar="DIR",
                        help=f"haproxy's files (default: {RUN_ROOT}/router-<id>)")
    _common(router, "router")


def host_options(host: argparse.ArgumentParser) -> None:
    host.add_argument("--host", required=True, metavar="ID", help="the uuid of the host")
    host.add_argument("--bridge", metavar="DEV", help="the bridge the VMs' taps are plugged into")
    host.add_argument("--vif", metavar="GUEST_MAC=DEV", action="append", default=[],
                      help="the device of the NIC with this MAC (repeat; default: libvirt's tap, which carries the "
                      "guest MAC with its first octet fe)")
    _common(host, "host")


def _common(parser: argparse.ArgumentParser, kind: str) -> None:
    parser.add_argument("--netns", metavar="NAME", help="apply inside this network namespace")
    parser.add_argument("--once", action="store_true", help="apply the current generation, report, and exit")
    parser.add_argument("--url", default=os.environ.get("NICSTACK_URL"), help="the API, e.g. "
                        "http://controller:8080/client/api (default: $NICSTACK_URL)")
    parser.add_argument("--api-key", default=os.environ.get("NICSTACK_API_KEY"),
                        help="(default: $NICSTACK_API_KEY)")
    parser.add_argument("--secret-key", default=os.environ.get("NICSTACK_SECRET_KEY"),
                        help="(default: $NICSTACK_SECRET_KEY)")
    parser.add_argument("--heartbeat", type=float, default=Settings.heartbeat, metavar="SECONDS",
                        help="report at least this often; the server shows an agent silent for 30 s as Down "
                        "(default: %(default)s)")
    parser.add_argument("--check-interval", type=float, default=Settings.check, metavar="SECONDS",
                        help="compare the kernel with what was applied this often (default: %(default)s)")
    parser.set_defaults(agent_kind=kind)


def _pairs(values: list[str], what: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        key, sep, device = value.partition("=")
        if not sep or not key or not device:
            raise SystemExit(f"nicstack agent: {what} {value!r} is not KEY=DEV")
        found[key.strip().lower()] = device.strip()
    return found


def build(args: argparse.Namespace) -> tuple[Target, Applier, tuple[str, ...]]:
    shell = Shell(args.netns)
    if args.agent_kind == "router":
        uuid = args.network or args.vpc
        target = Target("router", {"networkid": args.network} if args.network else {"vpcid": args.vpc})
        guests = {UUID(k): dev for k, dev in _pairs(args.guest_dev, "--guest-dev").items()}
        run_dir = args.run_dir or RUN_ROOT / f"router-{uuid}"
        return target, RouterApplier(shell, run_dir, args.public_dev, guests), ROUTER_TOOLS
    vifs = _pairs(args.vif, "--vif")
    return Target("host", {"hostid": args.host}), HostApplier(shell, args.bridge, vifs), HOST_TOOLS


def run(args: argparse.Namespace) -> int:
    missing = [name for name in ("url", "api_key", "secret_key") if not getattr(args, name)]
    if missing:
        flags = ", ".join("--" + name.replace("_", "-") for name in missing)
        print(f"nicstack agent: missing {flags}. {_CREDENTIALS}", file=sys.stderr)
        return 2
    try:
        target, applier, tools = build(args)
        api = Api(args.url, args.api_key, args.secret_key)
    except ValueError as exc:
        print(f"nicstack agent: {exc}", file=sys.stderr)
        return 2
    absent = [tool for tool in tools if shutil.which(tool) is None]
    if absent:
        print(f"nicstack agent: missing tool(s) {', '.join(absent)}: install iproute2, util-linux, procps, "
              "iptables, ipset, ebtables and haproxy", file=sys.stderr)
        return 2
    if args.netns and not Path("/run/netns", args.netns).exists():
        print(f"nicstack agent: no network namespace {args.netns} (ip netns list shows them)", file=sys.stderr)
        return 2
    stop = threading.Event()

    def stopping(*_: object) -> None:
        stop.set()
        api.close()  # a long poll in progress ends now instead of at its timeout

    signal.signal(signal.SIGTERM, stopping)
    agent = Agent(api, target, applier, f"{socket.gethostname()}:{os.getpid()}",
                  Settings(heartbeat=args.heartbeat, check=args.check_interval))
    try:
        return agent.run(once=args.once, stop=stop)
    finally:
        api.close()
