"""Small helpers shared by the repositories."""

from __future__ import annotations

import uuid as uuidlib
from datetime import UTC, datetime


def new_uuid() -> str:
    return str(uuidlib.uuid4())


def now() -> datetime:
    """UTC wall time without tzinfo: what every DateTime column stores."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
