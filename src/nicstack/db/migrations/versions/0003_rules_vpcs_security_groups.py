"""Firewall rules, VPCs and their offerings, security groups, data-plane generations and host change sets."""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def _created() -> sa.Column[datetime]:
    return sa.Column("created", sa.DateTime(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "vpc_offerings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_text", sa.String(length=255), nullable=False),
        sa.Column("services", sa.String(length=1024), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vpc_offerings")),
        sa.UniqueConstraint("name", name=op.f("uq_vpc_offerings_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_vpc_offerings_uuid")),
    )
    op.create_table(
        "vpc",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_text", sa.String(length=255), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("vpc_offering_id", sa.Integer(), nullable=False),
        sa.Column("cidr", sa.String(length=64), nullable=False),
        sa.Column("network_domain", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        _created(),
        sa.Column("removed", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_vpc_account_id_accounts")),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name=op.f("fk_vpc_domain_id_domains")),
        sa.ForeignKeyConstraint(["vpc_offering_id"], ["vpc_offerings.id"],
                                name=op.f("fk_vpc_vpc_offering_id_vpc_offerings")),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_vpc_zone_id_zones")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vpc")),
        sa.UniqueConstraint("uuid", name=op.f("uq_vpc_uuid")),
    )
    op.create_table(
        "firewall_rules",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("ip_address_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("start_port", sa.Integer(), nullable=True),
        sa.Column("end_port", sa.Integer(), nullable=True),
        sa.Column("icmp_type", sa.Integer(), nullable=True),
        sa.Column("icmp_code", sa.Integer(), nullable=True),
        sa.Column("cidr_list", sa.String(length=1024), nullable=True),
        sa.Column("related_pf_id", sa.Integer(), nullable=True),
        sa.Column("related_lb_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_firewall_rules_account_id_accounts")),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name=op.f("fk_firewall_rules_domain_id_domains")),
        sa.ForeignKeyConstraint(["ip_address_id"], ["user_ip_address.id"],
                                name=op.f("fk_firewall_rules_ip_address_id_user_ip_address")),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_firewall_rules_network_id_networks")),
        sa.ForeignKeyConstraint(["related_pf_id"], ["port_forwarding_rules.id"],
                                name=op.f("fk_firewall_rules_related_pf_id_port_forwarding_rules")),
        sa.ForeignKeyConstraint(["related_lb_id"], ["load_balancing_rules.id"],
                                name=op.f("fk_firewall_rules_related_lb_id_load_balancing_rules")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firewall_rules")),
        sa.UniqueConstraint("uuid", name=op.f("uq_firewall_rules_uuid")),
    )
    op.create_table(
        "security_group",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=4096), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_security_group_account_id_accounts")),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name=op.f("fk_security_group_domain_id_domains")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_group")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_security_group_account_id_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_security_group_uuid")),
    )
    op.create_table(
        "security_group_rule",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uuid", sa.String(length=40), nullable=False),
        sa.Column("security_group_id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("start_port", sa.Integer(), nullable=True),
        sa.Column("end_port", sa.Integer(), nullable=True),
        sa.Column("icmp_type", sa.Integer(), nullable=True),
        sa.Column("icmp_code", sa.Integer(), nullable=True),
        sa.Column("cidr", sa.String(length=64), nullable=True),
        sa.Column("allowed_group_id", sa.Integer(), nullable=True),
        _created(),
        sa.ForeignKeyConstraint(["allowed_group_id"], ["security_group.id"],
                                name=op.f("fk_security_group_rule_allowed_group_id_security_group")),
        sa.ForeignKeyConstraint(["security_group_id"], ["security_group.id"],
                                name=op.f("fk_security_group_rule_security_group_id_security_group")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_group_rule")),
        sa.UniqueConstraint("uuid", name=op.f("uq_security_group_rule_uuid")),
    )
    op.create_index(op.f("ix_security_group_rule_security_group_id"), "security_group_rule", ["security_group_id"])
    op.create_table(
        "security_group_vm_map",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("security_group_id", sa.Integer(), nullable=False),
        sa.Column("vm_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["security_group_id"], ["security_group.id"],
                                name=op.f("fk_security_group_vm_map_security_group_id_security_group")),
        sa.ForeignKeyConstraint(
            ["vm_id"], ["vm_instances.id"], name=op.f("fk_security_group_vm_map_vm_id_vm_instances")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_group_vm_map")),
        sa.UniqueConstraint(
            "security_group_id", "vm_id", name=op.f("uq_security_group_vm_map_security_group_id_vm_id")
        ),
    )
    op.create_index(op.f("ix_security_group_vm_map_vm_id"), "security_group_vm_map", ["vm_id"])
    op.create_table(
        "dataplane_generations",
        sa.Column("target", sa.String(length=80), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("updated", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("target", name=op.f("pk_dataplane_generations")),
    )
    op.create_table(
        "host_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("host_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(["host_id"], ["hosts.id"], name=op.f("fk_host_changes_host_id_hosts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host_changes")),
        sa.UniqueConstraint("host_id", "generation", name=op.f("uq_host_changes_host_id_generation")),
    )


def downgrade() -> None:
    raise NotImplementedError("nicstack migrations only go forward")
