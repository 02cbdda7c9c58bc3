"""Virtual machines with their NICs and secondary IPs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import aliased

from nicstack.db import prepared
from nicstack.db import tables as t
from nicstack.db.repos import security_groups
from nicstack.db.repos.audience import owned_by
from nicstack.db.repos.tag_match import tagged
from nicstack.db.rows import lookup_params, lookup_statement, new_uuid, now
from nicstack.domain.access import Scope
from nicstack.domain.kinds import GuestType, Hypervisor, VmState, VmType
from nicstack.domain.model import Nic, SecondaryIp, Vm

v = t.vms


def _vm_query() -> Any:
    return (
        select(
            *v.c, t.zones.c.uuid.label("zone_uuid"), t.zones.c.name.label("zone_name"),
            t.hosts.c.uuid.label("host_uuid"), t.hosts.c.name.label("host_name"),
            t.accounts.c.name.label("account_name"), t.domains.c.uuid.label("domain_uuid"),
            t.domains.c.name.label("domain_name"), t.domains.c.path.label("domain_path"),
            t.service_offerings.c.uuid.label("so_uuid"), t.service_offerings.c.name.label("so_name"),
            t.templates.c.uuid.label("tpl_uuid"), t.templates.c.name.label("tpl_name"),
        )
        .select_from(
            v.join(t.zones, t.zones.c.id == v.c.zone_id)
            .join(t.accounts, t.accounts.c.id == v.c.account_id)
            .join(t.domains, t.domains.c.id == v.c.domain_id)
            .outerjoin(t.hosts, t.hosts.c.id == v.c.host_id)
            .outerjoin(t.service_offerings, t.service_offerings.c.id == v.c.service_offering_id)
            .outerjoin(t.templates, t.templates.c.id == v.c.template_id)
        )
        .where(v.c.removed.is_(None))
    )


@dataclass(frozen=True, slots=True)
class NicRow:
    """A NIC's columns that its VM's metadata entry writes."""

    id: int
    network_id: int
    network_uuid: str
    uuid: str
    device_id: int
    mac_address: str
    ip4_address: str | None
    netmask: str | None
    gateway: str | None
    ip6_address: str | None
    ip6_gateway: str | None
    ip6_cidr: str | None
    is_default: bool


@dataclass(frozen=True, slots=True)
class MetadataRows:
    """A VM's columns that its metadata entry writes; its NICs by device (their addresses: `secondaries_of`)."""

    id: int
    uuid: str
    name: str
    zone: str
    service_offering: str
    nics: tuple[NicRow, ...]


def _vm(m: Any, nics: tuple[Nic, ...], groups: tuple[tuple[str, str], ...] = ()) -> Vm:
    return Vm(
        m["id"], m["uuid"], m["name"], m["display_name"], VmType(m["vm_type"]), VmState(m["state"]),
        m["zone_id"], m["zone_uuid"], m["zone_name"], m["host_id"], m["host_uuid"], m["host_name"],
        Hypervisor(m["hypervisor"]), m["account_id"], m["account_name"], m["domain_id"], m["domain_uuid"],
        m["domain_name"], m["domain_path"], m["so_uuid"], m["so_name"], m["tpl_uuid"], m["tpl_name"],
        m["created"], nics, groups, m["keypairs"],
    )


_vm_alias = aliased(t.vms)


def _nic_query() -> Any:
    n = t.nics
    return (
        select(
            *n.c, _vm_alias.c.uuid.label("vm_uuid"), t.networks.c.uuid.label("network_uuid"),
            t.networks.c.name.label("network_name"), t.networks.c.guest_type, t.networks.c.vlan,
            t.networks.c.vpc_id, t.vpcs.c.uuid.label("vpc_uuid"),
        )
        .select_from(
            n.join(t.networks, t.networks.c.id == n.c.network_id).join(_vm_alias, _vm_alias.c.id == n.c.vm_id)
            .outerjoin(t.vpcs, t.vpcs.c.id == t.networks.c.vpc_id)
        )
        .where(n.c.removed.is_(None))
    )


