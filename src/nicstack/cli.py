"""The `nicstack` command: serve, db upgrade, render, agent, admin keys, bench."""

from __future__ import annotations

import argparse
import difflib
import os
import socket
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from sqlalchemy.exc import OperationalError

from nicstack import __version__, cli_admin, cli_limits, cli_render, logs
from nicstack.agent import main as agent_cli
from nicstack.cli_values import (
    ENV_URL,
    UsageError,
    check_tls,
    database_url,
    forwarded_ips,
    generation,
    port,
    readable_file,
    uuid_of,
)
from nicstack.db.database import DEFAULT_SQLITE_PATH
from nicstack.db.urls import describe

_DB_HELP = f"database URL: sqlite:///PATH or postgresql://USER@HOST/DB (default: ${ENV_URL}, else sqlite:///" \
           f"{DEFAULT_SQLITE_PATH})"
DEMO_HELP = ("create (once) a demo world and print how to call it: 11 VMs of account demo in 4 zones (an Advanced "
             "zone with isolated network demo-network, a VPC with two tiers and a public range; an Advanced zone "
             "with security groups and shared network demo-shared; a Basic zone with two pods; a Basic zone with "
             "elastic IPs and elastic LB)")

# `nicstack bench` sections, in the order they run (kept here: --help must not import them).
BENCH_SECTIONS = ("http", "scaleout", "logins", "allocator", "bulk", "metadata", "memory", "convergence")


