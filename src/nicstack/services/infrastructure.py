"""Use cases of the cloud's physical side: zones, pods, hosts (offerings and templates: offerings.py)."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.errors import ParameterError, UnknownEntity
from nicstack.domain.kinds import Hypervisor, ZoneType
from nicstack.domain.model import Host, Pod, Zone
from nicstack.ipam.addresses import network_from_gateway, parse_address, parse_ipv4, parse_network
from nicstack.services import guest_ranges

ENABLED = "Enabled"


@dataclass(frozen=True, slots=True)
class NewZone:
    name: str
    network_type: str
    dns1: str
    internal_dns1: str
    security_groups_enabled: bool | None = None
    guest_cidr: str | None = None


@dataclass(frozen=True, slots=True)
class NewPod:
    zone_uuid: str
    name: str
    gateway: str
    netmask: str
    start_ip: str | None = None
    end_ip: str | None = None


@dataclass(frozen=True, slots=True)
class NewHost:
    zone_uuid: str
    pod_uuid: str
    hypervisor: str
    url: str


@dataclass(frozen=True, slots=True)
class ZoneFilter:
    """listZones: the zones (or the one zone `uuid`) matching the rest (None: any)."""

    uuid: str | None = None
    network_type: str | None = None  # Basic or Advanced, in any case
    available: bool = False  # only zones open for deployment (the root admin sees the others too)
    name: str | None = None  # the whole name, in any case
    keyword: str | None = None  # within the name, in any case; empty: any


@dataclass(frozen=True, slots=True)
class PodFilter:
    """listPods: the pods (or the one pod `uuid`) matching the rest (None: any)."""

    uuid: str | None = None
    zone_uuid: str | None = None
    name: str | None = None  # the whole name, in any case
    keyword: str | None = None  # within the name, in any case; empty: any


@dataclass(frozen=True, slots=True)
class HostFilter:
    """listHosts: the hosts (or the one host `uuid`) matching the rest (None: any)."""

    uuid: str | None = None
    zone_uuid: str | None = None
    pod_uuid: str | None = None
    hypervisor: str | None = None  # in any case
    type: str = "Routing"  # every host is a hypervisor: another type lists nothing
    name: str | None = None
    state: str | None = None  # in any case
    keyword: str | None = None  # within the name, in any case; empty: any


def _name(text: str, what: str) -> str:
    if not text.strip():
        raise ParameterError(f"Invalid {what} name {text!r}: it must not be blank")
    return text.strip()


def _zone_type(text: str) -> ZoneType:
    for kind in ZoneType:
        if kind.value.lower() == text.strip().lower():
            return kind
    raise ParameterError(f"Invalid value {text!r} for networktype: use Basic or Advanced")


def hypervisor_of(text: str, param: str = "hypervisor") -> Hypervisor:
    """Parse a hypervisor name case-insensitively into its canonical spelling."""
    for kind in Hypervisor:
        if kind.value.lower() == text.strip().lower():
            return kind
    raise ParameterError(f"Invalid value {text!r} for {param}: use KVM, XenServer or VMware")


def _zone(uow: SqlUnitOfWork, uuid: str, param: str = "zoneid") -> Zone:
    found = uow.infra.zone_by(uuid=uuid)
    if found is None:
        raise UnknownEntity(param, uuid)
    return found


# -- zones -----------------------------------------------------------------------------


def create_zone(uow: SqlUnitOfWork, caller: Caller, spec: NewZone) -> Zone:
    """Create a zone; ParameterError for a taken name or a malformed address."""
    name, kind = _name(spec.name, "zone"), _zone_type(spec.network_type)
    dns1, internal = parse_ipv4(spec.dns1, "dns1"), parse_ipv4(spec.internal_dns1, "internaldns1")
    cidr = None
    if spec.guest_cidr is not None:
        if kind is ZoneType.BASIC:
            raise ParameterError(f"guestcidraddress {spec.guest_cidr} applies to Advanced zones only")
        parsed = parse_network(spec.guest_cidr, "guestcidraddress")
        if not isinstance(parsed, IPv4Network):
            raise ParameterError(f"Invalid value {spec.guest_cidr!r} for guestcidraddress: not an IPv4 CIDR")
        cidr = str(parsed)
    # Basic zones isolate guests with security groups, always.
    sg = True if kind is ZoneType.BASIC else bool(spec.security_groups_enabled)
    with uow:
        if any(z.name.lower() == name.lower() for z in uow.infra.zones()):
            raise ParameterError(f"A zone named {name} already exists")
        zone_id = uow.infra.create_zone(
            name=name, network_type=str(kind), security_groups_enabled=sg, allocation_state=ENABLED,
            dns1=str(dns1), internal_dns1=str(internal), guest_cidr=cidr,
        )
        uow.events.record(caller, "ZONE.CREATE", f"Zone {name} ({kind}) created")
        created = uow.infra.zone_by(id=zone_id)
        assert created is not None
        return created


def list_zones(uow: SqlUnitOfWork, caller: Caller, wanted: ZoneFilter) -> list[Zone]:
    with uow.reading():
        found = [_zone(uow, wanted.uuid, "id")] if wanted.uuid is not None else uow.infra.zones()
    kind = _zone_type(wanted.network_type) if wanted.network_type is not None else None
    # Only the root admin sees zones that are not open for deployment.
    show_all = caller.is_root_admin and not wanted.available
    return [
        z for z in found
        if (show_all or z.allocation_state == ENABLED)
        and (kind is None or z.network_type is kind)
        and (wanted.name is None or z.name.lower() == wanted.name.lower())
        and (not wanted.keyword or wanted.keyword.lower() in z.name.lower())
    ]


def security_groups_enabled(uow: SqlUnitOfWork) -> bool:
    """True when any zone isolates guests with security groups (listCapabilities)."""
    with uow.reading():
        return any(z.security_groups_enabled for z in uow.infra.zones())


# -- pods ------------------------------------------------------------------------------


def create_pod(uow: SqlUnitOfWork, caller: Caller, spec: NewPod) -> Pod:
    """Create a pod; its range must lie in gateway/netmask and not hold the gateway."""
    name = _name(spec.name, "pod")
    gateway = parse_ipv4(spec.gateway, "gateway")
    subnet = network_from_gateway(gateway, spec.netmask)
    if spec.end_ip is not None and spec.start_ip is None:
        raise ParameterError(f"endip {spec.end_ip} needs a startip")
    span: tuple[str, str] | tuple[None, None] = (None, None)
    if spec.start_ip is not None:
        start = parse_ipv4(spec.start_ip, "startip")
        end = parse_ipv4(spec.end_ip, "endip") if spec.end_ip is not None else start
        for address in (start, end):
            if address not in subnet:
                raise ParameterError(f"IP address {address} is outside the pod's subnet {subnet}")
        if end < start:
            raise ParameterError(f"The range {start}-{end} ends before it starts")
        if start <= gateway <= end:
            raise ParameterError(f"The range {start}-{end} contains the gateway {gateway}")
        span = (str(start), str(end))
    with uow:
        zone = _zone(uow, spec.zone_uuid)
        if any(p.name.lower() == name.lower() for p in uow.infra.pods(zone_id=zone.id)):
            raise ParameterError(f"A pod named {name} already exists in zone {zone.name}")
        pod_id = uow.infra.create_pod(
            name=name, zone_id=zone.id, gateway=str(gateway), netmask=str(subnet.netmask),
            start_ip=span[0], end_ip=span[1], allocation_state=ENABLED,
        )
        uow.events.record(caller, "POD.CREATE", f"Pod {name} created in zone {zone.name}")
        guest_ranges.pod_created(uow, pod_id)
        created = uow.infra.pod_by(id=pod_id)
        assert created is not None
        return created


def list_pods(uow: SqlUnitOfWork, wanted: PodFilter) -> list[Pod]:
    with uow.reading():
        zone_id = _zone(uow, wanted.zone_uuid).id if wanted.zone_uuid is not None else None
        found = uow.infra.pods(uuid=wanted.uuid, zone_id=zone_id)
        if wanted.uuid is not None and not found:
            raise UnknownEntity("id", wanted.uuid)
    return [
        p for p in found
        if (wanted.name is None or p.name.lower() == wanted.name.lower())
        and (not wanted.keyword or wanted.keyword.lower() in p.name.lower())
    ]


# -- hosts -----------------------------------------------------------------------------


def host_address(url: str) -> str:
    """The address in addHost's url: "http://10.0.0.5", "10.0.0.5" or "http://[fd00::5]/"."""
    text = url.strip()
    for scheme in ("http://", "https://"):
        if text.lower().startswith(scheme):
            text = text[len(scheme):]
    text = text.split("/", 1)[0]
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return str(parse_address(text, "url"))


