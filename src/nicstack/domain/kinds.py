"""Kinds and states, spelled as CloudStack spells them on the wire."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Role(IntEnum):
    """CloudStack's account types: the number is what `accounttype` carries.

    AGENT is nicstack's own: a data-plane agent's credentials, which may read and report on one
    router's or host's documents and call nothing else (createAccount cannot make one).
    """

    USER = 0
    ROOT_ADMIN = 1
    DOMAIN_ADMIN = 2
    AGENT = 5


class ZoneType(StrEnum):
    BASIC = "Basic"
    ADVANCED = "Advanced"


class Hypervisor(StrEnum):
    KVM = "KVM"
    XENSERVER = "XenServer"
    VMWARE = "VMware"


class GuestType(StrEnum):
    ISOLATED = "Isolated"
    SHARED = "Shared"
    L2 = "L2"


class NetworkState(StrEnum):
    ALLOCATED = "Allocated"
    IMPLEMENTED = "Implemented"


class VmState(StrEnum):
    RUNNING = "Running"
    STOPPED = "Stopped"
    DESTROYED = "Destroyed"
    EXPUNGING = "Expunging"


class VmType(StrEnum):
    USER = "User"
    ROUTER = "DomainRouter"


class AllocationKind(StrEnum):
    """Who consumes a guest address: every consumer shares one uniqueness index."""

    NIC = "nic"
    SECONDARY = "secondary"
    ROUTER = "router"
    RESERVED = "reserved"


class JobStatus(IntEnum):
    PENDING = 0
    SUCCEEDED = 1
    FAILED = 2
