"""The schema, as SQLAlchemy Core tables. Migrations in db/migrations must agree (alembic check)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

# Stable constraint names on every database, so migrations can name what they alter.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _uuid() -> Column[str]:
    return Column("uuid", String(40), nullable=False, unique=True)


def _created() -> Column[datetime]:
    return Column("created", DateTime(timezone=False), nullable=False)


domains = Table(
    "domains",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False),
    Column("parent_id", Integer, ForeignKey("domains.id"), nullable=True),
    Column("path", String(1024), nullable=False),
    Column("level", Integer, nullable=False),
    Column("network_domain", String(255), nullable=True),
    _created(),
    Column("removed", DateTime, nullable=True),
)

accounts = Table(
    "accounts",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=False),
    Column("role", SmallInteger, nullable=False),
    Column("state", String(16), nullable=False),
    _created(),
    Column("removed", DateTime, nullable=True),
    UniqueConstraint("domain_id", "name"),
)

users = Table(
    "users",
    metadata,
    _id(),
    _uuid(),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("username", String(255), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("firstname", String(255), nullable=False),
    Column("lastname", String(255), nullable=False),
    Column("email", String(255), nullable=True),
    Column("api_key", String(255), nullable=True, unique=True),
    Column("secret_key", String(255), nullable=True),
    Column("state", String(16), nullable=False),
    # Failed logins in a row (CloudStack's user.login_attempts); reset by a good one.
    Column("login_attempts", Integer, nullable=False, server_default="0"),
    _created(),
    Column("removed", DateTime, nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("expires", DateTime, nullable=False),
)

zones = Table(
    "zones",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False, unique=True),
    Column("network_type", String(16), nullable=False),
    Column("security_groups_enabled", Boolean, nullable=False),
    Column("allocation_state", String(16), nullable=False),
    Column("dns1", String(64), nullable=True),
    Column("internal_dns1", String(64), nullable=True),
    Column("guest_cidr", String(64), nullable=True),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=True),
    _created(),
    Column("removed", DateTime, nullable=True),
)

pods = Table(
    "pods",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False),
    Column("zone_id", Integer, ForeignKey("zones.id"), nullable=False),
    Column("gateway", String(64), nullable=False),
    Column("netmask", String(64), nullable=False),
    Column("start_ip", String(64), nullable=True),
    Column("end_ip", String(64), nullable=True),
    Column("allocation_state", String(16), nullable=False),
    _created(),
    Column("removed", DateTime, nullable=True),
    UniqueConstraint("zone_id", "name"),
)

hosts = Table(
    "hosts",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False),
    Column("zone_id", Integer, ForeignKey("zones.id"), nullable=False),
    Column("pod_id", Integer, ForeignKey("pods.id"), nullable=False),
    Column("hypervisor", String(32), nullable=False),
    Column("url", String(255), nullable=False),
    Column("ip_address", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("resource_state", String(16), nullable=False),
    _created(),
    Column("removed", DateTime, nullable=True),
)

network_offerings = Table(
    "network_offerings",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False, unique=True),
    Column("display_text", String(255), nullable=False),
    Column("guest_type", String(16), nullable=False),
    Column("services", String(1024), nullable=False),
    Column("specify_vlan", Boolean, nullable=False),
    Column("specify_ip_ranges", Boolean, nullable=False),
    Column("for_vpc", Boolean, nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("state", String(16), nullable=False),
    _created(),
    # CloudStack's egressdefaultpolicy: true lets guests out unless an egress rule denies it; false lets out only
    # what the egress rules allow.
    Column("egress_default_allow", Boolean, nullable=False, server_default="1"),
)

service_offerings = Table(
    "service_offerings",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False, unique=True),
    Column("display_text", String(255), nullable=False),
    Column("cpu_number", Integer, nullable=False),
    Column("cpu_speed", Integer, nullable=False),
    Column("memory", Integer, nullable=False),
    _created(),
)

templates = Table(
    "templates",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False, unique=True),
    Column("display_text", String(255), nullable=False),
    Column("os_type", String(255), nullable=False),
    Column("format", String(16), nullable=False),
    Column("is_featured", Boolean, nullable=False),
    Column("is_public", Boolean, nullable=False),
    _created(),
)

networks = Table(
    "networks",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False),
    Column("display_text", String(255), nullable=False),
    Column("zone_id", Integer, ForeignKey("zones.id"), nullable=False),
    Column("network_offering_id", Integer, ForeignKey("network_offerings.id"), nullable=False),
    Column("guest_type", String(16), nullable=False),
    Column("acl_type", String(16), nullable=False),
    Column("cidr", String(64), nullable=True),
    Column("gateway", String(64), nullable=True),
    Column("ip6_cidr", String(64), nullable=True),
    Column("ip6_gateway", String(64), nullable=True),
    Column("vlan", String(64), nullable=True),
    Column("state", String(16), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=False),
    Column("vpc_id", Integer, nullable=True),
    # Where the allocator resumes: the last picked address + 1 (see ipam.allocator).
    Column("ip4_cursor", BigInteger, nullable=True),
    Column("ip6_cursor", LargeBinary(16), nullable=True),
    _created(),
    Column("removed", DateTime, nullable=True),
    # updateNetwork's networkdomain, and a VPC tier's network ACL list (0010).
    Column("network_domain", String(255), nullable=True),
    Column("network_acl_id", Integer, nullable=True),
)

vlan_ip_ranges = Table(
    "vlan_ip_ranges",
    metadata,
    _id(),
    _uuid(),
    Column("zone_id", Integer, ForeignKey("zones.id"), nullable=False),
    Column("pod_id", Integer, ForeignKey("pods.id"), nullable=True),
    Column("network_id", Integer, ForeignKey("networks.id"), nullable=True),
    Column("for_virtual_network", Boolean, nullable=False),
    Column("vlan", String(64), nullable=True),
    Column("gateway", String(64), nullable=True),
    Column("netmask", String(64), nullable=True),
    Column("start_ip", String(64), nullable=True),
    Column("end_ip", String(64), nullable=True),
    Column("ip6_gateway", String(64), nullable=True),
    Column("ip6_cidr", String(64), nullable=True),
    Column("start_ipv6", String(64), nullable=True),
    Column("end_ipv6", String(64), nullable=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=True),
    _created(),
)

vms = Table(
    "vm_instances",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False),
    Column("display_name", String(255), nullable=False),
    Column("vm_type", String(32), nullable=False),
    Column("state", String(16), nullable=False),
    Column("zone_id", Integer, ForeignKey("zones.id"), nullable=False),
    Column("pod_id", Integer, ForeignKey("pods.id"), nullable=True),
    Column("host_id", Integer, ForeignKey("hosts.id"), nullable=True),
    Column("last_host_id", Integer, ForeignKey("hosts.id"), nullable=True),
    Column("hypervisor", String(32), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=False),
    Column("service_offering_id", Integer, ForeignKey("service_offerings.id"), nullable=True),
    Column("template_id", Integer, ForeignKey("templates.id"), nullable=True),
    _created(),
    Column("removed", DateTime, nullable=True),
    # deployVirtualMachine's keypair(s), comma-separated names: stored and returned (0010).
    Column("keypairs", String(1024), nullable=True),
    Index(None, "account_id"),
)

# Apart from vm_instances: listings never read it, and it may be tens of kilobytes.
vm_user_data = Table(
    "vm_user_data",
    metadata,
    Column("vm_id", Integer, ForeignKey("vm_instances.id"), primary_key=True),
    Column("user_data", Text, nullable=False),
)

nics = Table(
    "nics",
    metadata,
    _id(),
    _uuid(),
    Column("vm_id", Integer, ForeignKey("vm_instances.id"), nullable=False),
    Column("network_id", Integer, ForeignKey("networks.id"), nullable=False),
    Column("device_id", Integer, nullable=False),
    Column("mac_address", String(17), nullable=False),
    Column("ip4_address", String(64), nullable=True),
    Column("netmask", String(64), nullable=True),
    Column("gateway", String(64), nullable=True),
    Column("ip6_address", String(64), nullable=True),
    Column("ip6_gateway", String(64), nullable=True),
    Column("ip6_cidr", String(64), nullable=True),
    Column("is_default", Boolean, nullable=False),
    # 1 when the NIC holds at least one secondary IP (the seed's column).
    Column("secondary_ip", SmallInteger, nullable=False, server_default="0"),
    Column("state", String(16), nullable=False),
    _created(),
    Column("removed", DateTime, nullable=True),
    Index(None, "vm_id"),
    Index(None, "network_id"),
)

# A request that carried a client token (addIpToNic clienttoken=...): its retry returns the same job
# and value instead of reserving again. `request` is a digest of what was asked, to refuse a
# different request under the same token.
client_tokens = Table(
    "client_tokens",
    metadata,
    _id(),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("command", String(64), nullable=False),
    Column("token", String(64), nullable=False),
    Column("request", String(64), nullable=False),
    Column("job_uuid", String(40), nullable=False),
    Column("result", Text, nullable=False),
    _created(),
    UniqueConstraint("account_id", "command", "token"),
)

nic_secondary_ips = Table(
    "nic_secondary_ips",
    metadata,
    _id(),
    _uuid(),
    Column("nic_id", Integer, ForeignKey("nics.id"), nullable=False),
    Column("vm_id", Integer, ForeignKey("vm_instances.id"), nullable=False),
    Column("network_id", Integer, ForeignKey("networks.id"), nullable=False),
    Column("ip4_address", String(64), nullable=True),
    Column("ip6_address", String(64), nullable=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=False),
    _created(),
    # By NIC in the order added, with the addresses: the metadata pass reads a NIC's from the index alone.
    Index(None, "nic_id", "id", "ip4_address", "ip6_address"),
    # addIpToNic's description (CloudStack's newest API has it), shown with the address.
    Column("description", String(255), nullable=True),
)

# Every consumer of a guest address (NIC primary, secondary, router, reserved) holds a row
# here: the unique key is the last line of defence against handing out an address twice.
ip_allocations = Table(
    "ip_allocations",
    metadata,
    _id(),
    Column("network_id", Integer, ForeignKey("networks.id"), nullable=False),
    Column("family", SmallInteger, nullable=False),
    Column("addr", LargeBinary(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("nic_id", Integer, ForeignKey("nics.id"), nullable=True),
    Column("secondary_id", Integer, ForeignKey("nic_secondary_ips.id"), nullable=True),
    _created(),
    UniqueConstraint("network_id", "family", "addr"),
)

public_ips = Table(
    "user_ip_address",
    metadata,
    _id(),
    _uuid(),
    Column("zone_id", Integer, ForeignKey("zones.id"), nullable=False),
    Column("vlan_range_id", Integer, ForeignKey("vlan_ip_ranges.id"), nullable=False),
    Column("public_ip_address", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=True),
    Column("network_id", Integer, ForeignKey("networks.id"), nullable=True),
    Column("vpc_id", Integer, nullable=True),
    Column("is_source_nat", Boolean, nullable=False),
    Column("is_static_nat", Boolean, nullable=False),
    Column("vm_id", Integer, ForeignKey("vm_instances.id"), nullable=True),
    # The guest address static NAT maps to (CloudStack's dnat_vmip, the seed's vm_ipaddr).
    Column("vm_ip_address", String(64), nullable=True),
    Column("allocated", DateTime, nullable=True),
    # ...and its allocation: what "which rules target this address" joins on (set with static NAT).
    Column("allocation_id", Integer, ForeignKey("ip_allocations.id"), nullable=True),
    UniqueConstraint("zone_id", "public_ip_address"),
    Index(None, "allocation_id"),
)

port_forwarding_rules = Table(
    "port_forwarding_rules",
    metadata,
    _id(),
    _uuid(),
    Column("ip_address_id", Integer, ForeignKey("user_ip_address.id"), nullable=False),
    Column("network_id", Integer, ForeignKey("networks.id"), nullable=False),
    Column("protocol", String(16), nullable=False),
    Column("public_port_start", Integer, nullable=False),
    Column("public_port_end", Integer, nullable=False),
    Column("private_port_start", Integer, nullable=False),
    Column("private_port_end", Integer, nullable=False),
    Column("instance_id", Integer, ForeignKey("vm_instances.id"), nullable=False),
    Column("dest_ip_address", String(64), nullable=False),
    Column("cidr_list", String(1024), nullable=True),
    Column("state", String(16), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=False),
    _created(),
    # The allocation of dest_ip_address: an address cannot be released while a rule holds this.
    Column("allocation_id", Integer, ForeignKey("ip_allocations.id"), nullable=False),
    Index(None, "allocation_id"),
)

load_balancing_rules = Table(
    "load_balancing_rules",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False),
    Column("ip_address_id", Integer, ForeignKey("user_ip_address.id"), nullable=False),
    Column("network_id", Integer, ForeignKey("networks.id"), nullable=False),
    Column("algorithm", String(32), nullable=False),
    Column("protocol", String(16), nullable=False),
    Column("public_port", Integer, nullable=False),
    Column("private_port", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=False),
    _created(),
    Column("description", String(4096), nullable=True),
    # Comma-separated source CIDRs; NULL: from anywhere.
    Column("cidr_list", String(4096), nullable=True),
)

load_balancer_vm_map = Table(
    "load_balancer_vm_map",
    metadata,
    _id(),
    Column("load_balancer_id", Integer, ForeignKey("load_balancing_rules.id"), nullable=False),
    Column("instance_id", Integer, ForeignKey("vm_instances.id"), nullable=False),
    Column("instance_ip", String(64), nullable=False),
    # The allocation of instance_ip (see port_forwarding_rules.allocation_id).
    Column("allocation_id", Integer, ForeignKey("ip_allocations.id"), nullable=False),
    UniqueConstraint("load_balancer_id", "instance_id", "instance_ip"),
    Index(None, "allocation_id"),
)

# The job queue: any server claims a pending job whose lease is free (or expired) and due,
# runs it and finishes it on its own; a job no user asked for (a synchronous change's
# data-plane publication) has no user or account.
async_jobs = Table(
    "async_jobs",
    metadata,
    _id(),
    _uuid(),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=True),
    Column("cmd", String(64), nullable=False),
    Column("params", Text, nullable=False),
    Column("instance_type", String(32), nullable=True),
    Column("instance_uuid", String(40), nullable=True),
    Column("created_by", String(255), nullable=False),
    Column("status", SmallInteger, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("claimed_by", String(255), nullable=True),
    Column("lease_until", DateTime, nullable=True),
    Column("available_at", DateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("result_code", Integer, nullable=False),
    Column("result", Text, nullable=True),
    _created(),
    Column("completed", DateTime, nullable=True),
    Index(None, "status", "available_at"),
    Index(None, "account_id"),
)

events = Table(
    "events",
    metadata,
    _id(),
    _uuid(),
    Column("type", String(64), nullable=False),
    Column("level", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("description", Text, nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=False),
    _created(),
    Index(None, "account_id"),
)

configuration = Table(
    "configuration",
    metadata,
    Column("name", String(255), primary_key=True),
    Column("value", String(4096), nullable=True),
)

# --- Rules on public addresses, VPCs, security groups, data-plane generations (0003) ---

vpc_offerings = Table(
    "vpc_offerings",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False, unique=True),
    Column("display_text", String(255), nullable=False),
    Column("services", String(1024), nullable=False),
    Column("is_default", Boolean, nullable=False),
    Column("state", String(16), nullable=False),
    _created(),
)

vpcs = Table(
    "vpc",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False),
    Column("display_text", String(255), nullable=False),
    Column("zone_id", Integer, ForeignKey("zones.id"), nullable=False),
    Column("vpc_offering_id", Integer, ForeignKey("vpc_offerings.id"), nullable=False),
    Column("cidr", String(64), nullable=False),
    Column("network_domain", String(255), nullable=True),
    Column("state", String(16), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=False),
    _created(),
    Column("removed", DateTime, nullable=True),
)

firewall_rules = Table(
    "firewall_rules",
    metadata,
    _id(),
    _uuid(),
    Column("ip_address_id", Integer, ForeignKey("user_ip_address.id"), nullable=False),
    Column("network_id", Integer, ForeignKey("networks.id"), nullable=False),
    Column("protocol", String(16), nullable=False),
    Column("start_port", Integer, nullable=True),
    Column("end_port", Integer, nullable=True),
    Column("icmp_type", Integer, nullable=True),
    Column("icmp_code", Integer, nullable=True),
    Column("cidr_list", String(1024), nullable=True),
    # Set when the rule was opened by createPortForwardingRule / createLoadBalancerRule with
    # openfirewall=true: it goes with that rule.
    Column("related_pf_id", Integer, ForeignKey("port_forwarding_rules.id"), nullable=True),
    Column("related_lb_id", Integer, ForeignKey("load_balancing_rules.id"), nullable=True),
    Column("state", String(16), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=False),
    _created(),
    # Set when createIpForwardingRule opened it (openfirewall, the default): it goes with that rule.
    Column("related_ipf_id", Integer, ForeignKey("ip_forwarding_rules.id"), nullable=True),
)
# CloudStack's resource tags: key/value pairs on a user's resources, by resource type and uuid.
resource_tags = Table(
    "resource_tags",
    metadata,
    _id(),
    _uuid(),
    Column("key", String(255), nullable=False),
    Column("value", String(255), nullable=False),
    Column("resource_type", String(32), nullable=False),
    Column("resource_uuid", String(40), nullable=False),
    Column("customer", String(255), nullable=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=False),
    _created(),
    UniqueConstraint("resource_type", "resource_uuid", "key"),
)
# Egress firewall rules of isolated networks: guest traffic leaving through the router.
egress_firewall_rules = Table(
    "egress_firewall_rules",
    metadata,
    _id(),
    _uuid(),
    Column("network_id", Integer, ForeignKey("networks.id"), nullable=False),
    Column("protocol", String(16), nullable=False),
    Column("start_port", Integer, nullable=True),
    Column("end_port", Integer, nullable=True),
    Column("icmp_type", Integer, nullable=True),
    Column("icmp_code", Integer, nullable=True),
    Column("cidr_list", String(1024), nullable=False),
    Column("dest_cidr_list", String(1024), nullable=False),
    Column("state", String(16), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=False),
    _created(),
    Index(None, "network_id"),
)
# CloudStack's IP forwarding rules ("static NAT rules"): a protocol and port range of a public IP with
# static NAT, forwarded to the static NAT's guest address.
ip_forwarding_rules = Table(
    "ip_forwarding_rules",
    metadata,
    _id(),
    _uuid(),
    Column("ip_address_id", Integer, ForeignKey("user_ip_address.id"), nullable=False),
    Column("network_id", Integer, ForeignKey("networks.id"), nullable=False),
    Column("protocol", String(16), nullable=False),
    Column("start_port", Integer, nullable=False),
    Column("end_port", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=False),
    _created(),
    Index(None, "ip_address_id"),
)

security_groups = Table(
    "security_group",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False),
    Column("description", String(4096), nullable=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=False),
    _created(),
    UniqueConstraint("account_id", "name"),
)

security_group_rules = Table(
    "security_group_rule",
    metadata,
    _id(),
    _uuid(),
    Column("security_group_id", Integer, ForeignKey("security_group.id"), nullable=False),
    Column("direction", String(8), nullable=False),
    Column("protocol", String(16), nullable=False),
    Column("start_port", Integer, nullable=True),
    Column("end_port", Integer, nullable=True),
    Column("icmp_type", Integer, nullable=True),
    Column("icmp_code", Integer, nullable=True),
    Column("cidr", String(64), nullable=True),
    Column("allowed_group_id", Integer, ForeignKey("security_group.id"), nullable=True),
    _created(),
    Index(None, "security_group_id"),
)

security_group_vm_map = Table(
    "security_group_vm_map",
    metadata,
    _id(),
    Column("security_group_id", Integer, ForeignKey("security_group.id"), nullable=False),
    Column("vm_id", Integer, ForeignKey("vm_instances.id"), nullable=False),
    UniqueConstraint("security_group_id", "vm_id"),
    Index(None, "vm_id"),
)

# One row per data-plane target ("router:<network or vpc uuid>", "host:<host uuid>"): the
# generation grows exactly when the rendered content's digest changes.
dataplane_generations = Table(
    "dataplane_generations",
    metadata,
    Column("target", String(80), primary_key=True),
    Column("generation", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("updated", DateTime, nullable=False),
    # A router's rendered documents (canonical JSON); hosts keep their state in host_changes.
    Column("documents", Text, nullable=True),
)

# Each router's metadata document, an entry per VM (render.metadata.vm_entry) as last published: a VM's
# change rewrites its own rows and re-keys its routers without rendering every other VM. `entry` is the
# entry's base (render.metadata.split_entry: its NICs without addresses); the addresses are rows of
# router_metadata_addresses, so a NIC's address added or taken is one row on each of its VM's routers,
# however many addresses the VM holds.
router_metadata = Table(
    "router_metadata",
    metadata,
    Column("target", String(80), primary_key=True),
    Column("vm_uuid", String(36), primary_key=True),
    Column("entry", Text, nullable=False),
)

router_metadata_addresses = Table(
    "router_metadata_addresses",
    metadata,
    Column("nic_uuid", String(36), primary_key=True),
    Column("address", String(64), primary_key=True),
    Column("target", String(80), primary_key=True),
    # The address's place in its NIC's list: its index when the entry was written whole, or (added
    # since) the secondary IP's id, which is larger than any index and grows in the order added.
    Column("position", BigInteger, nullable=False),
    Index(None, "target"),
)

# VMs whose routers' metadata entries are due: a job queues its VMs with its change, and a worker
# publishes every queued VM in one pass, so a burst of changes renders each router's entries once.
# A row per change, never merged: a VM queued again while a pass runs is published by the next one.
# `nic_id` and `address` set: only that address of that NIC was added or taken, so the pass writes that
# address's rows alone (a VM may hold hundreds); NULL: the whole VM.
metadata_queue = Table(
    "metadata_queue",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("vm_id", Integer, nullable=False),
    Column("nic_id", Integer, nullable=True),
    Column("address", String(64), nullable=True),
)

# Incremental change sets published for a host, so an agent at generation G can fetch G+1...
host_changes = Table(
    "host_changes",
    metadata,
    _id(),
    Column("host_id", Integer, ForeignKey("hosts.id"), nullable=False),
    Column("generation", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),
    _created(),
    UniqueConstraint("host_id", "generation"),
)

# --- Data-plane agents (0005) ---

# An agent's credentials are a user of the agents' account; this row names the one target
# ("router:<uuid>" or "host:<uuid>") whose documents they may read and report on.
dataplane_agents = Table(
    "dataplane_agents",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("target", String(80), nullable=False, unique=True),
    _created(),
)

# What a target's agent last reported: the generation and digest it holds, when it last applied
# without error, its last error, and its heartbeat.
dataplane_applied = Table(
    "dataplane_applied",
    metadata,
    Column("target", String(80), primary_key=True),
    Column("generation", BigInteger, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("agent", String(255), nullable=False),
    Column("heartbeat", DateTime, nullable=False),
    Column("ok_at", DateTime, nullable=True),
    Column("error", Text, nullable=True),
    Column("error_at", DateTime, nullable=True),
)


# --- VPC network ACLs, SSH key pairs, disk offerings (0010) ---

# A network ACL list: CloudStack's built-in default_allow and default_deny have no VPC.
network_acls = Table(
    "network_acl",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False),
    Column("description", String(255), nullable=True),
    Column("vpc_id", Integer, ForeignKey("vpc.id"), nullable=True),
    _created(),
    Column("removed", DateTime, nullable=True),
)

network_acl_items = Table(
    "network_acl_item",
    metadata,
    _id(),
    _uuid(),
    Column("acl_id", Integer, ForeignKey("network_acl.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("action", String(8), nullable=False),
    Column("traffic_type", String(8), nullable=False),
    Column("protocol", String(16), nullable=False),
    Column("start_port", Integer, nullable=True),
    Column("end_port", Integer, nullable=True),
    Column("icmp_type", Integer, nullable=True),
    Column("icmp_code", Integer, nullable=True),
    Column("cidr_list", String(1024), nullable=False),
    Column("reason", String(255), nullable=True),
    _created(),
    # The number orders a list's items: two items of one list cannot share it.
    UniqueConstraint("acl_id", "number"),
)

ssh_keypairs = Table(
    "ssh_keypairs",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False),
    Column("fingerprint", String(128), nullable=False),
    Column("public_key", Text, nullable=False),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("domain_id", Integer, ForeignKey("domains.id"), nullable=False),
    _created(),
    UniqueConstraint("account_id", "name"),
)

disk_offerings = Table(
    "disk_offerings",
    metadata,
    _id(),
    _uuid(),
    Column("name", String(255), nullable=False, unique=True),
    Column("display_text", String(255), nullable=False),
    # GiB; 0 with is_customized: the user gives the size.
    Column("disk_size", Integer, nullable=False),
    Column("is_customized", Boolean, nullable=False),
    Column("storage_type", String(16), nullable=False),
    _created(),
)