def add_host(uow: SqlUnitOfWork, caller: Caller, spec: NewHost) -> Host:
    """Register a hypervisor host in a pod; ParameterError when its address is already known."""
    kind, address = hypervisor_of(spec.hypervisor), host_address(spec.url)
    with uow:
        zone = _zone(uow, spec.zone_uuid)
        pod = uow.infra.pod_by(uuid=spec.pod_uuid)
        if pod is None:
            raise UnknownEntity("podid", spec.pod_uuid)
        if pod.zone_id != zone.id:
            raise ParameterError(f"Pod {pod.name} is not in zone {zone.name}")
        if uow.infra.hosts(ip_address=address):
            raise ParameterError(f"A host with address {address} already exists")
        host_id = uow.infra.create_host(
            name=address, zone_id=zone.id, pod_id=pod.id, hypervisor=str(kind), url=spec.url.strip(),
            ip_address=address, state="Up", resource_state=ENABLED,
        )
        created = uow.infra.host_by(id=host_id)
        assert created is not None
        return created


def list_hosts(uow: SqlUnitOfWork, wanted: HostFilter) -> list[Host]:
    kind = hypervisor_of(wanted.hypervisor) if wanted.hypervisor is not None else None
    with uow.reading():
        zone_id = _zone(uow, wanted.zone_uuid).id if wanted.zone_uuid is not None else None
        pod_id = None
        if wanted.pod_uuid is not None:
            pod = uow.infra.pod_by(uuid=wanted.pod_uuid)
            if pod is None:
                raise UnknownEntity("podid", wanted.pod_uuid)
            pod_id = pod.id
        found = uow.infra.hosts(
            uuid=wanted.uuid, zone_id=zone_id, pod_id=pod_id, hypervisor=str(kind) if kind else None
        )
        if wanted.uuid is not None and not found:
            raise UnknownEntity("id", wanted.uuid)
    # Every host here is a hypervisor ("Routing"); CloudStack's other types do not exist.
    if wanted.type.lower() != "routing":
        return []
    return [
        h for h in found
        if (wanted.name is None or h.name == wanted.name)
        and (wanted.state is None or h.state.lower() == wanted.state.lower())
        and (not wanted.keyword or wanted.keyword.lower() in h.name.lower())
    ]
