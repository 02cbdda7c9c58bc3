"""IP forwarding rules (CloudStack's static NAT rules for port ranges) and the firewall rules they open."""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision: str | None = "0011"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "ip_forwarding_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("ip_address_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("start_port", sa.Integer(), nullable=False),
        sa.Column("end_port", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["ip_address_id"], ["user_ip_address.id"],
                                name=op.f("fk_ip_forwarding_rules_ip_address_id_user_ip_address")),
        *(sa.ForeignKeyConstraint([column], [f"{table}.id"], name=op.f(f"fk_ip_forwarding_rules_{column}_{table}"))
          for column, table in (("network_id", "networks"), ("account_id", "accounts"), ("domain_id", "domains"))),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_forwarding_rules")),
        sa.UniqueConstraint("uuid", name=op.f("uq_ip_forwarding_rules_uuid")),
    )
    op.create_index(op.f("ix_ip_forwarding_rules_ip_address_id"), "ip_forwarding_rules", ["ip_address_id"])
    with op.batch_alter_table("firewall_rules") as batch:
        batch.add_column(sa.Column("related_ipf_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_firewall_rules_related_ipf_id_ip_forwarding_rules", "ip_forwarding_rules",
                                 ["related_ipf_id"], ["id"])


def downgrade() -> None:
    raise NotImplementedError("nicstack migrations only go forward")
