"""VPC network ACL lists and items, a tier's ACL list, a network's domain, SSH key pairs, disk offerings."""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision: str | None = "0010"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Nullable: existing tiers keep no ACL list and the router treats them as before.
    op.add_column("networks", sa.Column("network_domain", sa.String(length=255), nullable=True))
    op.add_column("networks", sa.Column("network_acl_id", sa.Integer(), nullable=True))
    op.add_column("vm_instances", sa.Column("keypairs", sa.String(length=1024), nullable=True))
    op.create_table(
        "network_acl",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=255), nullable=True),
        sa.Column("vpc_id", sa.Integer(), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.Column("removed", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["vpc_id"], ["vpc.id"], name="fk_network_acl_vpc_id_vpc"),
        sa.PrimaryKeyConstraint("id", name="pk_network_acl"),
        sa.UniqueConstraint("uuid", name="uq_network_acl_uuid"),
    )
    op.create_table(
        "network_acl_item",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("acl_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=8), nullable=False),
        sa.Column("traffic_type", sa.String(length=8), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("start_port", sa.Integer(), nullable=True),
        sa.Column("end_port", sa.Integer(), nullable=True),
        sa.Column("icmp_type", sa.Integer(), nullable=True),
        sa.Column("icmp_code", sa.Integer(), nullable=True),
        sa.Column("cidr_list", sa.String(length=1024), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=True),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["acl_id"], ["network_acl.id"], name="fk_network_acl_item_acl_id_network_acl"),
        sa.PrimaryKeyConstraint("id", name="pk_network_acl_item"),
        sa.UniqueConstraint("uuid", name="uq_network_acl_item_uuid"),
        sa.UniqueConstraint("acl_id", "number", name="uq_network_acl_item_acl_id_number"),
    )
    op.create_table(
        "ssh_keypairs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=128), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name="fk_ssh_keypairs_account_id_accounts"),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name="fk_ssh_keypairs_domain_id_domains"),
        sa.PrimaryKeyConstraint("id", name="pk_ssh_keypairs"),
        sa.UniqueConstraint("uuid", name="uq_ssh_keypairs_uuid"),
        sa.UniqueConstraint("account_id", "name", name="uq_ssh_keypairs_account_id_name"),
    )
    op.create_table(
        "disk_offerings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_text", sa.String(length=255), nullable=False),
        sa.Column("disk_size", sa.Integer(), nullable=False),
        sa.Column("is_customized", sa.Boolean(), nullable=False),
        sa.Column("storage_type", sa.String(length=16), nullable=False),
        sa.Column("created", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_disk_offerings"),
        sa.UniqueConstraint("name", name="uq_disk_offerings_name"),
        sa.UniqueConstraint("uuid", name="uq_disk_offerings_uuid"),
    )


def downgrade() -> None:
    # Dropping the ACL tables would open every tier that an ACL list closes.
    raise NotImplementedError("nicstack migrations only go forward")
