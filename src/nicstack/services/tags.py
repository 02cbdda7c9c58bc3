"""Use cases of resource tags: createTags and deleteTags on resources the caller may act on (all or none)."""

from __future__ import annotations

from dataclasses import dataclass, field

from nicstack.db.repos.audience import owned_by
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, may_access
from nicstack.domain.errors import ParameterError, UnknownEntity
from nicstack.domain.kinds import Role
from nicstack.domain.tags import ResourceTag, resource_type_of
from nicstack.services.scope import OwnerFilter, list_scope


@dataclass(frozen=True, slots=True)
class TagChange:
    resource_type: str
    resource_uuids: list[str]
    pairs: list[tuple[str, str | None]] = field(default_factory=list)
    customer: str | None = None


def _owners(uow: SqlUnitOfWork, caller: Caller, resource_type: str, uuids: list[str]) -> dict[str, tuple[int, int]]:
    """(account id, domain id) to own each resource's tags; a resource the caller may not see is unknown."""
    found = uow.tags.owners(resource_type, uuids)
    owners: dict[str, tuple[int, int]] = {}
    for uuid in uuids:
        owner = found.get(uuid)
        if owner is None:
            raise UnknownEntity("resourceids", uuid)
        account_id, domain_id, path = owner
        if account_id is None:
            # A shared network belongs to its domain: its domain's admins (and root) tag it, as themselves.
            if not (caller.is_root_admin or (caller.role is Role.DOMAIN_ADMIN and path.startswith(caller.domain_path))):
                raise UnknownEntity("resourceids", uuid)
            owners[uuid] = (caller.account_id, domain_id)
        elif may_access(caller, account_id, path):
            owners[uuid] = (account_id, domain_id)
        else:
            raise UnknownEntity("resourceids", uuid)
    return owners


def _uuids(items: list[str]) -> list[str]:
    return sorted(set(items))


def create_tags(uow: SqlUnitOfWork, caller: Caller, change: TagChange) -> str:
    """Put every tag on every resource; a key a resource has already is refused (431), and nothing is written."""
    kind = resource_type_of(change.resource_type)
    uuids = _uuids(change.resource_uuids)
    with uow:
        owners = _owners(uow, caller, kind, uuids)
        taken = uow.tags.keys_of(kind, uuids)
        for uuid in uuids:
            for key, _ in change.pairs:
                if (uuid, key) in taken:
                    raise ParameterError(f"{kind} {uuid} already has a tag with key {key}: delete it first")
        for uuid in uuids:
            account_id, domain_id = owners[uuid]
            for key, value in change.pairs:
                assert value is not None
                uow.tags.insert(kind, uuid, key, value, change.customer, account_id, domain_id)
        uow.events.record(caller, "CREATE_TAGS", f"Tagged {kind} {', '.join(uuids)} with "
                          f"{', '.join(k for k, _ in change.pairs)}")
        return uow.start_job(caller, "createTags")


def delete_tags(uow: SqlUnitOfWork, caller: Caller, change: TagChange) -> str:
    """Delete the given tags (by key, and value where given) of the resources, or all their tags without any."""
    kind = resource_type_of(change.resource_type)
    uuids = _uuids(change.resource_uuids)
    with uow:
        _owners(uow, caller, kind, uuids)
        uow.tags.delete(kind, uuids, change.pairs)
        uow.events.record(caller, "DELETE_TAGS", f"Deleted tags of {kind} {', '.join(uuids)}")
        return uow.start_job(caller, "deleteTags")


@dataclass(frozen=True, slots=True)
class TagFilter:
    """listTags: the tags of `owner`'s resources matching the rest (None: any)."""

    owner: OwnerFilter = field(default_factory=OwnerFilter)
    resource_type: str | None = None  # any case, as CloudStack's clients send it
    resource_uuid: str | None = None
    key: str | None = None
    value: str | None = None
    customer: str | None = None
    keyword: str | None = None  # within the key
    page: tuple[int, int] | None = None


def list_tags(uow: SqlUnitOfWork, caller: Caller, wanted: TagFilter) -> tuple[list[ResourceTag], int]:
    with uow.reading():
        c = uow.tags.columns()
        where = owned_by(list_scope(uow, caller, wanted.owner), c.account_id)
        if wanted.resource_type is not None:
            where.append(c.resource_type == resource_type_of(wanted.resource_type))
        for column, value in ((c.resource_uuid, wanted.resource_uuid), (c.key, wanted.key), (c.value, wanted.value),
                              (c.customer, wanted.customer)):
            if value is not None:
                where.append(column == value)
        if wanted.keyword is not None:
            where.append(c.key.contains(wanted.keyword, autoescape=True))
        return uow.tags.listing(where, wanted.page)
