"""`nicstack admin keys` and what the server prints of the root admin's credentials at start.

Export lines go to stdout and everything said about them to stderr, so that
`eval "$(nicstack admin keys)"` sets the keys in a shell and a terminal shows both.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from nicstack.db.database import Database
from nicstack.db.seed import AdminKeys
from nicstack.db.uow import SqlUnitOfWork
from nicstack.db.urls import describe
from nicstack.services import admin_keys
from nicstack.services.admin_keys import Applied, Keys

CACHE_NOTE = "a running server accepts the new keys within 2 seconds; the old ones stop working then"


def export_lines(api_key: str, secret_key: str, endpoint: str | None = None) -> list[str]:
    """The shell lines that point the cs client at these keys."""
    lines = [f"export CLOUDSTACK_ENDPOINT={endpoint}"] if endpoint else []
    return [*lines, f"export CLOUDSTACK_KEY={api_key}", f"export CLOUDSTACK_SECRET={secret_key}"]


def _print_exports(keys: Keys, out: TextIO) -> None:
    for line in export_lines(keys.api_key, keys.secret_key):
        print(line, file=out)


def keys_command(args: argparse.Namespace) -> int:
    url = args.url
    db = Database(url)
    uow = SqlUnitOfWork(db)
    try:
        where = describe(url)
        if args.rotate:
            keys = admin_keys.rotate(uow)
            print(f"Root admin (user admin) of {where}: new keys ({CACHE_NOTE}):", file=sys.stderr)
        else:
            found = admin_keys.keys(uow)
            if found is None:
                print(f"The root admin of {where} has no keys yet: nicstack serve gives it some on its first start, "
                      "or run nicstack admin keys --rotate", file=sys.stderr)
                return 1
            keys = found
            print(f"Root admin (user admin) of {where}:", file=sys.stderr)
        _print_exports(keys, sys.stdout)
        if args.reset_password:
            chosen = os.environ.get(admin_keys.PASSWORD) or None
            password = admin_keys.reset_password(uow, chosen)
            shown = f"from {admin_keys.PASSWORD}" if chosen else password
            print(f"Root admin password reset ({shown}); its web sessions were ended", file=sys.stderr)
        if args.rotate:
            given = [name for name in (admin_keys.API_KEY, admin_keys.SECRET_KEY) if os.environ.get(name)]
            if given:
                print(f"nicstack: warning: {' and '.join(given)} set here: a server started with this environment "
                      "stores those keys again", file=sys.stderr)
    finally:
        db.dispose()
    return 0


def announce(admin: AdminKeys | None, applied: Applied, endpoint: str) -> None:
    """What `nicstack serve` says of the root admin's credentials at start (on stderr)."""
    err = sys.stderr
    if admin is not None and admin.generated:
        print("Root admin (user admin): credentials generated and stored; nicstack admin keys shows the keys "
              "again (and --reset-password sets a new password). To call the API as the root admin:", file=err)
        if {"api_key", "secret_key"} <= admin.generated:
            for line in export_lines(admin.api_key, admin.secret_key, endpoint):
                print(f"  {line}", file=err)
        if "password" in admin.generated:
            print(f"  password (web login): {admin.password}", file=err)
        return
    if admin is not None:
        print("Root admin (user admin): credentials taken from NICSTACK_ADMIN_*", file=err)
        return
    for name in applied.stored:
        print(f"nicstack: warning: {name} differs from the root admin's stored "
              f"{'password' if name == admin_keys.PASSWORD else 'key'}: stored it, the previous one no longer "
              f"works (unset {name} to keep what is stored)", file=err)
    for name, why in applied.refused:
        print(f"nicstack: warning: {name} not applied ({why}): the stored key still holds", file=err)
    print("Root admin (user admin): nicstack admin keys shows its keys", file=err)


KEYS_DESCRIPTION = (
    "Print the root admin's API key and secret key as export lines for the cs client (on stdout: "
    "eval \"$(nicstack admin keys)\" sets them in this shell). Needs the database, not the API: this is "
    "the way back when the keys printed on the first start are lost.")


def add_options(keys: argparse.ArgumentParser) -> None:
    keys.add_argument("--rotate", action="store_true",
                      help="replace both keys with new ones (the old ones stop working)")
    keys.add_argument("--reset-password", action="store_true",
                      help="set a new password for the web login ($NICSTACK_ADMIN_PASSWORD, else a generated one, "
                      "printed) and end the admin's web sessions")
