"""Port forwarding rules, static NAT and load-balancer members point at the allocation of their guest address.

"What targets this address" becomes one join, the database refuses to release an allocation a
rule still points at, and an address can later move with its rules. Existing rows are filled
from their guest address in their network; a row whose address has no allocation there is
inconsistent data the upgrade cannot guess at: it stops and changes nothing, naming the rows.
"""

import ipaddress

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def _key(text: str) -> tuple[int, bytes]:
    # The allocations table's key of an address: its family and 16 big-endian bytes.
    address = ipaddress.ip_address(text)
    return address.version, int(address).to_bytes(16, "big")


_allocations = sa.table("ip_allocations", sa.column("id"), sa.column("network_id"), sa.column("family"),
                        sa.column("addr"), sa.column("nic_id"))
_nics = sa.table("nics", sa.column("id"), sa.column("vm_id"))


def _fill(conn: sa.Connection, table: str, address_column: str, rows: sa.Select[tuple[int, int, str]],
          *, by_vm: bool = False) -> None:
    """Set allocation_id of each (row id, network id, address) row; with `by_vm`, the middle value is the
    row's VM and the allocation is found among its NICs' (a static NAT row need not name its network)."""
    a = _allocations
    target = sa.table(table, sa.column("id"), sa.column("allocation_id"))
    missing = []
    for row_id, owner, address in conn.execute(rows).tuples():
        family, key = _key(address)
        where = (a.c.nic_id.in_(sa.select(_nics.c.id).where(_nics.c.vm_id == owner)) if by_vm
                 else a.c.network_id == owner)
        found = conn.execute(sa.select(a.c.id).where(where, a.c.family == family, a.c.addr == key)).scalar()
        if found is None:
            missing.append(row_id)
            continue
        conn.execute(target.update().where(target.c.id == row_id).values(allocation_id=found))
    if missing:
        raise RuntimeError(f"{table}.{address_column} names no allocated address in its network for rows "
                           f"{sorted(missing)}: fix or delete those rows, then upgrade again")


def upgrade() -> None:
    conn = op.get_bind()
    for table in ("port_forwarding_rules", "load_balancer_vm_map", "user_ip_address"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("allocation_id", sa.Integer(), nullable=True))
    pf = sa.table("port_forwarding_rules", sa.column("id"), sa.column("network_id"), sa.column("dest_ip_address"))
    _fill(conn, "port_forwarding_rules", "dest_ip_address", sa.select(pf.c.id, pf.c.network_id, pf.c.dest_ip_address))
    m = sa.table("load_balancer_vm_map", sa.column("id"), sa.column("load_balancer_id"), sa.column("instance_ip"))
    lb = sa.table("load_balancing_rules", sa.column("id"), sa.column("network_id"))
    _fill(conn, "load_balancer_vm_map", "instance_ip",
          sa.select(m.c.id, lb.c.network_id, m.c.instance_ip).select_from(m.join(lb, lb.c.id == m.c.load_balancer_id)))
    ip = sa.table("user_ip_address", sa.column("id"), sa.column("vm_id"), sa.column("vm_ip_address"),
                  sa.column("is_static_nat"))
    _fill(conn, "user_ip_address", "vm_ip_address",
          sa.select(ip.c.id, ip.c.vm_id, ip.c.vm_ip_address)
          .where(ip.c.is_static_nat.is_(True), ip.c.vm_ip_address.is_not(None)), by_vm=True)
    for table, nullable in (("port_forwarding_rules", False), ("load_balancer_vm_map", False),
                            ("user_ip_address", True)):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("allocation_id", existing_type=sa.Integer(), nullable=nullable)
            batch.create_foreign_key(f"fk_{table}_allocation_id_ip_allocations", "ip_allocations",
                                     ["allocation_id"], ["id"])
            batch.create_index(f"ix_{table}_allocation_id", ["allocation_id"])


def downgrade() -> None:
    raise NotImplementedError("nicstack migrations only go forward")
