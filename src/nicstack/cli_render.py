"""`nicstack render router|host`: a data-plane target's documents, printed from the database."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TypeVar

from nicstack.db.database import Database
from nicstack.db.urls import describe

T = TypeVar("T")

_NOUNS = {"networkid": ("isolated network", "cs listNetworks listall=true"), "vpcid": ("VPC", "cs listVPCs"),
          "hostid": ("host", "cs listHosts")}


def _read(what: str, url: str, fetch: Callable[[Database], T]) -> T | None:
    """Run one read against the database; print why it failed (and return None) if it did."""
    from sqlalchemy.exc import DBAPIError  # noqa: PLC0415

    from nicstack.domain.errors import CloudError, UnknownEntity  # noqa: PLC0415

    db = Database(url)
    try:
        return fetch(db)
    except UnknownEntity as exc:
        noun, listing = _NOUNS.get(exc.param, (exc.param, "the API"))
        print(f"nicstack {what}: no {noun} with id {exc.value} in {describe(url)}; {listing} shows the ids",
              file=sys.stderr)
    except CloudError as exc:
        print(f"nicstack {what}: {exc.text}", file=sys.stderr)
    except DBAPIError as exc:
        print(f"nicstack {what}: cannot read the database ({type(exc.orig).__name__}); is it a nicstack "
              "database at the newest schema? (nicstack db upgrade)", file=sys.stderr)
    finally:
        db.dispose()
    return None


def router(args: argparse.Namespace) -> int:
    from nicstack.db.uow import SqlUnitOfWork  # noqa: PLC0415
    from nicstack.services.routers import router_config  # noqa: PLC0415

    url = args.url
    config = _read("render router", url, lambda db: router_config(SqlUnitOfWork(db), args.network,
                                                                                args.vpc))
    if config is None:
        return 1
    documents = {"iptables": config.iptables, "haproxy": config.haproxy, "addresses": config.addresses,
                 "metadata": config.metadata}
    if args.document != "all":
        sys.stdout.write(documents[args.document])
        return 0
    print(f"# {config.target} generation {config.generation} digest {config.digest}")
    for title, name in (("iptables-restore --noflush", "iptables"), ("haproxy.cfg", "haproxy"),
                        ("addresses", "addresses"), ("metadata (JSON)", "metadata")):
        print(f"# --- {title} ---")
        sys.stdout.write(documents[name])
    return 0


def host(args: argparse.Namespace) -> int:
    from nicstack.db.uow import SqlUnitOfWork  # noqa: PLC0415
    from nicstack.services.host_publish import get_host_config  # noqa: PLC0415

    url = args.url
    config = _read("render host", url, lambda db: get_host_config(SqlUnitOfWork(db), args.host,
                                                                                 args.since))
    if config is None:
        return 1
    if config.changes is not None:
        print(f"# host {config.host.name} generation {config.generation}: changes since {config.since}")
        sys.stdout.write(config.changes.ipset_batch() + config.changes.ebtables_batch())
        return 0
    assert config.documents is not None
    documents = dict(config.documents.items())
    if args.document != "all":
        sys.stdout.write(documents[args.document])
        return 0
    print(f"# host {config.host.name} ({config.host.hypervisor}) generation {config.generation}")
    for name, text in documents.items():
        print(f"# --- {name} ---")
        sys.stdout.write(text)
    return 0