class Parser(argparse.ArgumentParser):
    """An argparse parser whose mistakes are one line: what is wrong, and where the help is."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _bind_problem(host: str, port_number: int) -> str | None:
    """Why the server could not listen on host:port, or None when it can."""
    try:
        family = socket.getaddrinfo(host, port_number, type=socket.SOCK_STREAM)[0][0]
    except socket.gaierror:
        return f"cannot listen on {host}: no such address or host name; give one of this machine's with --host"
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port_number))
        except OSError:
            return (f"cannot listen on {host}:{port_number}: the address is in use or not this machine's; "
                    "choose another with --port or --host")
    return None


def _say(text: str) -> None:
    print(f"nicstack: {text}", file=sys.stderr, flush=True)


def _serve(args: argparse.Namespace) -> int:
    from nicstack.db.uow import SqlUnitOfWork  # noqa: PLC0415 - keeps --help fast
    from nicstack.server import Edge, make_server, prepare  # noqa: PLC0415

    check_tls(args.ssl_certfile, args.ssl_keyfile)
    url = args.url
    # Before anything is created or printed once: the admin's generated keys must not scroll
    # past on a start that cannot serve them.
    problem = _bind_problem(args.host, args.port)
    if problem is not None:
        raise UsageError(problem)
    _say(f"database: {describe(url)}")
    _say("bringing the database schema up to date")
    prepared = prepare(url)
    scheme = "https" if args.ssl_certfile else "http"
    endpoint = f"{scheme}://{args.host}:{args.port}/client/api"
    cli_admin.announce(prepared.admin, prepared.environment, endpoint)
    if args.demo:
        from nicstack import demo  # noqa: PLC0415

        _say("building the demo world (on its first start; later starts find it)")
        world = demo.build_demo(SqlUnitOfWork(prepared.db))
        print(demo.describe(world, endpoint), file=sys.stderr)
    edge = Edge(args.ssl_certfile, args.ssl_keyfile, args.forwarded_allow_ips, cli_limits.limits_of(args))
    server, runtime = make_server(prepared.db, args.host, args.port, args.log_level, edge)
    runtime.start()
    _say(f"{__version__} serving the CloudStack API on {endpoint} and the web UI on "
         f"{endpoint.removesuffix('/client/api')}/ (health: /healthz, metrics: /metrics; Ctrl-C stops)")
    try:
        server.run()
    finally:
        runtime.stop()
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from nicstack.db.migrate import current, upgrade  # noqa: PLC0415

    url = args.url
    _say(f"database: {describe(url)}")
    upgrade(url)
    print(f"database at revision {current(url)}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from nicstack.bench import main as bench_main  # noqa: PLC0415

    return bench_main(args)


def _group(parser: argparse.ArgumentParser, dest: str, metavar: str) -> argparse._SubParsersAction[Parser]:
    """Subcommands of `parser`; naming none is answered by `main` with the choices."""
    sub = parser.add_subparsers(dest=dest, metavar=metavar, parser_class=Parser)
    parser.set_defaults(func=None, parser=parser, commands=sub)
    return sub


def _leaf(sub: argparse._SubParsersAction[Parser], name: str, func: Callable[[argparse.Namespace], int],
          common: Parser, **kwargs: Any) -> Parser:
    leaf = sub.add_parser(name, parents=[common], **kwargs)
    leaf.set_defaults(func=func, parser=leaf)
    return leaf


def _database(parser: argparse.ArgumentParser, *, creating: bool) -> None:
    """--database-url, resolved by `main` into args.url (see cli_values.database_url)."""
    parser.add_argument("--database-url", help=_DB_HELP)
    if creating:
        parser.add_argument("--create-directory", action="store_true",
                            help="create the SQLite file's directory if it does not exist (the default one always is)")
    parser.set_defaults(creating=creating)


def parser() -> Parser:
    # --log-level is accepted before and after the subcommand: `nicstack serve --log-level info`.
    common = Parser(add_help=False)
    common.add_argument("--log-level", default=argparse.SUPPRESS, choices=logs.LEVELS,
                        help="level of the JSON log lines on stderr; info shows every request, job and "
                        "publication (default: warning)")
    top = Parser(prog="nicstack",
                 description="A CloudStack-compatible control plane for guest IP addresses (multiple IPs per NIC).",
                 epilog="Start with: nicstack serve --demo   (then follow the printed cs commands)")
    top.add_argument("--version", action="version", version=f"nicstack {__version__}")
    top.add_argument("--log-level", default="warning", choices=logs.LEVELS,
                     help="level of the JSON log lines on stderr (default: %(default)s)")
    sub = _group(top, "command", "COMMAND")

    serve = _leaf(sub, "serve", _serve, common, help="serve the CloudStack API",
                  description="Serve the CloudStack API on /client/api, health on /healthz and Prometheus metrics "
                  "on /metrics. The schema is created or upgraded on start.")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=port, default=8080, help="port to listen on, 1-65535 (default: %(default)s)")
    _database(serve, creating=True)
    serve.add_argument("--demo", action="store_true", help=DEMO_HELP)
    serve.add_argument("--ssl-certfile", type=readable_file, metavar="FILE",
                       help="serve HTTPS with this PEM certificate (chain); needs --ssl-keyfile")
    serve.add_argument("--ssl-keyfile", type=readable_file, metavar="FILE", help="the certificate's private key")
    serve.add_argument("--forwarded-allow-ips", type=forwarded_ips, metavar="IPS",
                       help="trust X-Forwarded-For/-Proto from these proxies (comma-separated addresses or "
                       "networks, or *): the log lines and the login throttle then see the real client")
    cli_limits.add_limits(serve)

    db = sub.add_parser("db", help="database maintenance", description="Database maintenance.")
    up = _leaf(_group(db, "db_command", "ACTION"), "upgrade", _db_upgrade, common,
               help="upgrade the schema to the newest revision",
               description="Apply every pending migration (the pre-feature schema upgrades too).")
    _database(up, creating=True)

    render_sub = _group(sub.add_parser(
        "render", help="print rendered data-plane documents",
        description="Render a data-plane target's documents from the database and print them."), "render_command",
        "TARGET")
    router = _leaf(render_sub, "router", cli_render.router, common,
                   help="a virtual router's iptables-restore document, haproxy.cfg, addresses and metadata",
                   description="Print the documents of the virtual router of an isolated network or a VPC (a VPC "
                   "tier's network prints its VPC's router). The generation is the one getRouterConfig reports.")
    which = router.add_mutually_exclusive_group(required=True)
    which.add_argument("--network", metavar="ID", type=uuid_of("an isolated network", "cs listNetworks"),
                       help="the uuid of an isolated network")
    which.add_argument("--vpc", metavar="ID", type=uuid_of("a VPC", "cs listVPCs"), help="the uuid of a VPC")
    router.add_argument("--document", choices=["all", "iptables", "haproxy", "addresses", "metadata"], default="all",
                        help="print one document only, e.g. to pipe into iptables-restore --test (default: all)")
    _database(router, creating=False)
    host = _leaf(render_sub, "host", cli_render.host, common,
                 help="a KVM or XenServer host's security-group documents (ipset, iptables, ip6tables, ebtables)",
                 description="Print what a host must enforce for its VMs' security groups: anti-spoofing sets with "
                 "every primary and secondary address, group rules and referenced groups' members. The generation "
                 "is the one getHostConfig reports (the host's publication is brought up to date first).")
    host.add_argument("--host", required=True, metavar="ID", type=uuid_of("a host", "cs listHosts (as root admin)"),
                      help="the uuid of the host")
    host.add_argument("--document", choices=["all", "ipset", "iptables", "ip6tables", "ebtables", "vifs"],
                      default="all",
                      help="print one document only, e.g. to pipe into ipset restore (default: all)")
    host.add_argument("--since", type=generation, metavar="GENERATION",
                      help="print only the change lines since this generation, when they are all kept")
    _database(host, creating=False)

    agents = _group(sub.add_parser("agent", help=agent_cli.AGENT_HELP, description=agent_cli.AGENT_DESCRIPTION),
                    "agent_kind", "KIND")
    agent_cli.router_options(_leaf(agents, "router", agent_cli.run, common, help=agent_cli.ROUTER_HELP,
                                   description=agent_cli.ROUTER_DESCRIPTION))
    agent_cli.host_options(_leaf(agents, "host", agent_cli.run, common, help=agent_cli.HOST_HELP,
                                 description=agent_cli.HOST_DESCRIPTION))

    admin_sub = _group(sub.add_parser("admin", help="the root admin's credentials (on the server machine, with "
                                      "database access)", description="Recover the root admin's credentials "
                                      "from the database."), "admin_command", "ACTION")
    keys = _leaf(admin_sub, "keys", cli_admin.keys_command, common,
                 help="show or rotate the root admin's API keys, reset its password",
                 description=cli_admin.KEYS_DESCRIPTION)
    cli_admin.add_options(keys)
    _database(keys, creating=False)

    bench = _leaf(sub, "bench", _bench, common, help="measure throughput, allocator cost and memory",
                  description="Run the benchmarks and print a table (figures are ratios to a baseline measured in "
                  "the same run).")
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    bench.add_argument("--only", metavar="SECTION", action="append", choices=BENCH_SECTIONS,
                       help=f"run only this section (repeatable): {', '.join(BENCH_SECTIONS)}")
    return top


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse, naming the first unknown option (argparse would first ask for a missing subcommand)."""
    args, extra = parser().parse_known_args(argv)
    where: Parser = args.parser
    if extra:
        word = extra[0].split("=", 1)[0]
        known = [o for a in where._actions for o in a.option_strings]
        close = difflib.get_close_matches(word, known, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        where.error(f"unrecognized {'option' if word.startswith('-') else 'argument'} {word!r}{hint}")
    if args.func is None:
        where.error(f"choose a {args.commands.metavar}: {', '.join(args.commands.choices)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    logs.configure(args.log_level)
    try:
        if hasattr(args, "database_url"):
            args.url = database_url(args.database_url, creating=args.creating,
                                    create_directory=getattr(args, "create_directory", False))
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader of the output went away (`| head`, a command that failed): nothing left to say,
        # and Python's own flush at exit must not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except UsageError as exc:
        print(f"{args.parser.prog}: {exc}", file=sys.stderr)
        return 2
    except OperationalError as exc:
        # A database that cannot be reached is a setup problem: say which and what to check.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        print(f"nicstack: cannot use the database ({describe(getattr(args, 'url', ''))}): {reason}; check that "
              f"the database server runs and that --database-url (or {ENV_URL}) is right", file=sys.stderr)
        return 1
    except Exception as exc:
        # Alembic's refusals (a revision this nicstack does not know) are setup problems too;
        # matched by module, so that `nicstack --help` does not pay for importing alembic.
        if not type(exc).__module__.startswith("alembic"):
            raise
        print(f"nicstack: cannot migrate the database ({describe(getattr(args, 'url', ''))}): {exc}; was it "
              "made by a newer nicstack?", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
