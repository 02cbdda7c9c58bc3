"""Egress firewall rules of isolated networks, and the network offerings' default egress policy."""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision: str | None = "0013"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("network_offerings") as batch:
        batch.add_column(sa.Column("egress_default_allow", sa.Boolean(), nullable=False, server_default="1"))
    op.create_table(
        "egress_firewall_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("start_port", sa.Integer(), nullable=True),
        sa.Column("end_port", sa.Integer(), nullable=True),
        sa.Column("icmp_type", sa.Integer(), nullable=True),
        sa.Column("icmp_code", sa.Integer(), nullable=True),
        sa.Column("cidr_list", sa.String(length=1024), nullable=False),
        sa.Column("dest_cidr_list", sa.String(length=1024), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        *(sa.ForeignKeyConstraint([column], [f"{table}.id"], name=op.f(f"fk_egress_firewall_rules_{column}_{table}"))
          for column, table in (("network_id", "networks"), ("account_id", "accounts"), ("domain_id", "domains"))),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_egress_firewall_rules")),
        sa.UniqueConstraint("uuid", name=op.f("uq_egress_firewall_rules_uuid")),
    )
    op.create_index(op.f("ix_egress_firewall_rules_network_id"), "egress_firewall_rules", ["network_id"])


def downgrade() -> None:
    raise NotImplementedError("nicstack migrations only go forward")
