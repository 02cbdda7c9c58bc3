"""The `nicstack` command's values, checked: each mistake gets one line that says what to do.

The argparse types raise ArgumentTypeError (argparse names the option); the database URL is
resolved after parsing, because its message must name where it came from (the flag or
NICSTACK_DATABASE_URL) and whether a missing SQLite directory may be created.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import ssl
import uuid
from collections.abc import Callable
from pathlib import Path

from nicstack.db.database import DEFAULT_SQLITE_PATH
from nicstack.db.urls import BadDatabaseUrl, normalize, sqlite_file

ENV_URL = "NICSTACK_DATABASE_URL"


class UsageError(Exception):
    """A mistake on the command line or in the environment; the message says what to do."""


def port(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number: give 1-65535") from None
    if not 1 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number} is not a port: give 1-65535")
    return number


def positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    """An argparse type for a number greater than 0 (`kind` int or float)."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {'a whole' if kind is int else 'a'} number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
        return value

    return parse


def generation(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not a generation: give a whole number, 0 or more "
                                         "(the generation getHostConfig answered)")
    return int(text)


def uuid_of(what: str, listing: str) -> Callable[[str], str]:
    """An argparse type for the uuid of a `what`, pointing to the `listing` that shows them."""

    def parse(text: str) -> str:
        try:
            return str(uuid.UUID(text.strip()))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an id: give the uuid of {what} (like "
                                             f"5fa99316-f7d1-56e1-9a57-907d68da32ad), as {listing} shows it") from None

    return parse


def readable_file(text: str) -> str:
    path = Path(text).expanduser()
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"{text}: not readable by this user")
    return str(path.absolute())


def forwarded_ips(text: str) -> str:
    """uvicorn's --forwarded-allow-ips: '*' or addresses and networks, comma-separated."""
    for item in (part.strip() for part in text.split(",")):
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{item!r} is not an IP address or network: give the proxies' "
                                             "addresses, comma-separated (e.g. 127.0.0.1,10.0.0.0/24), or *") from None
    return text


def check_tls(certfile: str | None, keyfile: str | None) -> None:
    """Both files or neither, and they must load as a certificate chain with its key."""
    if (certfile is None) != (keyfile is None):
        raise UsageError("TLS needs both --ssl-certfile and --ssl-keyfile")
    if certfile is None or keyfile is None:
        return
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(f"cannot use the certificate {certfile} with the key {keyfile} ({exc.strerror or exc}): "
                         "give a PEM certificate chain and its unencrypted private key") from None


def database_url(given: str | None, *, creating: bool, create_directory: bool = False) -> str:
    """The database to use: `given` (--database-url), else $NICSTACK_DATABASE_URL, else the default file.

    `creating` (serve, db upgrade): a SQLite file may be created, but in a directory that does not
    exist only for the default path or with `create_directory`, so that a mistyped path does not
    quietly start a second, empty world. Otherwise the SQLite file must exist already.
    """
    source = "--database-url"
    if not given:
        given, source = os.environ.get(ENV_URL) or None, ENV_URL
    try:
        url = normalize(given) if given else normalize(f"sqlite:///{DEFAULT_SQLITE_PATH}")
    except BadDatabaseUrl as exc:
        raise UsageError(f"{source}: {exc}") from None
    path = sqlite_file(url)
    if path is None:
        return url
    if path.is_dir():
        raise UsageError(f"{path} is a directory: give the path of the SQLite file, e.g. sqlite:///{path}/nicstack.db")
    if not creating:
        if not path.exists():
            raise UsageError(f"there is no database at {path}: check the path (--database-url or {ENV_URL}), "
                             "or create it with nicstack db upgrade")
        return url
    if not path.parent.is_dir():
        if given and not create_directory:
            raise UsageError(f"the directory {path.parent} of the SQLite file does not exist: check the path, "
                             f"or create it (mkdir -p {path.parent}, or add --create-directory)")
        path.parent.mkdir(parents=True, exist_ok=True)
    return url
