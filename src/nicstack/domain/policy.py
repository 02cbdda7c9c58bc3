"""What each network type offers and the configurable limits."""

from __future__ import annotations

from dataclasses import dataclass

from nicstack.domain.errors import Unsupported
from nicstack.domain.kinds import GuestType

MAX_SECONDARY_IPS_KEY = "vm.network.nic.max.secondary.ipaddresses"
# The seed asks for 256 per interface; CloudStack's default drifted to 10 by accident.
MAX_SECONDARY_IPS_DEFAULT = 256


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: str
    category: str
    description: str
    kind: type


SETTINGS: tuple[Setting, ...] = (
    Setting(
        MAX_SECONDARY_IPS_KEY,
        str(MAX_SECONDARY_IPS_DEFAULT),
        "Network",
        "Maximum number of secondary IP addresses (IPv4 and IPv6 together) per NIC",
        int,
    ),
    Setting(
        "job.cancel.threshold.minutes",
        "60",
        "Advanced",
        "Minutes after which an async job is considered stale",
        int,
    ),
)

SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


def ensure_secondary_ips_supported(guest_type: GuestType, network_name: str) -> None:
    """Raise Unsupported for networks that do no IP management (L2)."""
    if guest_type is GuestType.L2:
        raise Unsupported(
            f"Secondary IPs are not supported on network {network_name}: it is an L2 network "
            "without IP address management"
        )
