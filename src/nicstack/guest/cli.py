"""`nicstack-guest apply|show`: read the metadata service, then add and remove the NICs' addresses with `ip`."""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
from ipaddress import ip_interface, ip_network
from urllib.parse import urlsplit

from nicstack.guest.plan import Interface, Link, Wanted, plan

DEFAULT_URL = "http://169.254.169.254"
MACS = "/latest/meta-data/network/interfaces/macs/"
TIMEOUT = 5.0


class GuestError(Exception):
    """What went wrong, said so that the user knows what to do."""


def _get(url: str, path: str) -> str | None:
    """The body of GET `path`, None on 404."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise GuestError(f"--url {url!r} is not an http:// URL")
    conn = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=TIMEOUT)
    try:
        conn.request("GET", path)
        reply = conn.getresponse()
        body = reply.read().decode()
    except OSError as exc:
        raise GuestError(f"cannot reach the metadata service at {url}: {exc}; is this a VM of the cloud, and "
                         "does its router run the metadata service?") from None
    finally:
        conn.close()
    if reply.status == 404:
        return None
    if reply.status != 200:
        raise GuestError(f"the metadata service answered {reply.status} to {path}")
    return body


def read_wanted(url: str) -> dict[str, Wanted]:
    """Every NIC of this VM from the metadata: MAC -> its addresses with their subnets' prefixes."""
    macs = _get(url, MACS)
    if macs is None:
        raise GuestError(f"the metadata service at {url} does not know this VM (it answers a VM by its address "
                         "and MAC on the router's network)")
    found: dict[str, Wanted] = {}
    for entry in macs.split():
        mac = entry.rstrip("/").lower()
        addresses: list[Interface] = []
        for listed, subnet in (("local-ipv4s", "subnet-ipv4-cidr-block"), ("ipv6s", "subnet-ipv6-cidr-blocks")):
            values = (_get(url, f"{MACS}{mac}/{listed}") or "").split()
            prefix = _get(url, f"{MACS}{mac}/{subnet}")
            length = ip_network(prefix.split()[0]).prefixlen if prefix else None
            addresses += [ip_interface(f"{v}/{length}") if length is not None else ip_interface(v) for v in values]
        found[mac] = Wanted(mac, tuple(addresses))
    return found


def _ip(*argv: str) -> str:
    try:
        done = subprocess.run(["ip", *argv], capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except OSError as exc:
        raise GuestError(f"cannot run ip ({exc}): install iproute2") from None
    if done.returncode != 0:
        raise GuestError(f"ip {' '.join(argv)} failed: {done.stderr.strip()}")
    return done.stdout


def read_links() -> list[Link]:
    links = []
    for link in json.loads(_ip("-j", "addr", "show")):
        held: list[Interface] = [ip_interface(f"{a['local']}/{a['prefixlen']}") for a in link.get("addr_info", [])
                                 if a.get("family") in ("inet", "inet6") and a.get("scope") == "global"]
        links.append(Link(link["ifname"], str(link.get("address", "")), tuple(held)))
    return links


def _show(wanted: dict[str, Wanted], links: list[Link]) -> None:
    names = {link.mac.lower(): link.name for link in links}
    for mac, nic in sorted(wanted.items()):
        device = names.get(mac, "(no interface with this MAC)")
        shown = ", ".join(str(a) for a in nic.addresses) or "no addresses"
        print(f"{device} {mac}: {shown}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="nicstack-guest", description="Configure this VM's NIC addresses, secondary ones included, from the "
        "cloud's metadata service: the addresses addIpToNic reserved are added, released ones removed.")
    parser.add_argument("--url", default=DEFAULT_URL, help="the metadata service (default: %(default)s)")
    commands = parser.add_subparsers(dest="command", required=True)
    apply = commands.add_parser("apply", help="add and remove addresses so the NICs hold what the metadata lists")
    apply.add_argument("--dry-run", action="store_true", help="print the ip commands, run none")
    commands.add_parser("show", help="print each NIC's addresses as the metadata lists them")
    args = parser.parse_args(argv)
    try:
        wanted, links = read_wanted(args.url), read_links()
        if args.command == "show":
            _show(wanted, links)
            return 0
        steps = plan(wanted, links)
        for step in steps:
            print(f"ip addr {step}")
            if not args.dry_run:
                _ip(*step.argv()[1:])
        if not steps:
            print("nothing to change: every NIC holds the addresses the metadata lists")
        return 0
    except GuestError as exc:
        print(f"nicstack-guest: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

