"""Routers' metadata entries keep their addresses as rows of their own, so an address's change is O(1).

Each stored entry is split into its base (its NICs without addresses) and a row per address, and
each router's metadata sum is recomputed as the new entry hash counts it (the base's hash plus one
per address), with its digest and a generation of its own: the agents fetch the same documents
under the new key. The hashing is written out here, not imported: a migration does what it did
when it was written, whatever the code becomes.
"""

import json
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision: str | None = "0019"
branch_labels: str | None = None
depends_on: str | None = None


def _sha(text: str) -> int:
    return int.from_bytes(sha256(text.encode()).digest(), "big")


def _split(entry: str) -> tuple[str, list[tuple[str, str, int]]]:
    data = json.loads(entry)
    parts: list[tuple[str, str, int]] = []
    for nic in data["nics"]:
        parts += [(nic["uuid"], address, index) for index, address in enumerate((*nic["ipv4"], *nic["ipv6"]))]
        nic["ipv4"], nic["ipv6"] = [], []
    return json.dumps(data, sort_keys=True, separators=(",", ":")), parts


def _key(documents: dict[str, Any], metadata_sum: str) -> str:
    digest = sha256()
    for name, text in (("iptables", documents["iptables"]), ("haproxy", documents["haproxy"]),
                       ("addresses", documents["addresses"]), ("metadata-sum", metadata_sum)):
        data = text.encode()
        digest.update(f"{name}:{len(data)}\n".encode())
        digest.update(data)
    return digest.hexdigest()


def _rekey(conn: sa.Connection, sums: dict[str, int]) -> None:
    """Each router published with entries gets its metadata sum of `sums`, its digest, the next generation."""
    generations = sa.table("dataplane_generations", sa.column("target"), sa.column("generation"),
                           sa.column("digest"), sa.column("updated"), sa.column("documents"))
    rows = conn.execute(sa.select(generations.c.target, generations.c.generation, generations.c.documents)
                        .where(generations.c.target.like("router:%"))).all()
    for target, generation, text in rows:
        documents = json.loads(text) if text else {}
        if "metadata_sum" not in documents:
            continue  # never published with entries: its first publication writes it whole
        documents["metadata_sum"] = f"{sums.get(target, 0) % 2**256:064x}"
        conn.execute(generations.update().where(generations.c.target == target).values(
            generation=generation + 1, digest=_key(documents, documents["metadata_sum"]),
            updated=datetime.now(UTC).replace(tzinfo=None), documents=json.dumps(documents, sort_keys=True)))


def upgrade() -> None:
    op.create_table(
        "router_metadata_addresses",
        sa.Column("nic_uuid", sa.String(length=36), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=80), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("nic_uuid", "address", "target", name="pk_router_metadata_addresses"),
    )
    op.create_index("ix_router_metadata_addresses_target", "router_metadata_addresses", ["target"])
    op.add_column("metadata_queue", sa.Column("address", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    entries = sa.table("router_metadata", sa.column("target"), sa.column("vm_uuid"), sa.column("entry"))
    parts = sa.table("router_metadata_addresses", sa.column("nic_uuid"), sa.column("address"),
                     sa.column("target"), sa.column("position"))
    sums: dict[str, int] = {}
    for target, vm_uuid, entry in conn.execute(sa.select(entries.c.target, entries.c.vm_uuid, entries.c.entry)):
        base, held = _split(entry)
        conn.execute(entries.update().where(entries.c.target == target, entries.c.vm_uuid == vm_uuid)
                     .values(entry=base))
        if held:
            conn.execute(parts.insert(), [{"nic_uuid": nic, "address": address, "target": target, "position": index}
                                          for nic, address, index in held])
        sums[target] = sums.get(target, 0) + _sha(base) + sum(_sha(f"{nic} {address}") for nic, address, _ in held)
    _rekey(conn, sums)


def downgrade() -> None:
    # The entries whole again; the sums go back to one hash per entry.
    conn = op.get_bind()
    entries = sa.table("router_metadata", sa.column("target"), sa.column("vm_uuid"), sa.column("entry"))
    parts = sa.table("router_metadata_addresses", sa.column("nic_uuid"), sa.column("address"),
                     sa.column("target"), sa.column("position"))
    held: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for nic, address, target, position in conn.execute(sa.select(parts.c.nic_uuid, parts.c.address, parts.c.target,
                                                                 parts.c.position)):
        held.setdefault((target, nic), []).append((position, address))
    sums: dict[str, int] = {}
    for target, vm_uuid, base in conn.execute(sa.select(entries.c.target, entries.c.vm_uuid, entries.c.entry)):
        data = json.loads(base)
        for nic in data["nics"]:
            if (target, nic["uuid"]) in held:
                ordered = [address for _, address in sorted(held[(target, nic["uuid"])])]
                nic["ipv4"] = [a for a in ordered if ":" not in a]
                nic["ipv6"] = [a for a in ordered if ":" in a]
        entry = json.dumps(data, sort_keys=True, separators=(",", ":"))
        conn.execute(entries.update().where(entries.c.target == target, entries.c.vm_uuid == vm_uuid)
                     .values(entry=entry))
        sums[target] = sums.get(target, 0) + _sha(entry)
    _rekey(conn, sums)
    op.drop_index("ix_router_metadata_addresses_target", "router_metadata_addresses")
    op.drop_table("router_metadata_addresses")
    with op.batch_alter_table("metadata_queue") as batch:
        batch.drop_column("address")
