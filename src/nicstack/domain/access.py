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


@dataclass(frozen=True, slots=True)
class Scope:
    """Which owners a listing shows or a caller may see: one account, a domain subtree, or (both None) all.

    Lookups ask `admits`; the repositories translate the same value into their listing's WHERE.
    """

    account_id: int | None
    domain_path: str | None

    def admits(self, account_id: int | None, domain_path: str) -> bool:
        if self.account_id is not None and account_id != self.account_id:
            return False
        return self.domain_path is None or domain_path.startswith(self.domain_path)


def visible_to(caller: Caller) -> Scope:
    """Everything the caller may see: all (root admin), its domain subtree (domain admin), its account (user)."""
    if caller.role is Role.ROOT_ADMIN:
        return Scope(None, None)
    if caller.role is Role.DOMAIN_ADMIN:
        return Scope(None, caller.domain_path)
    return Scope(caller.account_id, None)


def may_access(caller: Caller, account_id: int, domain_path: str) -> bool:
    """True when `caller` may see and act on a resource owned by that account/domain."""
    return visible_to(caller).admits(account_id, domain_path)


@dataclass(frozen=True, slots=True)
class NetworkAudience:
    """Which networks a caller is shown: those its scope admits, and the domain-wide (account-less)
    networks of the caller's own domain and of every domain above it, which everyone there may use.

    The one definition of "who may see a network": `lookup.network` asks `admits`, and the network
    repository turns the same value into the listing's WHERE.
    """

    owners: Scope
    shared_domains: tuple[str, ...]

    def admits(self, account_id: int | None, domain_path: str) -> bool:
        shared = account_id is None and domain_path in self.shared_domains
        return shared or self.owners.admits(account_id, domain_path)


def network_audience(caller: Caller, owners: Scope | None = None) -> NetworkAudience:
    """The networks `caller` sees among those of `owners` (default: every owner it may see)."""
    return NetworkAudience(visible_to(caller) if owners is None else owners, domain_and_ancestors(caller.domain_path))


def domain_and_ancestors(path: str) -> tuple[str, ...]:
    """'/a/b/' -> ('/', '/a/', '/a/b/')."""
    parts = [p for p in path.split("/") if p]
    return ("/", *("/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))))


def may_use_domain(caller: Caller, domain_path: str) -> bool:
    """True when the caller administers (or belongs to) the given domain."""
    if caller.role is Role.ROOT_ADMIN:
        return True
    if caller.role is Role.DOMAIN_ADMIN:
        return domain_path.startswith(caller.domain_path)
    return domain_path == caller.domain_path
