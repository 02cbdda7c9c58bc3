"""Render one virtual router's load balancer rules as haproxy.cfg: turn the state into plain data, then fill templates.

As in Octavia's renderer, every decision (names, sort order, escaping) is taken in `transform`; the
templates below only substitute values, and `fill` only joins filled templates.

A rule without members still gets its frontend and an empty backend: haproxy accepts that, and a
client is then refused at the router instead of timing out against an address that serves nothing.
The admin socket in `global` matters: it is a listener, so the file is valid (`haproxy -c` exits 0)
and haproxy can run before the first rule exists; the agent also saves server health through it.

haproxy runs in master-worker mode: the agent reloads it through the master, whose new worker takes
the listening sockets over from the old ones, which finish their connections. Runtime files (admin
socket, pid file, server state) live in `$NICSTACK_RUN_DIR`, which the agent sets per router:
network namespaces do not separate the filesystem, and several routers may share one machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from string import Template

from nicstack.render.router_state import GuestTarget, LoadBalancer, RouterState

RUN_DIR = "NICSTACK_RUN_DIR"
ADMIN_SOCKET = f'"${{{RUN_DIR}}}/haproxy.sock"'
PID_FILE = f'"${{{RUN_DIR}}}/haproxy.pid"'
STATE_FILE = f'"${{{RUN_DIR}}}/haproxy.state"'

_HEADER = Template("""\
# nicstack virtual router $kind $uuid: generated, do not edit
global
    master-worker
    maxconn 4096
    log /dev/log local0 warning
    stats socket $admin_socket mode 600 level admin
    pidfile $pid_file
    server-state-file $state_file

defaults
    mode tcp
    log global
    option tcplog
    option dontlognull
    retries 3
    timeout connect 5s
    timeout client 50s
    timeout server 50s
    load-server-state-from-file global
""")

_PROXY = Template("""
# load balancer rule $uuid: $comment
frontend $frontend
    bind $bind
    default_backend $backend

backend $backend
    balance $balance
$servers""")

_SERVER = Template("    server $name $address:$port check\n")


@dataclass(frozen=True, slots=True)
class ServerData:
    name: str
    address: str
    port: int


@dataclass(frozen=True, slots=True)
class ProxyData:
    uuid: str
    comment: str
    frontend: str
    backend: str
    bind: str
    balance: str
    servers: tuple[ServerData, ...]


@dataclass(frozen=True, slots=True)
class HaproxyData:
    kind: str
    uuid: str
    admin_socket: str
    proxies: tuple[ProxyData, ...]


def render_haproxy(state: RouterState) -> str:
    """The whole haproxy.cfg for `state`: deterministic, whatever the order of its tuples."""
    return fill(transform(state))


def transform(state: RouterState) -> HaproxyData:
    """Every decision about the configuration, as plain data."""
    rules = sorted(state.load_balancers, key=lambda r: (r.public_ip, r.public_port, r.uuid))
    return HaproxyData(str(state.kind), str(state.uuid), ADMIN_SOCKET, tuple(_proxy(rule) for rule in rules))


def fill(data: HaproxyData) -> str:
    """Substitute the plain data into the templates; no decisions here."""
    header = _HEADER.substitute(kind=data.kind, uuid=data.uuid, admin_socket=data.admin_socket, pid_file=PID_FILE,
                                state_file=STATE_FILE)
    proxies = (
        _PROXY.substitute(
            uuid=p.uuid, comment=p.comment, frontend=p.frontend, backend=p.backend, bind=p.bind,
            balance=p.balance, servers="".join(_SERVER.substitute(name=s.name, address=s.address, port=s.port)
                                               for s in p.servers),
        )
        for p in data.proxies
    )
    return header + "".join(proxies)


def _proxy(rule: LoadBalancer) -> ProxyData:
    members = sorted(rule.members, key=lambda m: (m.address, m.vm_uuid))
    return ProxyData(
        uuid=str(rule.uuid),
        comment=_printable(rule.name),
        frontend=f"fe-{rule.uuid}",
        backend=f"be-{rule.uuid}",
        bind=f"{rule.public_ip}:{rule.public_port}",
        balance=str(rule.algorithm),
        servers=tuple(ServerData(server_name(m), str(m.address), rule.private_port) for m in members),
    )


def server_name(member: GuestTarget) -> str:
    """`<vm name>-<address with dashes>`: unique within a backend even when one VM is there with several
    addresses (primary and secondaries), since a backend never holds one address twice."""
    # haproxy names allow letters, digits, '-', '_', '.', ':'; a VM's display name may hold anything.
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", member.vm_name)
    return f"{name}-{str(member.address).replace('.', '-')}"


def _printable(text: str) -> str:
    # The rule's name goes into a comment line: a newline in it must not start a directive.
    return "".join(c if c.isprintable() else "_" for c in text)
