"""Find a public IP, VPC or rule by uuid as the caller may see it; otherwise the unknown-uuid answer."""

from __future__ import annotations

from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller, may_access
from nicstack.domain.errors import ParameterError, UnknownEntity
from nicstack.domain.rules import (
    EgressRule,
    FirewallRule,
    IpForwardingRule,
    LoadBalancerRule,
    Owner,
    PortForwardingRule,
    PublicIp,
    PublicIpState,
    Vpc,
)


def _visible(caller: Caller, owner: Owner | None) -> bool:
    return owner is not None and may_access(caller, owner.account_id, owner.domain_path)


def public_ip(uow: SqlUnitOfWork, caller: Caller, uuid: str, param: str = "ipaddressid") -> PublicIp:
    """An acquired public IP of the caller's; a free one the caller may list is named as not acquired."""
    found = uow.public_ips.ip_by(uuid=uuid)
    if found is not None and found.state is PublicIpState.FREE and caller.is_root_admin:
        raise ParameterError(f"Public IP {found.address} is not acquired: associate it with a network or VPC first")
    if found is None or not _visible(caller, found.owner):
        raise UnknownEntity(param, uuid)
    return found


def vpc(uow: SqlUnitOfWork, caller: Caller, uuid: str, param: str = "vpcid") -> Vpc:
    found = uow.vpcs.vpc_by(uuid=uuid)
    if found is None or not _visible(caller, found.owner):
        raise UnknownEntity(param, uuid)
    return found


def port_forward(uow: SqlUnitOfWork, caller: Caller, uuid: str, param: str = "id") -> PortForwardingRule:
    found = uow.rules.port_forward_by(uuid=uuid)
    if found is None or not _visible(caller, found.base.owner):
        raise UnknownEntity(param, uuid)
    return found


def egress_rule(uow: SqlUnitOfWork, caller: Caller, uuid: str, param: str = "id") -> EgressRule:
    found = uow.rules.egress_rule_by(uuid=uuid)
    if found is None or not _visible(caller, found.owner):
        raise UnknownEntity(param, uuid)
    return found


def ip_forward(uow: SqlUnitOfWork, caller: Caller, uuid: str, param: str = "id") -> IpForwardingRule:
    found = uow.rules.ip_forward_by(uuid=uuid)
    if found is None or not _visible(caller, found.base.owner):
        raise UnknownEntity(param, uuid)
    return found


def firewall_rule(uow: SqlUnitOfWork, caller: Caller, uuid: str, param: str = "id") -> FirewallRule:
    found = uow.rules.firewall_rule_by(uuid=uuid)
    if found is None or not _visible(caller, found.base.owner):
        raise UnknownEntity(param, uuid)
    return found


def load_balancer(uow: SqlUnitOfWork, caller: Caller, uuid: str, param: str = "id") -> LoadBalancerRule:
    found = uow.load_balancers.rule_by(uuid=uuid)
    if found is None or not _visible(caller, found.base.owner):
        raise UnknownEntity(param, uuid)
    return found
