"""apache-libcloud's CloudStack compute driver pointed at a live nicstack server."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from tests.clients.requirements import require


def cloudstack_driver(api_url: str, key: str, secret: str) -> Any:
    """libcloud's driver as a user builds it: get_driver(Provider.CLOUDSTACK)(key, secret, url=...)."""
    require("libcloud", "apache-libcloud")
    from libcloud.compute.providers import Provider, get_driver  # noqa: PLC0415 - only once it is known to import

    assert urlsplit(api_url).scheme == "http", "the test servers speak plain HTTP"
    driver_class = get_driver(Provider.CLOUDSTACK)
    return driver_class(key, secret, url=api_url, secure=False)
