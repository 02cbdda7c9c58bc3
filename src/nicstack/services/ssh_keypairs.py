"""Use cases of SSH key pairs: register, delete, list, and naming them on deploy (stored, never used here).

A key pair belongs to one account and is named within it; nicstack does not touch guests, so it
keeps the public key only for clients that read it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nicstack.db import tables as t
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError, UnknownEntity
from nicstack.domain.model import Account
from nicstack.domain.ssh_keys import SshKeyPair, parse_public_key
from nicstack.services.networks import owner_account
from nicstack.services.scope import OwnerFilter, list_scope


@dataclass(frozen=True, slots=True)
class KeyPairFilter:
    uuid: str | None = None
    name: str | None = None
    fingerprint: str | None = None
    keyword: str | None = None
    owner: OwnerFilter = field(default_factory=OwnerFilter)
    page: tuple[int, int] | None = None


def register_ssh_keypair(uow: SqlUnitOfWork, caller: Caller, *, name: str, public_key: str,
                         account: str | None = None, domain_uuid: str | None = None) -> SshKeyPair:
    """Raises ParameterError for a bad key, or a name or key the account has registered already."""
    stored, fingerprint = parse_public_key(public_key)
    if not name.strip():
        raise ParameterError("Invalid value '' for name: a key pair needs a name")
    with uow:
        owner = owner_account(uow, caller, account, domain_uuid)
        if uow.ssh_keypairs.pair_by(account_id=owner.id, name=name) is not None:
            raise ParameterError(f"A key pair with name '{name}' already exists for account {owner.name}")
        if uow.ssh_keypairs.pair_by(account_id=owner.id, fingerprint=fingerprint) is not None:
            raise ParameterError(f"A key pair with key fingerprint {fingerprint} already exists for account "
                                 f"{owner.name}")
        pair_id = uow.ssh_keypairs.create(name=name, fingerprint=fingerprint, public_key=stored,
                                          account_id=owner.id, domain_id=owner.domain_id)
        uow.events.record(caller, "REGISTER.SSH.KEYPAIR", f"Registered SSH key pair {name}",
                          account_id=owner.id, domain_id=owner.domain_id)
        pair = uow.ssh_keypairs.pair_by(id=pair_id)
        assert pair is not None
        return pair


def delete_ssh_keypair(uow: SqlUnitOfWork, caller: Caller, *, name: str, account: str | None = None,
                       domain_uuid: str | None = None) -> None:
    with uow:
        owner = owner_account(uow, caller, account, domain_uuid)
        pair = uow.ssh_keypairs.pair_by(account_id=owner.id, name=name)
        if pair is None:
            raise ParameterError(f"A key pair with name '{name}' does not exist for account {owner.name}")
        uow.ssh_keypairs.delete(pair.id)
        uow.events.record(caller, "DELETE.SSH.KEYPAIR", f"Deleted SSH key pair {name}",
                          account_id=owner.id, domain_id=owner.domain_id)


def list_ssh_keypairs(uow: SqlUnitOfWork, caller: Caller, wanted: KeyPairFilter) -> tuple[list[SshKeyPair], int]:
    k = t.ssh_keypairs
    with uow.reading():
        scope = list_scope(uow, caller, wanted.owner)
        where: list[Any] = []
        if scope.account_id is not None:
            where.append(k.c.account_id == scope.account_id)
        if scope.domain_path is not None:
            where.append(t.domains.c.path.startswith(scope.domain_path))
        if wanted.uuid is not None:
            where.append(k.c.uuid == wanted.uuid)
        for column, value in ((k.c.name, wanted.name), (k.c.fingerprint, wanted.fingerprint)):
            if value is not None:
                where.append(column == value)
        if wanted.keyword:
            where.append(k.c.name.contains(wanted.keyword, autoescape=True))
        found, total = uow.ssh_keypairs.listing(where, wanted.page)
        if wanted.uuid is not None and not found:
            raise UnknownEntity("id", wanted.uuid)
        return found, total


def names_for_vm(uow: SqlUnitOfWork, owner: Account, names: tuple[str, ...]) -> str | None:
    """The VM's key pairs as stored (comma-separated); each must be one of the owner's."""
    for name in names:
        if uow.ssh_keypairs.pair_by(account_id=owner.id, name=name) is None:
            raise ParameterError(f"A key pair with name '{name}' was not found for account {owner.name}")
    return ",".join(dict.fromkeys(names)) or None
