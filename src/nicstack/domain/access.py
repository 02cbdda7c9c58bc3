"""Who may act on what: root admin everywhere, domain admin in its subtree, user in its account."""

from __future__ import annotations

from dataclasses import dataclass

from nicstack.domain.kinds import Role


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated principal of one request."""

    user_id: int
    user_uuid: str
    account_id: int
    account_uuid: str
    account_name: str
    domain_id: int
    domain_uuid: str
    domain_path: str
    role: Role

    @property
    def is_root_admin(self) -> bool:
        return self.role is Role.ROOT_ADMIN

    @property
    def is_admin(self) -> bool:
        return self.role in (Role.ROOT_ADMIN, Role.DOMAIN_ADMIN)


def may_access(caller: Caller, account_id: int, domain_path: str) -> bool:
    """True when `caller` may see and act on a resource owned by that account/domain."""
    if caller.role is Role.ROOT_ADMIN:
        return True
    if caller.role is Role.DOMAIN_ADMIN:
        return domain_path.startswith(caller.domain_path)
    return account_id == caller.account_id


def may_use_domain(caller: Caller, domain_path: str) -> bool:
    """True when the caller administers (or belongs to) the given domain."""
    if caller.role is Role.ROOT_ADMIN:
        return True
    if caller.role is Role.DOMAIN_ADMIN:
        return domain_path.startswith(caller.domain_path)
    return domain_path == caller.domain_path
