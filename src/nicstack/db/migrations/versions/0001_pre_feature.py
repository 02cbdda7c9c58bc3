"""The schema before multiple IPs per NIC: VMs with NICs, networks, public IPs, static NAT and PF."""

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _uuid() -> sa.Column[str]:
    return sa.Column("uuid", sa.String(length=40), nullable=False)


def _created() -> sa.Column[datetime]:
    return sa.Column("created", sa.DateTime(), nullable=False)


def _removed() -> sa.Column[datetime]:
    return sa.Column("removed", sa.DateTime(), nullable=True)


def upgrade() -> None:
    op.create_table(
        "configuration",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=4096), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_configuration")),
    )
    op.create_table(
        "domains",
        _id(),
        _uuid(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("network_domain", sa.String(length=255), nullable=True),
        _created(),
        _removed(),
        sa.ForeignKeyConstraint(["parent_id"], ["domains.id"], name=op.f("fk_domains_parent_id_domains")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domains")),
        sa.UniqueConstraint("uuid", name=op.f("uq_domains_uuid")),
    )
    op.create_table(
        "management_servers",
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_management_servers")),
    )
    op.create_table(
        "network_offerings",
        _id(),
        _uuid(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_text", sa.String(length=255), nullable=False),
        sa.Column("guest_type", sa.String(length=16), nullable=False),
        sa.Column("services", sa.String(length=1024), nullable=False),
        sa.Column("specify_vlan", sa.Boolean(), nullable=False),
        sa.Column("specify_ip_ranges", sa.Boolean(), nullable=False),
        sa.Column("for_vpc", sa.Boolean(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_offerings")),
        sa.UniqueConstraint("name", name=op.f("uq_network_offerings_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_network_offerings_uuid")),
    )
    op.create_table(
        "service_offerings",
        _id(),
        _uuid(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_text", sa.String(length=255), nullable=False),
        sa.Column("cpu_number", sa.Integer(), nullable=False),
        sa.Column("cpu_speed", sa.Integer(), nullable=False),
        sa.Column("memory", sa.Integer(), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_offerings")),
        sa.UniqueConstraint("name", name=op.f("uq_service_offerings_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_service_offerings_uuid")),
    )
    op.create_table(
        "templates",
        _id(),
        _uuid(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_text", sa.String(length=255), nullable=False),
        sa.Column("os_type", sa.String(length=255), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("is_featured", sa.Boolean(), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_templates")),
        sa.UniqueConstraint("name", name=op.f("uq_templates_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_templates_uuid")),
    )
    op.create_table(
        "accounts",
        _id(),
        _uuid(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.SmallInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        _created(),
        _removed(),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name=op.f("fk_accounts_domain_id_domains")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounts")),
        sa.UniqueConstraint("domain_id", "name", name=op.f("uq_accounts_domain_id_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_accounts_uuid")),
    )
    op.create_table(
        "zones",
        _id(),
        _uuid(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("network_type", sa.String(length=16), nullable=False),
        sa.Column("security_groups_enabled", sa.Boolean(), nullable=False),
        sa.Column("allocation_state", sa.String(length=16), nullable=False),
        sa.Column("dns1", sa.String(length=64), nullable=True),
        sa.Column("internal_dns1", sa.String(length=64), nullable=True),
        sa.Column("guest_cidr", sa.String(length=64), nullable=True),
        sa.Column("domain_id", sa.Integer(), nullable=True),
        _created(),
        _removed(),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name=op.f("fk_zones_domain_id_domains")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zones")),
        sa.UniqueConstraint("name", name=op.f("uq_zones_name")),
        sa.UniqueConstraint("uuid", name=op.f("uq_zones_uuid")),
    )
    op.create_table(
        "networks",
        _id(),
        _uuid(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_text", sa.String(length=255), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("network_offering_id", sa.Integer(), nullable=False),
        sa.Column("guest_type", sa.String(length=16), nullable=False),
        sa.Column("acl_type", sa.String(length=16), nullable=False),
        sa.Column("cidr", sa.String(length=64), nullable=True),
        sa.Column("gateway", sa.String(length=64), nullable=True),
        sa.Column("ip6_cidr", sa.String(length=64), nullable=True),
        sa.Column("ip6_gateway", sa.String(length=64), nullable=True),
        sa.Column("vlan", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("vpc_id", sa.Integer(), nullable=True),
        sa.Column("ip4_cursor", sa.BigInteger(), nullable=True),
        sa.Column("ip6_cursor", sa.LargeBinary(length=16), nullable=True),
        _created(),
        _removed(),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_networks_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name=op.f("fk_networks_domain_id_domains")),
        sa.ForeignKeyConstraint(
            ["network_offering_id"],
            ["network_offerings.id"],
            name=op.f("fk_networks_network_offering_id_network_offerings"),
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_networks_zone_id_zones")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_networks")),
        sa.UniqueConstraint("uuid", name=op.f("uq_networks_uuid")),
    )
    op.create_table(
        "pods",
        _id(),
        _uuid(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("gateway", sa.String(length=64), nullable=False),
        sa.Column("netmask", sa.String(length=64), nullable=False),
        sa.Column("start_ip", sa.String(length=64), nullable=True),
        sa.Column("end_ip", sa.String(length=64), nullable=True),
        sa.Column("allocation_state", sa.String(length=16), nullable=False),
        _created(),
        _removed(),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_pods_zone_id_zones")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pods")),
        sa.UniqueConstraint("uuid", name=op.f("uq_pods_uuid")),
        sa.UniqueConstraint("zone_id", "name", name=op.f("uq_pods_zone_id_name")),
    )
    op.create_table(
        "users",
        _id(),
        _uuid(),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("firstname", sa.String(length=255), nullable=False),
        sa.Column("lastname", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("api_key", sa.String(length=255), nullable=True),
        sa.Column("secret_key", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        _created(),
        _removed(),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_users_account_id_accounts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("api_key", name=op.f("uq_users_api_key")),
        sa.UniqueConstraint("uuid", name=op.f("uq_users_uuid")),
    )
    op.create_table(
        "async_jobs",
        _id(),
        _uuid(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("cmd", sa.String(length=64), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("instance_type", sa.String(length=32), nullable=True),
        sa.Column("instance_uuid", sa.String(length=40), nullable=True),
        sa.Column("server", sa.String(length=255), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("result_code", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        _created(),
        sa.Column("completed", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_async_jobs_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_async_jobs_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_async_jobs")),
        sa.UniqueConstraint("uuid", name=op.f("uq_async_jobs_uuid")),
    )
    op.create_index(op.f("ix_async_jobs_account_id"), "async_jobs", ["account_id"], unique=False)
    op.create_index(op.f("ix_async_jobs_status_server"), "async_jobs", ["status", "server"], unique=False)
    op.create_table(
        "events",
        _id(),
        _uuid(),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_events_account_id_accounts")),
        sa.ForeignKeyConstraint(["domain_id"], ["domains.id"], name=op.f("fk_events_domain_id_domains")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_events_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("uuid", name=op.f("uq_events_uuid")),
    )
    op.create_index(op.f("ix_events_account_id"), "events", ["account_id"], unique=False)
    op.create_table(
        "hosts",
        _id(),
        _uuid(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("pod_id", sa.Integer(), nullable=False),
        sa.Column("hypervisor", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=255), nullable=False),
        sa.Column("ip_address", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("resource_state", sa.String(length=16), nullable=False),
        _created(),
        _removed(),
        sa.ForeignKeyConstraint(["pod_id"], ["pods.id"], name=op.f("fk_hosts_pod_id_pods")),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_hosts_zone_id_zones")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hosts")),
        sa.UniqueConstraint("uuid", name=op.f("uq_hosts_uuid")),
    )
    op.create_table(
        "sessions",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("expires", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sessions")),
    )
    op.create_table(
        "vlan_ip_ranges",
        _id(),
        _uuid(),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("pod_id", sa.Integer(), nullable=True),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("for_virtual_network", sa.Boolean(), nullable=False),
        sa.Column("vlan", sa.String(length=64), nullable=True),
        sa.Column("gateway", sa.String(length=64), nullable=True),
        sa.Column("netmask", sa.String(length=64), nullable=True),
        sa.Column("start_ip", sa.String(length=64), nullable=True),
        sa.Column("end_ip", sa.String(length=64), nullable=True),
        sa.Column("ip6_gateway", sa.String(length=64), nullable=True),
        sa.Column("ip6_cidr", sa.String(length=64), nullable=True),
        sa.Column("start_ipv6", sa.String(length=64), nullable=True),
        sa.Column("end_ipv6", sa.String(length=64), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("domain_id", sa.Integer(), nullable=True),
        _created(),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_vlan_ip_ranges_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], name=op.f("fk_vlan_ip_ranges_domain_id_domains")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_vlan_ip_ranges_network_id_networks")
        ),
        sa.ForeignKeyConstraint(["pod_id"], ["pods.id"], name=op.f("fk_vlan_ip_ranges_pod_id_pods")),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_vlan_ip_ranges_zone_id_zones")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vlan_ip_ranges")),
        sa.UniqueConstraint("uuid", name=op.f("uq_vlan_ip_ranges_uuid")),
    )
    op.create_table(
        "vm_instances",
        _id(),
        _uuid(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("vm_type", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("pod_id", sa.Integer(), nullable=True),
        sa.Column("host_id", sa.Integer(), nullable=True),
        sa.Column("last_host_id", sa.Integer(), nullable=True),
        sa.Column("hypervisor", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        sa.Column("service_offering_id", sa.Integer(), nullable=True),
        sa.Column("template_id", sa.Integer(), nullable=True),
        _created(),
        _removed(),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_vm_instances_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], name=op.f("fk_vm_instances_domain_id_domains")
        ),
        sa.ForeignKeyConstraint(["host_id"], ["hosts.id"], name=op.f("fk_vm_instances_host_id_hosts")),
        sa.ForeignKeyConstraint(
            ["last_host_id"], ["hosts.id"], name=op.f("fk_vm_instances_last_host_id_hosts")
        ),
        sa.ForeignKeyConstraint(["pod_id"], ["pods.id"], name=op.f("fk_vm_instances_pod_id_pods")),
        sa.ForeignKeyConstraint(
            ["service_offering_id"],
            ["service_offerings.id"],
            name=op.f("fk_vm_instances_service_offering_id_service_offerings"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"], ["templates.id"], name=op.f("fk_vm_instances_template_id_templates")
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_vm_instances_zone_id_zones")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vm_instances")),
        sa.UniqueConstraint("uuid", name=op.f("uq_vm_instances_uuid")),
    )
    op.create_index(op.f("ix_vm_instances_account_id"), "vm_instances", ["account_id"], unique=False)
    op.create_table(
        "nics",
        _id(),
        _uuid(),
        sa.Column("vm_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("mac_address", sa.String(length=17), nullable=False),
        sa.Column("ip4_address", sa.String(length=64), nullable=True),
        sa.Column("netmask", sa.String(length=64), nullable=True),
        sa.Column("gateway", sa.String(length=64), nullable=True),
        sa.Column("ip6_address", sa.String(length=64), nullable=True),
        sa.Column("ip6_gateway", sa.String(length=64), nullable=True),
        sa.Column("ip6_cidr", sa.String(length=64), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        _created(),
        _removed(),
        sa.ForeignKeyConstraint(["network_id"], ["networks.id"], name=op.f("fk_nics_network_id_networks")),
        sa.ForeignKeyConstraint(["vm_id"], ["vm_instances.id"], name=op.f("fk_nics_vm_id_vm_instances")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nics")),
        sa.UniqueConstraint("uuid", name=op.f("uq_nics_uuid")),
    )
    op.create_index(op.f("ix_nics_network_id"), "nics", ["network_id"], unique=False)
    op.create_index(op.f("ix_nics_vm_id"), "nics", ["vm_id"], unique=False)
    op.create_table(
        "user_ip_address",
        _id(),
        _uuid(),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("vlan_range_id", sa.Integer(), nullable=False),
        sa.Column("public_ip_address", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("domain_id", sa.Integer(), nullable=True),
        sa.Column("network_id", sa.Integer(), nullable=True),
        sa.Column("vpc_id", sa.Integer(), nullable=True),
        sa.Column("is_source_nat", sa.Boolean(), nullable=False),
        sa.Column("is_static_nat", sa.Boolean(), nullable=False),
        sa.Column("vm_id", sa.Integer(), nullable=True),
        sa.Column("allocated", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_user_ip_address_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], name=op.f("fk_user_ip_address_domain_id_domains")
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_user_ip_address_network_id_networks")
        ),
        sa.ForeignKeyConstraint(
            ["vlan_range_id"],
            ["vlan_ip_ranges.id"],
            name=op.f("fk_user_ip_address_vlan_range_id_vlan_ip_ranges"),
        ),
        sa.ForeignKeyConstraint(
            ["vm_id"], ["vm_instances.id"], name=op.f("fk_user_ip_address_vm_id_vm_instances")
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_user_ip_address_zone_id_zones")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_ip_address")),
        sa.UniqueConstraint("uuid", name=op.f("uq_user_ip_address_uuid")),
        sa.UniqueConstraint(
            "zone_id", "public_ip_address", name=op.f("uq_user_ip_address_zone_id_public_ip_address")
        ),
    )
    op.create_table(
        "ip_allocations",
        _id(),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("family", sa.SmallInteger(), nullable=False),
        sa.Column("addr", sa.LargeBinary(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("nic_id", sa.Integer(), nullable=True),
        _created(),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_ip_allocations_network_id_networks")
        ),
        sa.ForeignKeyConstraint(["nic_id"], ["nics.id"], name=op.f("fk_ip_allocations_nic_id_nics")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_allocations")),
        sa.UniqueConstraint(
            "network_id", "family", "addr", name=op.f("uq_ip_allocations_network_id_family_addr")
        ),
    )
    op.create_table(
        "load_balancing_rules",
        _id(),
        _uuid(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("ip_address_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("public_port", sa.Integer(), nullable=False),
        sa.Column("private_port", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_load_balancing_rules_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], name=op.f("fk_load_balancing_rules_domain_id_domains")
        ),
        sa.ForeignKeyConstraint(
            ["ip_address_id"],
            ["user_ip_address.id"],
            name=op.f("fk_load_balancing_rules_ip_address_id_user_ip_address"),
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_load_balancing_rules_network_id_networks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_load_balancing_rules")),
        sa.UniqueConstraint("uuid", name=op.f("uq_load_balancing_rules_uuid")),
    )
    op.create_table(
        "port_forwarding_rules",
        _id(),
        _uuid(),
        sa.Column("ip_address_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("public_port_start", sa.Integer(), nullable=False),
        sa.Column("public_port_end", sa.Integer(), nullable=False),
        sa.Column("private_port_start", sa.Integer(), nullable=False),
        sa.Column("private_port_end", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("cidr_list", sa.String(length=1024), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("domain_id", sa.Integer(), nullable=False),
        _created(),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_port_forwarding_rules_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["domain_id"], ["domains.id"], name=op.f("fk_port_forwarding_rules_domain_id_domains")
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["vm_instances.id"],
            name=op.f("fk_port_forwarding_rules_instance_id_vm_instances"),
        ),
        sa.ForeignKeyConstraint(
            ["ip_address_id"],
            ["user_ip_address.id"],
            name=op.f("fk_port_forwarding_rules_ip_address_id_user_ip_address"),
        ),
        sa.ForeignKeyConstraint(
            ["network_id"], ["networks.id"], name=op.f("fk_port_forwarding_rules_network_id_networks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_port_forwarding_rules")),
        sa.UniqueConstraint("uuid", name=op.f("uq_port_forwarding_rules_uuid")),
    )
    op.create_table(
        "load_balancer_vm_map",
        _id(),
        sa.Column("load_balancer_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["vm_instances.id"],
            name=op.f("fk_load_balancer_vm_map_instance_id_vm_instances"),
        ),
        sa.ForeignKeyConstraint(
            ["load_balancer_id"],
            ["load_balancing_rules.id"],
            name=op.f("fk_load_balancer_vm_map_load_balancer_id_load_balancing_rules"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_load_balancer_vm_map")),
        sa.UniqueConstraint(
            "load_balancer_id",
            "instance_id",
            name=op.f("uq_load_balancer_vm_map_load_balancer_id_instance_id"),
        ),
    )


def downgrade() -> None:
    raise NotImplementedError("the first revision has nothing to downgrade to")
