"""The `nicstack` command: serve, db upgrade, render, bench."""

from __future__ import annotations

import argparse
import socket
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from nicstack import __version__, logs
from nicstack.db.database import Database, default_url

T = TypeVar("T")

_DB_HELP = "database URL (default: $NICSTACK_DATABASE_URL, else an embedded SQLite file %(default)s)"


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _serve(args: argparse.Namespace) -> int:
    from nicstack.db.uow import SqlUnitOfWork  # noqa: PLC0415 - keeps --help fast
    from nicstack.server import make_server, prepare  # noqa: PLC0415

    # Before anything is created or printed once: the admin's generated keys must not scroll
    # past on a start that cannot serve them.
    if not _port_free(args.host, args.port):
        print(f"nicstack: cannot listen on {args.host}:{args.port}: the address is in use or not this machine's; "
              "choose another with --port or --host", file=sys.stderr)
        return 1
    prepared = prepare(args.database_url)
    endpoint = f"http://{args.host}:{args.port}/client/api"
    if prepared.admin is not None and prepared.admin.generated:
        a = prepared.admin
        shown = {"api_key": a.api_key, "secret_key": a.secret_key, "password": a.password}
        print("Root admin (user 'admin') credentials, generated and shown only this once:", file=sys.stderr)
        for name in sorted(a.generated):
            print(f"  {name.replace('_', ' ')}: {shown[name]}", file=sys.stderr)
    if args.demo:
        from nicstack.demo import build_demo, describe  # noqa: PLC0415

        world = build_demo(SqlUnitOfWork(prepared.db))
        print(describe(world, endpoint), file=sys.stderr)
    server, runtime = make_server(prepared.db, args.host, args.port, args.log_level)
    runtime.start()
    print(f"nicstack {__version__} serving the CloudStack API on {endpoint} (Ctrl-C stops)", file=sys.stderr)
    try:
        server.run()
    finally:
        runtime.stop()
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from nicstack.db.migrate import current, upgrade  # noqa: PLC0415

    upgrade(args.database_url)
    print(f"database at revision {current(args.database_url)}")
    return 0


def _read(what: str, url: str, fetch: Callable[[Database], T]) -> T | None:
    """Run one read against the database; print why it failed (and return None) if it did."""
    from sqlalchemy.exc import DBAPIError  # noqa: PLC0415

    from nicstack.domain.errors import CloudError  # noqa: PLC0415

    db = Database(url)
    try:
        return fetch(db)
    except CloudError as exc:
        print(f"nicstack {what}: {exc.text}", file=sys.stderr)
    except DBAPIError as exc:
        print(f"nicstack {what}: cannot read the database ({type(exc.orig).__name__}); is it a nicstack "
              "database at the newest schema? (nicstack db upgrade)", file=sys.stderr)
    finally:
        db.dispose()
    return None


def _render_router(args: argparse.Namespace) -> int:
    from nicstack.db.uow import SqlUnitOfWork  # noqa: PLC0415
    from nicstack.services.routers import router_config  # noqa: PLC0415

    config = _read("render router", args.database_url, lambda db: router_config(SqlUnitOfWork(db), args.network,
                                                                                  args.vpc))
    if config is None:
        return 1
    if args.document == "iptables":
        sys.stdout.write(config.iptables)
    elif args.document == "haproxy":
        sys.stdout.write(config.haproxy)
    else:
        print(f"# {config.target} generation {config.generation} digest {config.digest}")
        print("# --- iptables-restore ---")
        sys.stdout.write(config.iptables)
        print("# --- haproxy.cfg ---")
        sys.stdout.write(config.haproxy)
    return 0


def _render_host(args: argparse.Namespace) -> int:
    from nicstack.db.uow import SqlUnitOfWork  # noqa: PLC0415
    from nicstack.services.host_publish import get_host_config  # noqa: PLC0415

    config = _read("render host", args.database_url, lambda db: get_host_config(SqlUnitOfWork(db), args.host,
                                                                                   args.since))
    if config is None:
        return 1
    if config.changes is not None:
        print(f"# host {config.host.name} generation {config.generation}: changes since {config.since}")
        sys.stdout.write(config.changes.ipset_batch() + config.changes.ebtables_batch())
        return 0
    assert config.documents is not None
    documents = {"ipset": config.documents.ipset, "iptables": config.documents.iptables,
                 "ip6tables": config.documents.ip6tables, "ebtables": config.documents.ebtables}
    if args.document != "all":
        sys.stdout.write(documents[args.document])
        return 0
    print(f"# host {config.host.name} ({config.host.hypervisor}) generation {config.generation}")
    for name, text in documents.items():
        print(f"# --- {name} ---")
        sys.stdout.write(text)
    return 0


