"""An in-memory unit of work for the secondary-IP use cases (services.ports.UnitOfWork), without a database.

It keeps its state in plain dictionaries, snapshots them when a transaction opens and puts the
snapshot back when the block raises, so a test can check that a refused use case changed
nothing; it counts commits and keeps the jobs and outbox entries a transaction committed.
"""

from __future__ import annotations

import copy
import itertools
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import ip_address
from types import TracebackType
from typing import Any, Self

from nicstack.db.repos.allocations import Held
from nicstack.db.repos.client_tokens import Remembered, TokenTaken
from nicstack.db.repos.vms import HeldSecondaryIp, NicOwner
from nicstack.domain.access import Caller
from nicstack.domain.ip_ranges import GuestRange
from nicstack.domain.jobs import Configured
from nicstack.domain.kinds import AllocationKind, GuestType, Role, VmType
from nicstack.domain.model import Network, NetworkOffering

WHEN = datetime(2026, 1, 1)
_ids = itertools.count(1000)


def caller(account_id: int = 1, domain_path: str = "/", role: Role = Role.USER) -> Caller:
    return Caller(account_id * 10, f"user-{account_id}", account_id, f"account-{account_id}", f"a{account_id}", 1,
                  "domain-root", domain_path, role)


def isolated_network(state: State, network_id: int, cidr: str, gateway: str) -> Network:
    """An isolated network in `state`, its gateway allocated to its router as nicstack does."""
    offering = NetworkOffering(1, "offering", "Isolated", "", GuestType.ISOLATED, ("SourceNat",), False, False,
                               False, True, "Enabled", WHEN)
    network = Network(network_id, f"network-{network_id}", f"net-{network_id}", "", 1, "zone", "z", offering,
                      GuestType.ISOLATED, "Account", cidr, gateway, None, None, None, "Implemented", 1, "a1", 1,
                      "domain-root", "ROOT", "/", None, WHEN)
    state.networks[network_id] = network
    state.allocations[(network_id, 4, int(ip_address(gateway)))] = (next(_ids), AllocationKind.ROUTER, None, None)
    return network


@dataclass
class _Used:
    """The allocator's index over one network's allocations (ascending slices)."""

    values: list[int]

    def used_between(self, low: int, high: int, limit: int) -> list[int]:
        start = bisect_left(self.values, low)
        return [v for v in self.values[start:start + limit] if v <= high]


@dataclass
class State:
    nics: dict[str, NicOwner] = field(default_factory=dict)
    networks: dict[int, Network] = field(default_factory=dict)
    cursors: dict[int, tuple[int | None, bytes | None]] = field(default_factory=dict)
    # (network, family, value) -> (allocation id, kind, nic id, secondary id)
    allocations: dict[tuple[int, int, int], tuple[int, AllocationKind, int | None, int | None]] = field(
        default_factory=dict)
    secondaries: dict[int, dict[str, Any]] = field(default_factory=dict)
    nic_flags: dict[int, int] = field(default_factory=dict)
    settings: dict[str, int] = field(default_factory=lambda: {"vm.network.nic.max.secondary.ipaddresses": 256})
    events: list[tuple[str, str]] = field(default_factory=list)
    # (network, address) -> rules that target it
    rules: dict[tuple[int, str], list[tuple[str, str]]] = field(default_factory=dict)
    retargeted: list[tuple[int, int]] = field(default_factory=list)  # (allocation, VM) rules moved to
    tokens: dict[tuple[int, str, str], Remembered] = field(default_factory=dict)


