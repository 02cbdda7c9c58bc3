"""One virtual router's rendered documents together, and a key that changes exactly when their content does."""

from __future__ import annotations

from dataclasses import dataclass
from hashlib import sha256

from nicstack.render.haproxy import render_haproxy
from nicstack.render.iptables_router import render_router_iptables
from nicstack.render.metadata import metadata_digest, render_metadata
from nicstack.render.router_addresses import render_addresses
from nicstack.render.router_state import RouterState


@dataclass(frozen=True, slots=True)
class RouterDocuments:
    """The iptables-restore document, the haproxy.cfg, the addresses and the metadata document of one router.

    The agent applies them in the order addresses, iptables, haproxy, metadata: haproxy binds public
    addresses, the metadata service the guest side's.
    """

    iptables: str
    haproxy: str
    addresses: str
    metadata: str

    def items(self) -> tuple[tuple[str, str], ...]:
        return (("iptables", self.iptables), ("haproxy", self.haproxy), ("addresses", self.addresses),
                ("metadata", self.metadata))


def render_router(state: RouterState) -> RouterDocuments:
    return RouterDocuments(iptables=render_router_iptables(state), haproxy=render_haproxy(state),
                           addresses=render_addresses(state), metadata=render_metadata(state.metadata))


def generation_key(docs: RouterDocuments) -> str:
    """sha256 hex digest of the documents. The service layer bumps its generation number when this changes;
    the agent computes it over what it received and reports it with the generation it applied."""
    return key_of(docs.iptables, docs.haproxy, docs.addresses, metadata_digest(docs.metadata))


def key_of(iptables: str, haproxy: str, addresses: str, metadata_sum: str) -> str:
    """`generation_key` from the metadata's entry sum: a VM's change re-keys its routers without the document."""
    digest = sha256()
    for name, text in (("iptables", iptables), ("haproxy", haproxy), ("addresses", addresses),
                       ("metadata-sum", metadata_sum)):
        data = text.encode()
        # Length-prefixed, so moving text from one document to the other changes the key.
        digest.update(f"{name}:{len(data)}\n".encode())
        digest.update(data)
    return digest.hexdigest()
