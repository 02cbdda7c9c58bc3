"""SSH public keys as CloudStack registers them: OpenSSH one-line form, identified by their MD5 fingerprint."""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime

from nicstack.domain.errors import ParameterError
from nicstack.domain.rules import Owner

KEY_TYPES = ("ssh-rsa", "ssh-dss", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
             "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com")


@dataclass(frozen=True, slots=True)
class SshKeyPair:
    id: int
    uuid: str
    name: str
    fingerprint: str
    public_key: str
    owner: Owner
    created: datetime


def parse_public_key(text: str) -> tuple[str, str]:
    """(the key as stored: type, base64 and comment; its fingerprint, colon-separated MD5 of the key blob as
    CloudStack shows it). Raises ParameterError when the text is no OpenSSH public key."""
    parts = text.strip().split(None, 2)
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise ParameterError("Invalid value for publickey: not an OpenSSH public key ('<type> <base64> [comment]')")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError):
        raise ParameterError("Invalid value for publickey: the key is not valid base64") from None
    # The blob starts with its own type, length-prefixed: a key of another type pasted after a type is refused.
    length = int.from_bytes(blob[:4], "big") if len(blob) >= 4 else -1
    if length != len(parts[0]) or blob[4 : 4 + length] != parts[0].encode():
        raise ParameterError(f"Invalid value for publickey: the key data is not a {parts[0]} key")
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    fingerprint = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
    return " ".join(parts), fingerprint