def _nic(m: Any, secondary: tuple[SecondaryIp, ...]) -> Nic:
    return Nic(
        m["id"], m["uuid"], m["vm_id"], m["vm_uuid"], m["network_id"], m["network_uuid"], m["network_name"],
        GuestType(m["guest_type"]), m["device_id"], m["mac_address"], m["ip4_address"], m["netmask"],
        m["gateway"], m["ip6_address"], m["ip6_gateway"], m["ip6_cidr"], bool(m["is_default"]),
        bool(m["secondary_ip"]), m["vpc_uuid"], m["vlan"], secondary,
    )


_NICS_OF_VMS = _nic_query().where(t.nics.c.vm_id.in_(bindparam("vm_ids", expanding=True)))
_NICS_OF_VM = _nic_query().where(t.nics.c.vm_id == bindparam("vm_id"))
_s = t.nic_secondary_ips
_SECONDARIES = select(_s).where(_s.c.nic_id.in_(bindparam("nic_ids", expanding=True))).order_by(_s.c.id)
_SERVING = (VmState.RUNNING, VmState.STOPPED)
# The metadata pass: the texts of the VMs' entries, by narrow reads.
_zo, _so, _ne = t.zones, t.service_offerings, t.networks
_META_VMS = (select(v.c.id, v.c.uuid, v.c.name, _zo.c.name.label("zone"), _so.c.name.label("offering"))
             .select_from(v.join(_zo, _zo.c.id == v.c.zone_id)
                          .outerjoin(_so, _so.c.id == v.c.service_offering_id))
             .where(v.c.id.in_(bindparam("vm_ids", expanding=True)), v.c.removed.is_(None),
                    v.c.state.in_(_SERVING)))
_n = t.nics
_META_NICS = (select(_n.c.vm_id, _n.c.id, _n.c.network_id, _ne.c.uuid.label("network_uuid"), _n.c.uuid,
                     _n.c.device_id, _n.c.mac_address, _n.c.ip4_address, _n.c.netmask, _n.c.gateway,
                     _n.c.ip6_address, _n.c.ip6_gateway, _n.c.ip6_cidr, _n.c.is_default)
              .select_from(_n.join(_ne, _ne.c.id == _n.c.network_id))
              .where(_n.c.vm_id.in_(bindparam("vm_ids", expanding=True)), _n.c.removed.is_(None)))
# One NIC at a time, prepared: its index gives the rows in id order without a sort of the whole batch's.
_META_ADDRESSES = (select(_s.c.ip4_address, _s.c.ip6_address)
                   .where(_s.c.nic_id == bindparam("nic_id")).order_by(_s.c.id))
# Which of some addresses some NICs hold now, with the NICs' uuids (NULL columns: a NIC holds none of them).
_HELD_AT = (select(t.nics.c.id, t.nics.c.uuid, _s.c.id.label("secondary_id"), _s.c.ip4_address, _s.c.ip6_address)
            .select_from(t.nics.outerjoin(_s, (_s.c.nic_id == t.nics.c.id) & (
                _s.c.ip4_address.in_(bindparam("ip4", expanding=True))
                | _s.c.ip6_address.in_(bindparam("ip6", expanding=True)))))
            .where(t.nics.c.id.in_(bindparam("nic_ids", expanding=True))))
_UUIDS = select(v.c.id, v.c.uuid).where(v.c.id.in_(bindparam("vm_ids", expanding=True)))
_USER_DATA = (select(t.vm_user_data.c.vm_id, t.vm_user_data.c.user_data)
              .where(t.vm_user_data.c.vm_id.in_(bindparam("vm_ids", expanding=True))))


def _nic_order(nic: Nic) -> tuple[bool, int]:
    # The default NIC first, then by device id: Ansible and Terraform take nic[0].
    return (not nic.is_default, nic.device_id)


