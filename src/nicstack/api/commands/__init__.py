"""Every command module; importing this package registers the whole command table."""

from nicstack.api.commands import (  # noqa: F401
    events,
    firewall,
    free_ips,
    hosts,
    identity,
    infrastructure,
    jobs,
    load_balancers,
    meta,
    nat,
    networks,
    nics,
    offerings,
    public_ips,
    routers,
    security_groups,
    session,
    settings,
    vms,
    vpcs,
)
