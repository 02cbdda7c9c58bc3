"""What a job carries: the data-plane change its transaction made (the outbox), and what it answers.

A change names its subjects, not the hosts and routers they touch: the job step resolves them
when it runs, against the committed state, and publishes what is there then. Publishing is
idempotent (nothing changes when the digest is the same), so a step run twice, or after
another job already published the same state, does no harm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from nicstack.domain.codec import tagged

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class DataplaneChange:
    """Subjects whose published documents may have to change: by VM, security group, host, network, VPC."""

    vms: frozenset[int] = frozenset()
    groups: frozenset[int] = frozenset()
    hosts: frozenset[int] = frozenset()
    networks: frozenset[int] = frozenset()
    vpcs: frozenset[int] = frozenset()

    def __or__(self, other: DataplaneChange) -> DataplaneChange:
        return DataplaneChange(
            self.vms | other.vms, self.groups | other.groups, self.hosts | other.hosts,
            self.networks | other.networks, self.vpcs | other.vpcs,
        )

    def __bool__(self) -> bool:
        return bool(self.vms or self.groups or self.hosts or self.networks or self.vpcs)


@tagged("configure")
@dataclass(frozen=True, slots=True)
class Configured:
    """Record NIC.SECONDARY.IP.CONFIGURE once the data plane has (or no longer has) a secondary address."""

    vm_id: int
    addresses: tuple[str, ...]
    added: bool


@tagged("success")
@dataclass(frozen=True, slots=True)
class Success:
    """A job that answers {"success": true}."""


@tagged("job")
@dataclass(frozen=True, slots=True)
class JobPlan:
    """A job's payload: what to publish, what to record after, and the (typed) value the job answers."""

    change: DataplaneChange = field(default_factory=DataplaneChange)
    configured: Configured | None = None
    result: object = field(default_factory=Success)


@dataclass(frozen=True, slots=True)
class Started(Generic[T]):
    """A use case that started its command's job: the job's uuid and what the use case made or changed."""

    job: str
    value: T


# The command of a job no API call asked for: a synchronous change's data-plane publication.
PUBLISH = "publishDataplane"
