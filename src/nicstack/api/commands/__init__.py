"""Every command module; importing this package registers the whole command table."""

from nicstack.api.commands import (  # noqa: F401
    events,
    identity,
    infrastructure,
    jobs,
    meta,
    networks,
    nics,
    offerings,
    session,
    settings,
    vms,
)