class FakeVms:
    def __init__(self, state: State) -> None:
        self.s = state

    def nic_owner(self, nic_uuid: str) -> NicOwner | None:
        return self.s.nics.get(nic_uuid)

    def count_secondary(self, nic_id: int) -> int:
        return sum(1 for row in self.s.secondaries.values() if row["nic_id"] == nic_id)

    def insert_secondaries(self, rows: Sequence[Mapping[str, Any]]) -> list[tuple[int, str]]:
        made = []
        for values in rows:
            secondary_id = next(_ids)
            uuid = f"secondary-{secondary_id}"
            self.s.secondaries[secondary_id] = {**values, "uuid": uuid}
            made.append((secondary_id, uuid))
        return made

    def update_nic(self, nic_id: int, **values: Any) -> None:
        if "secondary_ip" in values:
            self.s.nic_flags[nic_id] = values["secondary_ip"]

    def held_secondary(self, uuid: str) -> HeldSecondaryIp | None:
        for secondary_id, row in self.s.secondaries.items():
            if row["uuid"] == uuid:
                nic = next(n for n in self.s.nics.values() if n.nic_id == row["nic_id"])
                return HeldSecondaryIp(secondary_id, uuid, row["ip4_address"] or row["ip6_address"], nic.nic_id,
                                       nic.nic_uuid, row["network_id"], nic.vm_id, nic.vm_uuid, nic.vm_name,
                                       nic.account_id, nic.domain_id, nic.domain_path)
        return None

    def held_secondary_by_id(self, secondary_id: int) -> HeldSecondaryIp | None:
        row = self.s.secondaries.get(secondary_id)
        return self.held_secondary(row["uuid"]) if row else None

    def move_secondary(self, secondary_id: int, to: NicOwner) -> None:
        self.s.secondaries[secondary_id] |= {"nic_id": to.nic_id, "vm_id": to.vm_id, "account_id": to.account_id,
                                             "domain_id": to.domain_id}

    def delete_secondary(self, secondary_id: int) -> None:
        del self.s.secondaries[secondary_id]


class FakeNetworks:
    def __init__(self, state: State) -> None:
        self.s = state
        self.locked: list[int] = []

    def network_by(self, **where: Any) -> Network | None:
        return self.s.networks.get(where["id"])

    def lock(self, network_id: int) -> tuple[int | None, bytes | None]:
        self.locked.append(network_id)
        return self.s.cursors.get(network_id, (None, None))

    def set_cursor(self, network_id: int, family: int, cursor: int) -> None:
        v4, v6 = self.s.cursors.get(network_id, (None, None))
        self.s.cursors[network_id] = (cursor, v6) if family == 4 else (v4, cursor.to_bytes(16, "big"))


class FakeAllocations:
    def __init__(self, state: State) -> None:
        self.s = state

    def used_in(self, network_id: int, family: int) -> _Used:
        return _Used(sorted(v for (n, f, v) in self.s.allocations if (n, f) == (network_id, family)))

    def holders(self, network_id: int, family: int, values: Sequence[int]) -> dict[int, AllocationKind]:
        found = {v: self.s.allocations.get((network_id, family, v)) for v in values}
        return {v: held[1] for v, held in found.items() if held}

    def insert_many(self, network_id: int, addresses: Sequence[tuple[int, int]], kind: AllocationKind,
                    nic_id: int | None = None) -> list[int]:
        made = []
        for family, value in addresses:
            key = (network_id, family, value)
            assert key not in self.s.allocations, f"{key} allocated twice: the unique key would refuse it"
            made.append(next(_ids))
            self.s.allocations[key] = (made[-1], kind, nic_id, None)
        return made

    def attach_secondaries(self, pairs: Sequence[tuple[int, int]]) -> None:
        secondary_of = dict(pairs)
        for key, (aid, kind, nic_id, secondary_id) in self.s.allocations.items():
            self.s.allocations[key] = (aid, kind, nic_id, secondary_of.get(aid, secondary_id))

    def release(self, network_id: int, family: int, value: int) -> None:
        del self.s.allocations[(network_id, family, value)]

    def held(self, network_id: int, family: int, value: int) -> Held | None:
        found = self.s.allocations.get((network_id, family, value))
        return Held(*found) if found else None

    def move(self, allocation_id: int, nic_id: int) -> None:
        for key, (aid, kind, _, secondary_id) in self.s.allocations.items():
            if aid == allocation_id:
                self.s.allocations[key] = (aid, kind, nic_id, secondary_id)


class FakeGuestRanges:
    """Isolated networks only: their addresses come from the CIDR, not from ranges."""

    def of_network(self, network_id: int) -> list[GuestRange]:
        return []

    def pod_of_nic(self, nic_id: int) -> int | None:
        return None


class FakeSettings:
    def __init__(self, state: State) -> None:
        self.s = state

    def int_value(self, name: str) -> int:
        return self.s.settings[name]


class FakeEvents:
    def __init__(self, state: State) -> None:
        self.s = state

    def record(self, caller: Caller, type_: str, description: str, *, level: str = "INFO",
               state: str = "Completed", account_id: int | None = None, domain_id: int | None = None) -> None:
        self.s.events.append((type_, description))

    def record_many(self, caller: Caller, type_: str, descriptions: Sequence[str], *, account_id: int,
                    domain_id: int) -> None:
        self.s.events.extend((type_, text) for text in descriptions)


