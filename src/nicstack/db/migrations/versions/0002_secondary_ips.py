"""Multiple IPs per NIC: nic_secondary_ips, nics.secondary_ip, and the guest address NAT, PF and LB use."""

import sqlalchemy as sa
from alembic import context, op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

# Just the columns the data fill reads and writes, frozen here so later model changes cannot
# change what this revision does.
nics = sa.table(
    "nics",
    sa.column("id", sa.Integer),
    sa.column("vm_id", sa.Integer),
    sa.column("network_id", sa.Integer),
    sa.column("ip4_address", sa.String),
    sa.column("is_default", sa.Boolean),
    sa.column("removed", sa.DateTime),
)
public_ips = sa.table(
    "user_ip_address",
    sa.column("id", sa.Integer),
    sa.column("network_id", sa.Integer),
    sa.column("is_static_nat", sa.Boolean),
    sa.column("vm_id", sa.Integer),
    sa.column("vm_ip_address", sa.String),
)
pf_rules = sa.table(
    "port_forwarding_rules",
    sa.column("id", sa.Integer),
    sa.column("network_id", sa.Integer),
    sa.column("instance_id", sa.Integer),
    sa.column("dest_ip_address", sa.String),
)
lb_rules = sa.table("load_balancing_rules", sa.column("id", sa.Integer), sa.column("network_id", sa.Integer))
lb_map = sa.table(
    "load_balancer_vm_map",
    sa.column("id", sa.Integer),
    sa.column("load_balancer_id", sa.Integer),
    sa.column("instance_id", sa.Integer),
    sa.column("instance_ip", sa.String),
)


def _first_ip4(*where: sa.ColumnElement[bool]) -> sa.ScalarSelect[str]:
    # A live NIC wins over a removed one; the id makes the pick deterministic.
    query = sa.select(nics.c.ip4_address).where(*where, nics.c.ip4_address.is_not(None))
    return query.order_by(nics.c.removed.is_not(None), nics.c.id).limit(1).scalar_subquery()


def _primary_ip4(vm_id: sa.ColumnElement[int], network_id: sa.ColumnElement[int]) -> sa.ColumnElement[str]:
    """The primary IPv4 of the VM's NIC in the network, else of its default NIC."""
    in_network = _first_ip4(nics.c.vm_id == vm_id, nics.c.network_id == network_id)
    default = _first_ip4(nics.c.vm_id == vm_id, nics.c.is_default == sa.true())
    return sa.func.coalesce(in_network, default)


def _require_filled(table: sa.TableClause, column: str) -> None:
    if context.is_offline_mode():
        return
    missing = op.get_bind().execute(sa.select(table.c.id).where(table.c[column].is_(None))).scalars().all()
    if missing:
        raise RuntimeError(
            f"{table.name}.{column}: no NIC with an IPv4 address for the instance of rows {sorted(missing)}; "
            "fix or delete those rows, then upgrade again"
        )


def _create_nic_secondary_ips() -> None:
    op.create_table(
        "nic_secondary_ips",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("nic_id", sa.Integer(), nullable=False),
        sa.Column("vm_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("ip4_address", sa.String(length=64), nullable=True),
        sa.Column("ip6_address", sa.String(length=64), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_nic_secondary_ips_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], name=op.f("fk_nic_secondary_ips_domain_id_domains")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_nic_secondary_ips_network_id_networks")
        ),
        sa.ForeignKeyConstraint(["nic_id"], ["nics.id"], name=op.f("fk_nic_secondary_ips_nic_id_nics")),
        sa.ForeignKeyConstraint(
            ["vm_id"], ["vm_instances.id"], name=op.f("fk_nic_secondary_ips_vm_id_vm_instances")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nic_secondary_ips")),
        sa.UniqueConstraint("uuid", name=op.f("uq_nic_secondary_ips_uuid")),
    )
    op.create_index(op.f("ix_nic_secondary_ips_nic_id"), "nic_secondary_ips", ["nic_id"], unique=False)
    with op.batch_alter_table("ip_allocations") as batch:
        batch.add_column(sa.Column("secondary_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_ip_allocations_secondary_id_nic_secondary_ips"),
            "nic_secondary_ips",
            ["secondary_id"],
            ["id"],
        )


def _fill_static_nat() -> None:
    op.add_column("user_ip_address", sa.Column("vm_ip_address", sa.String(length=64), nullable=True))
    op.execute(
        public_ips.update()
        .where(public_ips.c.is_static_nat == sa.true(), public_ips.c.vm_id.is_not(None))
        .values(vm_ip_address=_primary_ip4(public_ips.c.vm_id, public_ips.c.network_id))
    )


def _fill_port_forwarding() -> None:
    op.add_column("port_forwarding_rules", sa.Column("dest_ip_address", sa.String(length=64), nullable=True))
    op.execute(
        pf_rules.update().values(dest_ip_address=_primary_ip4(pf_rules.c.instance_id, pf_rules.c.network_id))
    )
    _require_filled(pf_rules, "dest_ip_address")
    with op.batch_alter_table("port_forwarding_rules") as batch:
        batch.alter_column("dest_ip_address", existing_type=sa.String(length=64), nullable=False)


def _fill_load_balancing() -> None:
    op.add_column("load_balancer_vm_map", sa.Column("instance_ip", sa.String(length=64), nullable=True))
    lb_network = (
        sa.select(lb_rules.c.network_id).where(lb_rules.c.id == lb_map.c.load_balancer_id).correlate(lb_map)
    )
    op.execute(
        lb_map.update().values(instance_ip=_primary_ip4(lb_map.c.instance_id, lb_network.scalar_subquery()))
    )
    _require_filled(lb_map, "instance_ip")
    # One VM may now sit behind the same rule on several of its addresses.
    with op.batch_alter_table("load_balancer_vm_map") as batch:
        batch.alter_column("instance_ip", existing_type=sa.String(length=64), nullable=False)
        batch.drop_constraint(op.f("uq_load_balancer_vm_map_load_balancer_id_instance_id"), type_="unique")
        batch.create_unique_constraint(
            op.f("uq_load_balancer_vm_map_load_balancer_id_instance_id_instance_ip"),
            ["load_balancer_id", "instance_id", "instance_ip"],
        )


def upgrade() -> None:
    _create_nic_secondary_ips()
    op.add_column("nics", sa.Column("secondary_ip", sa.SmallInteger(), nullable=False, server_default="0"))
    _fill_static_nat()
    _fill_port_forwarding()
    _fill_load_balancing()


def downgrade() -> None:
    # Going back would drop every secondary IP and the NAT/PF/LB rules that use one.
    raise NotImplementedError("downgrading below 0002 would lose secondary IPs")