_VM_OF_NIC = _vm_query().where(
    v.c.id == select(t.nics.c.vm_id).where(t.nics.c.uuid == bindparam("nic_uuid"), t.nics.c.removed.is_(None))
    .scalar_subquery()
)


@dataclass(frozen=True, slots=True)
class VmQuery:
    """A VM listing, its references resolved to row ids: the VMs of `owners` of `vm_type` matching the rest."""

    owners: Scope
    vm_type: VmType = VmType.USER
    vm_id: int | None = None
    zone_id: int | None = None
    host_id: int | None = None
    network_id: int | None = None  # VMs with a live NIC in it
    name: str | None = None
    state: str | None = None
    keyword: str | None = None  # within the name or the display name
    tags: tuple[tuple[str, str | None], ...] = ()  # every (key, value) pair; a None value: any
    # CloudStack's allow.user.view.destroyed.vm=false: a user lists no destroyed VM (recovering one by id works).
    hide_destroyed: bool = False

    def where(self) -> list[Any]:
        where: list[Any] = [v.c.vm_type == str(self.vm_type), *owned_by(self.owners, v.c.account_id)]
        where += tagged("UserVm", v.c.uuid, list(self.tags))
        if self.hide_destroyed:
            where.append(v.c.state.not_in((str(VmState.DESTROYED), str(VmState.EXPUNGING))))
        for column, value in ((v.c.id, self.vm_id), (v.c.zone_id, self.zone_id), (v.c.host_id, self.host_id),
                              (v.c.name, self.name), (v.c.state, self.state)):
            if value is not None:
                where.append(column == value)
        if self.network_id is not None:
            n = t.nics.c
            where.append(v.c.id.in_(select(n.vm_id).where(n.network_id == self.network_id, n.removed.is_(None))))
        if self.keyword is not None:
            where.append(v.c.name.contains(self.keyword, autoescape=True)
                         | v.c.display_name.contains(self.keyword, autoescape=True))
        return where


@dataclass(frozen=True, slots=True)
class NicOwner:
    """A live NIC and what addIpToNic needs of its VM, read by one narrow query: the whole VM
    with every NIC costs several times more and is the request's largest read."""

    nic_id: int
    nic_uuid: str
    network_id: int
    mac_address: str
    secondary_ip: bool
    vm_id: int
    vm_uuid: str
    vm_name: str
    vm_type: VmType
    account_id: int
    domain_id: int
    domain_path: str


_n = t.nics
_NIC_OWNER = (
    select(
        _n.c.id.label("nic_id"), _n.c.uuid.label("nic_uuid"), _n.c.network_id, _n.c.mac_address, _n.c.secondary_ip,
        v.c.id.label("vm_id"), v.c.uuid.label("vm_uuid"), v.c.name.label("vm_name"), v.c.vm_type, v.c.account_id,
        v.c.domain_id, t.domains.c.path.label("domain_path"),
    )
    .select_from(_n.join(v, v.c.id == _n.c.vm_id).join(t.domains, t.domains.c.id == v.c.domain_id))
    .where(_n.c.uuid == bindparam("nic_uuid"), _n.c.removed.is_(None), v.c.removed.is_(None))
)


@dataclass(frozen=True, slots=True)
class HeldSecondaryIp:
    """A secondary IP with the NIC and VM that hold it: what removeIpFromNic needs, in one query."""

    id: int
    uuid: str
    address: str
    nic_id: int
    nic_uuid: str
    network_id: int
    vm_id: int
    vm_uuid: str
    vm_name: str
    account_id: int
    domain_id: int
    domain_path: str


_s = t.nic_secondary_ips
_INSERT_SECONDARY = _s.insert()
_MOVE_SECONDARY = _s.update().where(_s.c.id == bindparam("secondary_id")).values(
    nic_id=bindparam("nic_id"), vm_id=bindparam("vm_id"), account_id=bindparam("account_id"),
    domain_id=bindparam("domain_id"))
