"""What each network type offers and the configurable limits."""

from __future__ import annotations

from dataclasses import dataclass

from nicstack.domain.errors import Unsupported
from nicstack.domain.kinds import GuestType

MAX_SECONDARY_IPS_KEY = "vm.network.nic.max.secondary.ipaddresses"
# The seed asks for 256 per interface; CloudStack's default drifted to 10 by accident.
MAX_SECONDARY_IPS_DEFAULT = 256
LOGIN_ATTEMPTS_KEY = "incorrect.login.attempts.allowed"
LOGIN_BURST_KEY = "login.throttle.burst"
LOGIN_RATE_KEY = "login.throttle.per.minute"
EXPIRES_REQUIRED_KEY = "api.signature.expires.required"
EXPIRES_MAX_KEY = "api.signature.expires.max.seconds"


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
    # CloudStack's setting, name, default and meaning.
    Setting(
        LOGIN_ATTEMPTS_KEY,
        "5",
        "Advanced",
        "Incorrect login attempts allowed before the user is disabled (when value > 0); 0: users are not "
        "disabled after failed login attempts",
        int,
    ),
    Setting(
        LOGIN_BURST_KEY,
        "10",
        "Advanced",
        "Failed logins one source address may make in a row before it must wait (HTTP 429 with Retry-After); "
        "0: no throttle",
        int,
    ),
    Setting(
        LOGIN_RATE_KEY,
        "10",
        "Advanced",
        "Failed logins per minute one source address may make once its burst is spent (at least 1)",
        int,
    ),
    Setting(
        EXPIRES_REQUIRED_KEY,
        "false",
        "Advanced",
        "Refuse signed requests without an expires parameter (a captured request without one replays forever)",
        bool,
    ),
    Setting(
        EXPIRES_MAX_KEY,
        "0",
        "Advanced",
        "Refuse signed requests whose expires lies more than this many seconds ahead; 0: no limit",
        int,
    ),
)

SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


def attempts_after_failure(made_before: int, allowed: int) -> tuple[int, bool]:
    """CloudStack's count after one more failed login: (attempts to store, disable the user now).

    The user is disabled on the `allowed`-th failure in a row; `allowed` <= 0 never disables.
    """
    made = made_before + 1
    if allowed <= 0:
        return made_before, False
    return min(made, allowed), made >= allowed


def ensure_secondary_ips_supported(guest_type: GuestType, network_name: str) -> None:
    """Raise Unsupported for networks that do no IP management (L2)."""
    if guest_type is GuestType.L2:
        raise Unsupported(
            f"Secondary IPs are not supported on network {network_name}: it is an L2 network "
            "without IP address management"
        )