class FakeRules:
    def __init__(self, state: State) -> None:
        self.s = state

    def targeting(self, network_id: int, address: str) -> list[tuple[str, str]]:
        return list(self.s.rules.get((network_id, address), []))

    def retarget(self, allocation_id: int, vm_id: int) -> int:
        self.s.retargeted.append((allocation_id, vm_id))
        return 0


class FakeClientTokens:
    def __init__(self, state: State) -> None:
        self.s = state

    def find(self, account_id: int, command: str, token: str) -> Remembered | None:
        return self.s.tokens.get((account_id, command, token))

    def remember(self, account_id: int, command: str, token: str, found: Remembered) -> None:
        if (account_id, command, token) in self.s.tokens:
            raise TokenTaken
        self.s.tokens[(account_id, command, token)] = found


@dataclass
class FakeOutbox:
    vms: set[int] = field(default_factory=set)
    networks: set[int] = field(default_factory=set)

    def vm(self, *ids: int) -> None:
        self.vms.update(ids)

    def addresses(self, vm_id: int, nic_id: int, addresses: Iterable[str]) -> None:
        self.vms.add(vm_id)

    def network(self, *ids: int) -> None:
        self.networks.update(ids)


@dataclass(frozen=True)
class CommittedJob:
    caller: Caller
    cmd: str
    result: object
    instance: tuple[str, str] | None
    configured: Configured | None
    outbox: frozenset[int]


class FakeUnitOfWork:
    """services.ports.UnitOfWork over a State; `commits` counts transactions that committed."""

    def __init__(self, state: State | None = None) -> None:
        self.state = state or State()
        self.commits = 0
        self.jobs: list[CommittedJob] = []
        self._depth = 0
        self._saved: State | None = None
        self._job: tuple[Caller, str, object, tuple[str, str] | None, Configured | None] | None = None
        self._outbox = FakeOutbox()
        self._networks = FakeNetworks(self.state)

    @property
    def vms(self) -> FakeVms:
        return FakeVms(self.state)

    @property
    def networks(self) -> FakeNetworks:
        self._networks.s = self.state
        return self._networks

    @property
    def allocations(self) -> FakeAllocations:
        return FakeAllocations(self.state)

    @property
    def guest_ranges(self) -> FakeGuestRanges:
        return FakeGuestRanges()

    @property
    def settings(self) -> FakeSettings:
        return FakeSettings(self.state)

    @property
    def events(self) -> FakeEvents:
        return FakeEvents(self.state)

    @property
    def rules(self) -> FakeRules:
        return FakeRules(self.state)

    @property
    def client_tokens(self) -> FakeClientTokens:
        return FakeClientTokens(self.state)

    @property
    def outbox(self) -> FakeOutbox:
        return self._outbox

    def __enter__(self) -> Self:
        if self._depth == 0:
            self._saved = copy.deepcopy(self.state)
        self._depth += 1
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._depth -= 1
        if self._depth:
            return
        if kind is not None:
            assert self._saved is not None
            self.state.__dict__.update(self._saved.__dict__)  # roll back
        else:
            self.commits += 1
            if self._job is not None:
                self.jobs.append(CommittedJob(*self._job, frozenset(self._outbox.vms)))
        self._saved, self._job, self._outbox = None, None, FakeOutbox()

    def start_job(self, caller: Caller, cmd: str, *, result: object = None, instance: tuple[str, str] | None = None,
                  configured: Configured | None = None) -> str:
        assert self._job is None, "a unit of work starts one job"
        self._job = (caller, cmd, result, instance, configured)
        return f"job-{len(self.jobs) + 1}"


def nic(state: State, network: Network, nic_id: int, primary: str, owner: Caller,
        vm_type: VmType = VmType.USER) -> NicOwner:
    """A VM's NIC in `network` with its primary address allocated, owned by `owner`'s account."""
    found = NicOwner(nic_id, f"nic-{nic_id}", network.id, f"02:00:00:00:00:{nic_id:02x}", False, nic_id + 100,
                     f"vm-{nic_id}", f"web-{nic_id}", vm_type, owner.account_id, owner.domain_id, owner.domain_path)
    state.nics[found.nic_uuid] = found
    state.allocations[(network.id, 4, int(ip_address(primary)))] = (next(_ids), AllocationKind.NIC, nic_id, None)
    return found