def _bench(args: argparse.Namespace) -> int:
    from nicstack.bench import main as bench_main  # noqa: PLC0415

    return bench_main(args)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="nicstack",
        description="A CloudStack-compatible control plane for guest IP addresses (multiple IPs per NIC).",
        epilog="Start with: nicstack serve --demo   (then follow the printed cs command)",
    )
    top.add_argument("--version", action="version", version=f"nicstack {__version__}")
    top.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"],
                     help="log level of the JSON log lines on stderr (default: warning)")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve the CloudStack API", description="Serve the CloudStack API on "
                           "/client/api. The schema is created or upgraded on start.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8080, help="port to listen on (default: %(default)s)")
    serve.add_argument("--database-url", default=default_url(), help=_DB_HELP)
    serve.add_argument("--demo", action="store_true",
                       help="create (once) a demo world: zone, host, network 10.1.1.0/24, account demo, two VMs")
    serve.set_defaults(func=_serve)

    db = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db_sub.add_parser("upgrade", help="upgrade the schema to the newest revision",
                           description="Apply every pending migration (the pre-feature schema upgrades too).")
    up.add_argument("--database-url", default=default_url(), help=_DB_HELP)
    up.set_defaults(func=_db_upgrade)

    render = sub.add_parser("render", help="print rendered data-plane documents",
                            description="Render a data-plane target's documents from the database and print them.")
    render_sub = render.add_subparsers(dest="render_command", required=True, metavar="TARGET")
    router = render_sub.add_parser(
        "router", help="a virtual router's iptables-restore document and haproxy.cfg",
        description="Print the documents of the virtual router of an isolated network or a VPC (a VPC tier's "
        "network prints its VPC's router). The generation is the one getRouterConfig reports.")
    which = router.add_mutually_exclusive_group(required=True)
    which.add_argument("--network", metavar="ID", help="the uuid of an isolated network")
    which.add_argument("--vpc", metavar="ID", help="the uuid of a VPC")
    router.add_argument("--document", choices=["all", "iptables", "haproxy"], default="all",
                        help="print one document only, e.g. to pipe into iptables-restore --test (default: all)")
    router.add_argument("--database-url", default=default_url(), help=_DB_HELP)
    router.set_defaults(func=_render_router)
    host = render_sub.add_parser(
        "host", help="a KVM or XenServer host's security-group documents (ipset, iptables, ip6tables, ebtables)",
        description="Print what a host must enforce for its VMs' security groups: anti-spoofing sets with every "
        "primary and secondary address, group rules and referenced groups' members. The generation is the one "
        "getHostConfig reports (the host's publication is brought up to date first).")
    host.add_argument("--host", required=True, metavar="ID", help="the uuid of the host")
    host.add_argument("--document", choices=["all", "ipset", "iptables", "ip6tables", "ebtables"], default="all",
                      help="print one document only, e.g. to pipe into ipset restore (default: all)")
    host.add_argument("--since", type=int, metavar="GENERATION",
                      help="print only the change lines since this generation, when they are all kept")
    host.add_argument("--database-url", default=default_url(), help=_DB_HELP)
    host.set_defaults(func=_render_host)

    bench = sub.add_parser("bench", help="measure throughput, allocator cost and memory",
                           description="Run the benchmarks and print a table (figures are ratios to a baseline "
                           "measured in the same run).")
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    bench.set_defaults(func=_bench)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logs.configure(args.log_level)
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except OperationalError as exc:
        # A database that cannot be reached is a setup problem: say which and what to check.
        url = make_url(getattr(args, "database_url", None) or default_url())
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        print(f"nicstack: cannot use the database at {url.render_as_string(hide_password=True)}: {reason}\n"
              "Check that the database server runs and that --database-url (or NICSTACK_DATABASE_URL) is right.",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
