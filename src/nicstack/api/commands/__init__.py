"""Every command module; importing this package registers the whole command table."""

from nicstack.api.commands import (  # noqa: F401
    events,
    firewall,
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
    session,
    settings,
    vms,
    vpcs,
)
