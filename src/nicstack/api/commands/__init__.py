"""Every command module; importing this package registers the whole command table."""

from nicstack.api.commands import nics, vms, networks  # noqa: F401
