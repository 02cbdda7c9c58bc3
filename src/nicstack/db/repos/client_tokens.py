"""Client tokens: what a request with a token made, so that its retry answers the same."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from nicstack.db import tables as t
from nicstack.db.rows import now

c = t.client_tokens


class TokenTaken(Exception):
    """Another request with the same token committed first: run again, and find its answer."""


@dataclass(frozen=True, slots=True)
class Remembered:
    request: str  # the digest of what was asked
    job_uuid: str
    result: str  # the typed value the request answered (domain.codec JSON)


class ClientTokenRepository:
    """Client tokens, read and written through one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def find(self, account_id: int, command: str, token: str) -> Remembered | None:
        row = self.conn.execute(select(c.c.request, c.c.job_uuid, c.c.result).where(
            c.c.account_id == account_id, c.c.command == command, c.c.token == token)).first()
        return Remembered(row[0], row[1], row[2]) if row else None

    def remember(self, account_id: int, command: str, token: str, found: Remembered) -> None:
        try:
            self.conn.execute(c.insert().values(account_id=account_id, command=command, token=token,
                                                request=found.request, job_uuid=found.job_uuid,
                                                result=found.result, created=now()))
        except IntegrityError:
            raise TokenTaken from None
