"""Resource tags: CloudStack's key/value pairs on a user's resources, and the resource types that take them."""

from __future__ import annotations

from dataclasses import dataclass

from nicstack.domain.errors import ParameterError

# CloudStack's ResourceObjectType names of the resources users tag here. CloudStack keeps only metadata on a
# Nic; nicstack takes tags on it too, as a NIC's addresses are what its users organise.
TAGGABLE = ("UserVm", "Network", "Vpc", "PublicIpAddress", "PortForwardingRule", "LoadBalancer", "FirewallRule",
            "SecurityGroup", "Nic")
# Types CloudStack knows but takes no tags on (resourceTagsSupport=false: metadata only).
UNTAGGABLE = ("Zone", "ServiceOffering", "NetworkACLList", "DiskOffering")
MAX_TEXT = 255


@dataclass(frozen=True, slots=True)
class ResourceTag:
    key: str
    value: str
    resource_type: str
    resource_uuid: str
    customer: str | None
    account_name: str
    domain_uuid: str
    domain_name: str


def resource_type_of(text: str) -> str:
    """CloudStack's spelling of a resource type named in any case (Ansible sends 'publicipaddress')."""
    wanted = text.strip().lower()
    for name in TAGGABLE:
        if name.lower() == wanted:
            return name
    for name in UNTAGGABLE:
        if name.lower() == wanted:
            raise ParameterError(f"The resource type {name} doesn't support resource tags")
    raise ParameterError(f"Invalid resource type {text!r}: use one of {', '.join(TAGGABLE)}")


def tag_pairs(rows: list[dict[str, str]], *, values_required: bool) -> list[tuple[str, str | None]]:
    """The (key, value) pairs of a `tags[n].key`/`tags[n].value` map; a key at most once."""
    pairs: list[tuple[str, str | None]] = []
    for row in rows:
        key = row.get("key", "").strip()
        value = row.get("value")
        if not key:
            raise ParameterError("Each tag needs a key: tags[n].key")
        if values_required and not (value or "").strip():
            raise ParameterError(f"Value for the key {key} is either null or empty")
        for text in (key, value or ""):
            if len(text) > MAX_TEXT:
                raise ParameterError(f"Tag key or value {text[:20]!r}... is longer than {MAX_TEXT} characters")
        if any(key == k for k, _ in pairs):
            raise ParameterError(f"Tag key {key} is given twice")
        pairs.append((key, value))
    return pairs
