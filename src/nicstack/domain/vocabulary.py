"""The rule vocabulary, defined once: protocols, port ranges, ICMP matches, directions, algorithms.

The services validate what users send with these types, and the renderers take the same values,
so a rule the API accepted is a rule every backend can render. Construction raises
`ParameterError` (a `ValueError` too) with a text that names the value and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from nicstack.domain.errors import ParameterError

MAX_PORT = 65535


class Protocol(StrEnum):
    TCP = "tcp"
    UDP = "udp"
    ICMP = "icmp"
    ALL = "all"
    # haproxy's PROXY protocol towards the members; a TCP listener on the public side.
    TCP_PROXY = "tcp-proxy"

    @property
    def has_ports(self) -> bool:
        return self in (Protocol.TCP, Protocol.UDP)


PF_PROTOCOLS = (Protocol.TCP, Protocol.UDP)
FIREWALL_PROTOCOLS = (Protocol.TCP, Protocol.UDP, Protocol.ICMP, Protocol.ALL)
LB_PROTOCOLS = (Protocol.TCP, Protocol.UDP, Protocol.TCP_PROXY)
SECURITY_GROUP_PROTOCOLS = FIREWALL_PROTOCOLS


class Direction(StrEnum):
    INGRESS = "ingress"
    EGRESS = "egress"


class Algorithm(StrEnum):
    ROUNDROBIN = "roundrobin"
    LEASTCONN = "leastconn"
    SOURCE = "source"


def protocol_of(value: str, allowed: tuple[Protocol, ...], param: str = "protocol") -> Protocol:
    """The protocol a user named (any case, blanks around ignored), if `allowed` has it."""
    lowered = value.strip().lower()
    for protocol in allowed:
        if protocol == lowered:
            return protocol
    raise ParameterError(f"Invalid value {value!r} for {param}: use one of {', '.join(allowed)}")


def algorithm_of(value: str) -> Algorithm:
    lowered = value.strip().lower()
    for algorithm in Algorithm:
        if algorithm == lowered:
            return algorithm
    raise ParameterError(f"Invalid value {value!r} for algorithm: use one of {', '.join(Algorithm)}")


@dataclass(frozen=True, slots=True, order=True)
class PortRange:
    """An inclusive port range; a single port has start == end."""

    start: int
    end: int

    def __post_init__(self) -> None:
        for port in (self.start, self.end):
            if not 1 <= port <= MAX_PORT:
                raise ParameterError(f"Invalid port {port}: a port is 1-{MAX_PORT}")
        if self.end < self.start:
            raise ParameterError(f"Invalid port range {self.start}-{self.end}: the end port is below the start port")

    @classmethod
    def single(cls, port: int) -> PortRange:
        return cls(port, port)

    @classmethod
    def of(cls, start: int, end: int | None, what: str = "port") -> PortRange:
        """From a start port and an optional end port (default: the start); the error names `what`."""
        last = start if end is None else end
        for port in (start, last):
            if not 1 <= port <= MAX_PORT:
                raise ParameterError(f"Invalid {what} {port}: a port is 1-{MAX_PORT}")
        if last < start:
            raise ParameterError(f"Invalid {what} range {start}-{last}: the end port is below the start port")
        return cls(start, last)

    @property
    def size(self) -> int:
        return self.end - self.start + 1

    def overlaps(self, other: PortRange) -> bool:
        return self.start <= other.end and other.start <= self.end


@dataclass(frozen=True, slots=True)
class IcmpMatch:
    """ICMP type and code as CloudStack carries them: -1 means any (and any type means any code)."""

    type: int = -1
    code: int = -1

    def __post_init__(self) -> None:
        if not (-1 <= self.type <= 255 and -1 <= self.code <= 255) or (self.type == -1 and self.code != -1):
            raise ParameterError(
                f"Invalid ICMP type/code {self.type}/{self.code}: each is -1 (any) or 0-255, and any type "
                "means any code"
            )