_HELD = (
    select(
        _s.c.id, _s.c.uuid, _s.c.ip4_address, _s.c.ip6_address, _s.c.nic_id, _n.c.uuid.label("nic_uuid"),
        _s.c.network_id, v.c.id.label("vm_id"), v.c.uuid.label("vm_uuid"), v.c.name.label("vm_name"),
        v.c.account_id, v.c.domain_id, t.domains.c.path.label("domain_path"),
    )
    .select_from(_s.join(_n, _n.c.id == _s.c.nic_id).join(v, v.c.id == _s.c.vm_id)
                 .join(t.domains, t.domains.c.id == v.c.domain_id))
    .where(_s.c.uuid == bindparam("uuid"))
)


_COUNT_SECONDARY = (
    select(func.count()).select_from(t.nic_secondary_ips).where(t.nic_secondary_ips.c.nic_id == bindparam("nic_id"))
)


class VmRepository:
    """Virtual machines with their NICs and secondary IPs."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def secondary_ips(self, nic_ids: list[int], keyword: str | None = None) -> dict[int, list[SecondaryIp]]:
        found: dict[int, list[SecondaryIp]] = defaultdict(list)
        for r in self.conn.execute(_SECONDARIES, {"nic_ids": nic_ids}):
            address = r.ip4_address or r.ip6_address
            if keyword and keyword not in address:
                continue
            found[r.nic_id].append(SecondaryIp(r.id, r.uuid, r.nic_id, r.network_id, address, r.created,
                                               r.description))
        return found

    def nics_of(self, vm_ids: list[int], with_secondary: bool = True, keyword: str | None = None
    ) -> dict[int, list[Nic]]:
        if not vm_ids:
            return {}
        rows = [r._mapping for r in self.conn.execute(_NICS_OF_VMS, {"vm_ids": vm_ids})]
        extra = self.secondary_ips([m["id"] for m in rows], keyword) if with_secondary else {}
        found: dict[int, list[Nic]] = defaultdict(list)
        for m in rows:
            found[m["vm_id"]].append(_nic(m, tuple(extra.get(m["id"], ()))))
        for nics in found.values():
            nics.sort(key=_nic_order)
        return found

    def vm_by(self, with_secondary: bool = True, **where: Any) -> Vm | None:
        row = self.conn.execute(lookup_statement(_vm_query, v, tuple(where)), lookup_params(where)).first()
        if row is None:
            return None
        nics = self.nics_of([row.id], with_secondary).get(row.id, [])
        groups = self._groups([row.id]) if with_secondary else {}
        return _vm(row._mapping, tuple(nics), groups.get(row.id, ()))

    def vm_of_nic(self, nic_uuid: str) -> tuple[Vm, Nic] | None:
        """The VM owning a live NIC (without secondary IPs or groups: the hot path of addIpToNic)."""
        row = prepared.first(self.conn, _VM_OF_NIC, {"nic_uuid": nic_uuid})
        if row is None:
            return None
        rows = prepared.rows(self.conn, _NICS_OF_VM, {"vm_id": row["id"]})
        nics = sorted((_nic(m, ()) for m in rows), key=_nic_order)
        nic = next((n for n in nics if n.uuid == nic_uuid), None)
        return (_vm(row, tuple(nics), ()), nic) if nic is not None else None

    def nic_owner(self, nic_uuid: str) -> NicOwner | None:
        row = prepared.first(self.conn, _NIC_OWNER, {"nic_uuid": nic_uuid})
        if row is None:
            return None
        return NicOwner(**{**row, "secondary_ip": bool(row["secondary_ip"]), "vm_type": VmType(row["vm_type"])})

    def matching(self, query: VmQuery, page: tuple[int, int] | None) -> tuple[list[Vm], int]:
        return self.listing(query.where(), page)

    def listing(self, where: list[Any], page: tuple[int, int] | None, keyword: str | None = None
    ) -> tuple[list[Vm], int]:
        query = _vm_query().where(*where)
        total = self.conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        return self.loaded(where, page), total

    def loaded(self, where: list[Any], page: tuple[int, int] | None = None) -> list[Vm]:
        """The VMs matching `where` with their NICs and groups, without counting them."""
        query = _vm_query().where(*where).order_by(v.c.id)
        if page:
            query = query.limit(page[1]).offset(page[0])
        rows = [r._mapping for r in self.conn.execute(query)]
        nics = self.nics_of([m["id"] for m in rows])
        groups = self._groups([m["id"] for m in rows])
        return [_vm(m, tuple(nics.get(m["id"], ())), groups.get(m["id"], ())) for m in rows]

    def metadata_rows(self, vm_ids: Sequence[int]) -> list[MetadataRows]:
        """Those of the VMs that run or are stopped (a destroyed VM keeps its NICs until it is expunged, but asks
        nothing), as the texts their metadata entries write, with their NICs by device: two reads for all.

        The metadata pass renders these for every VM a burst of jobs changed, without typed values.
        """
        vms = prepared.tuples(self.conn, _META_VMS, {"vm_ids": list(vm_ids)})
        if not vms:
            return []
        nics: dict[int, list[NicRow]] = defaultdict(list)
        for row in prepared.tuples(self.conn, _META_NICS, {"vm_ids": [vm[0] for vm in vms]}):
            nics[row[0]].append(NicRow(*row[1:]))
        return [MetadataRows(vm_id, uuid, name, zone, offering or "",
                             tuple(sorted(nics.get(vm_id, ()), key=lambda nic: nic.device_id)))
                for vm_id, uuid, name, zone, offering in sorted(vms)]

    def secondaries_of(self, nic_ids: Iterable[int]) -> dict[int, tuple[list[str], list[str]]]:
        """Per NIC id: its secondary IPv4 and IPv6 addresses in the order they were added, one prepared read
        per NIC (the NICs of a busy network hold hundreds of addresses)."""
        found: dict[int, tuple[list[str], list[str]]] = {}
        for nic_id in nic_ids:
            held = prepared.tuples(self.conn, _META_ADDRESSES, {"nic_id": nic_id})
            found[nic_id] = ([ip4 for ip4, _ in held if ip4 is not None], [ip6 for ip4, ip6 in held if ip4 is None])
        return found

    def secondaries_at(self, pairs: Iterable[tuple[int, str]]) -> tuple[dict[int, str], dict[tuple[int, str], int]]:
        """Of (NIC id, address) pairs: the NICs' uuids, and the secondary IP id of each pair a NIC holds now;
        one read, however many addresses the NICs hold."""
        wanted = set(pairs)
        if not wanted:
            return {}, {}
        texts = sorted({address for _, address in wanted})
        rows = prepared.tuples(self.conn, _HELD_AT, {"nic_ids": sorted({nic for nic, _ in wanted}),
                                                     "ip4": [a for a in texts if ":" not in a],
                                                     "ip6": [a for a in texts if ":" in a]})
        uuids = {nic_id: uuid for nic_id, uuid, *_ in rows}
        held = {(nic_id, ip4 or ip6): secondary_id for nic_id, _, secondary_id, ip4, ip6 in rows
                if secondary_id is not None and (nic_id, ip4 or ip6) in wanted}
        return uuids, held

    def _groups(self, vm_ids: list[int]) -> dict[int, tuple[tuple[str, str], ...]]:
        """Per VM: (uuid, name) of its security groups."""
        found = security_groups.SecurityGroupRepository(self.conn).groups_of_vms(vm_ids)
        return {vm_id: tuple((uuid, name) for _, uuid, name in groups) for vm_id, groups in found.items()}

    def create_vm(self, **values: Any) -> int:
        key = self.conn.execute(v.insert().values(uuid=new_uuid(), created=now(), **values)).inserted_primary_key
        assert key is not None
        return int(key[0])

    def update_vm(self, vm_id: int, **values: Any) -> None:
        self.conn.execute(v.update().where(v.c.id == vm_id).values(**values))

    def uuids_of(self, vm_ids: Sequence[int]) -> dict[int, str]:
        """VM id -> uuid, for those of `vm_ids` that exist (expunged ones included)."""
        return dict(prepared.tuples(self.conn, _UUIDS, {"vm_ids": list(vm_ids)}))

    def set_user_data(self, vm_id: int, user_data: str | None) -> None:
        """Replace the VM's user data (None or "": it has none)."""
        ud = t.vm_user_data
        self.conn.execute(ud.delete().where(ud.c.vm_id == vm_id))
        if user_data:
            self.conn.execute(ud.insert().values(vm_id=vm_id, user_data=user_data))

    def user_data(self, vm_ids: Sequence[int]) -> dict[int, str]:
        """Per VM id, its user data (base64); VMs without any are absent."""
        return dict(prepared.tuples(self.conn, _USER_DATA, {"vm_ids": list(vm_ids)}))

    def create_nic(self, **values: Any) -> int:
        key = self.conn.execute(
            t.nics.insert().values(uuid=new_uuid(), created=now(), state="Reserved", secondary_ip=0, **values)
        ).inserted_primary_key
        assert key is not None
        return int(key[0])

    def update_nic(self, nic_id: int, **values: Any) -> None:
        self.conn.execute(t.nics.update().where(t.nics.c.id == nic_id).values(**values))

    def remove_nic(self, nic_id: int) -> None:
        self.conn.execute(t.nics.update().where(t.nics.c.id == nic_id).values(removed=now(), state="Deallocating"))

    def count_secondary(self, nic_id: int) -> int:
        return int(prepared.scalar(self.conn, _COUNT_SECONDARY, {"nic_id": nic_id}))

    def held_secondary(self, uuid: str) -> HeldSecondaryIp | None:
        row = prepared.first(self.conn, _HELD, {"uuid": uuid})
        if row is None:
            return None
        address = row.pop("ip4_address") or row.pop("ip6_address")
        row.pop("ip6_address", None)
        return HeldSecondaryIp(address=address, **row)

    def insert_secondaries(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[int, str]]:
        """Secondary IP rows; their ids and uuids in the same order."""
        made = [{"uuid": new_uuid(), "created": now(), **values} for values in rows]
        if len(made) == 1:  # the hot path: one address, on the prepared statement
            return [(prepared.insert(self.conn, _s, made[0]), made[0]["uuid"])]
        # executemany, then the ids read back by uuid (see AllocationRepository.insert_many).
        prepared.execute_many(self.conn, _INSERT_SECONDARY, made)
        uuids = [row["uuid"] for row in made]
        found = self.conn.execute(select(_s.c.uuid, _s.c.id).where(_s.c.uuid.in_(uuids)))
        ids = {uuid: row_id for uuid, row_id in found}
        return [(ids[uuid], uuid) for uuid in uuids]

    def held_secondary_by_id(self, secondary_id: int) -> HeldSecondaryIp | None:
        uuid = self.conn.execute(select(_s.c.uuid).where(_s.c.id == secondary_id)).scalar()
        return self.held_secondary(uuid) if uuid is not None else None

    def move_secondary(self, secondary_id: int, to: NicOwner) -> None:
        """The secondary IP now belongs to another NIC (of the same network), and to that NIC's VM's owner."""
        prepared.execute(self.conn, _MOVE_SECONDARY, {"secondary_id": secondary_id, "nic_id": to.nic_id,
                                                      "vm_id": to.vm_id, "account_id": to.account_id,
                                                      "domain_id": to.domain_id})

    def delete_secondary(self, secondary_id: int) -> None:
        self.conn.execute(t.nic_secondary_ips.delete().where(t.nic_secondary_ips.c.id == secondary_id))

    def nic_in_network(self, network_id: int) -> bool:
        n = t.nics
        found = self.conn.execute(select(n.c.id).where(n.c.network_id == network_id, n.c.removed.is_(None)).limit(1))
        return found.first() is not None
