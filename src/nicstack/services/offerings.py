"""Listing what clients deploy with: network offerings, service offerings and templates, by typed filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError, UnknownEntity
from nicstack.domain.kinds import GuestType
from nicstack.domain.model import NetworkOffering, Zone
from nicstack.services import lookup

TEMPLATE_FILTERS = ("featured", "self", "selfexecutable", "sharedexecutable", "executable", "community", "all")


@dataclass(frozen=True, slots=True)
class NetworkOfferingFilter:
    """listNetworkOfferings: the offerings (or the one `uuid`) matching the rest (None: any)."""

    uuid: str | None = None
    zone_uuid: str | None = None  # checked to exist; every offering is offered in every zone
    name: str | None = None  # the whole name, in any case
    guest_type: str | None = None  # Isolated, Shared or L2, in any case; empty: any
    for_vpc: bool | None = None
    is_default: bool | None = None
    state: str | None = None  # Enabled, Disabled or All, in any case
    keyword: str | None = None  # within the name, in any case; empty: any


@dataclass(frozen=True, slots=True)
class ServiceOfferingFilter:
    uuid: str | None = None
    name: str | None = None  # the whole name, in any case
    keyword: str | None = None  # within the name, in any case; empty: any


@dataclass(frozen=True, slots=True)
class TemplateFilter:
    """listTemplates: the templates `which` (a TEMPLATE_FILTERS name, in any case) keeps, matching the rest."""

    which: str
    uuid: str | None = None
    zone_uuid: str | None = None
    name: str | None = None
    keyword: str | None = None  # within the name, in any case; empty: any


@dataclass(frozen=True, slots=True)
class TemplateListing:
    """Templates with the zones each is listed in; every template is cross-zone."""

    templates: list[dict[str, Any]]
    zones: list[Zone]
    owner: tuple[str, str] | None


def list_network_offerings(uow: SqlUnitOfWork, wanted: NetworkOfferingFilter) -> list[NetworkOffering]:
    with uow.reading():
        if wanted.zone_uuid is not None:
            lookup.zone(uow, wanted.zone_uuid)
        found = uow.infra.network_offerings(uuid=wanted.uuid)
        if wanted.uuid is not None and not found:
            raise UnknownEntity("id", wanted.uuid)
    guest = (wanted.guest_type or "").lower()
    if guest and guest not in {g.value.lower() for g in GuestType}:
        raise ParameterError(f"Invalid value {wanted.guest_type!r} for guestiptype: use Isolated, Shared or L2")
    return [
        o for o in found
        if (wanted.name is None or o.name.lower() == wanted.name.lower())
        and (not guest or o.guest_type.value.lower() == guest)
        and (wanted.for_vpc is None or o.for_vpc == wanted.for_vpc)
        and (wanted.is_default is None or o.is_default == wanted.is_default)
        and (wanted.state is None or wanted.state.lower() in ("all", o.state.lower()))
        and (not wanted.keyword or wanted.keyword.lower() in o.name.lower())
    ]


def list_service_offerings(uow: SqlUnitOfWork, wanted: ServiceOfferingFilter) -> list[dict[str, Any]]:
    with uow.reading():
        found = uow.infra.service_offerings(uuid=wanted.uuid)
    if wanted.uuid is not None and not found:
        raise UnknownEntity("id", wanted.uuid)
    return [
        o for o in found
        if (wanted.name is None or o["name"].lower() == wanted.name.lower())
        and (not wanted.keyword or wanted.keyword.lower() in o["name"].lower())
    ]


def _kept_by(which: str, tpl: dict[str, Any]) -> bool:
    featured, public = bool(tpl["is_featured"]), bool(tpl["is_public"])
    # Every template belongs to the system account: nobody's "self" filters match one.
    return {"featured": featured, "community": public and not featured, "executable": public or featured,
            "all": True}.get(which, False)


def list_templates(uow: SqlUnitOfWork, caller: Caller, wanted: TemplateFilter) -> TemplateListing:
    which = wanted.which.strip().lower()
    if which not in TEMPLATE_FILTERS:
        raise ParameterError(f"Invalid value {wanted.which!r} for templatefilter: use one of "
                             + ", ".join(TEMPLATE_FILTERS))
    if which == "all" and not caller.is_admin:
        raise ParameterError("templatefilter all is for administrators; use executable or featured")
    with uow.reading():
        zones = [lookup.zone(uow, wanted.zone_uuid)] if wanted.zone_uuid is not None else uow.infra.zones()
        found = uow.infra.templates(uuid=wanted.uuid)
        if wanted.uuid is not None and not found:
            raise UnknownEntity("id", wanted.uuid)
        root = uow.accounts.domain_by(path="/")
    chosen = [
        tpl for tpl in found
        if _kept_by(which, tpl)
        and (wanted.name is None or tpl["name"] == wanted.name)
        and (not wanted.keyword or wanted.keyword.lower() in tpl["name"].lower())
    ]
    return TemplateListing(chosen, zones, (root.uuid, root.name) if root else None)
