"""Credentials: password hashes, API and secret keys, and how long a UI session lives."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

SESSION_LIFETIME = timedelta(hours=8)
_PBKDF2_ROUNDS = 100_000


def hash_password(password: str) -> str:
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), _PBKDF2_ROUNDS)
    return f"pbkdf2_sha256${_PBKDF2_ROUNDS}${salt}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, rounds, salt, expected = stored.split("$")
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(rounds))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), expected)


def new_key() -> str:
    """An API or secret key: URL-safe, as long as CloudStack's, and never starting with "-",
    because command-line clients (`cs`, wire_check.py, any argparse tool) read such a value
    as an option and refuse `--secret-key -abc...`."""
    while True:
        key = secrets.token_urlsafe(64)
        if not key.startswith("-"):
            return key
