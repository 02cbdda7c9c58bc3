"""The migration chain: head matches the models, and upgrading a pre-feature database loses nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from hashlib import sha256
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.pool import NullPool

from nicstack.db import migrate, tables
from nicstack.db.database import Database
from nicstack.db.uow import SqlUnitOfWork
from nicstack.render.metadata import document_of, entry_of, nic_data, sum_digest
from nicstack.render.router import RouterDocuments, generation_key
from nicstack.services import routers

pytestmark = pytest.mark.integration

WHEN = datetime(2024, 5, 1, 12, 0, 0)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    migrate.upgrade(database_url, "0001")
    eng = sa.create_engine(database_url, poolclass=NullPool)
    yield eng
    eng.dispose()


def _insert(conn: sa.Connection, name: str, *rows: dict[str, Any]) -> None:
    # Only the columns given, typed as the database has them, so the insert fits the pre-feature schema.
    model = sa.Table(name, sa.MetaData(), autoload_with=conn)
    for row in rows:
        table = sa.table(name, *[sa.column(key, model.c[key].type) for key in row])
        conn.execute(table.insert().values(**row))


def _common(row_id: int) -> dict[str, Any]:
    return {"id": row_id, "uuid": f"00000000-0000-0000-0000-{row_id:012d}", "created": WHEN}


def _owned(row_id: int) -> dict[str, Any]:
    return {**_common(row_id), "account_id": 2, "domain_id": 1}


def _vm(row_id: int, name: str) -> dict[str, Any]:
    return {
        **_owned(row_id),
        "name": name,
        "display_name": name,
        "vm_type": "User",
        "state": "Running",
        "zone_id": 1,
        "pod_id": 1,
        "host_id": 1,
        "hypervisor": "KVM",
        "service_offering_id": 1,
        "template_id": 1,
    }


def _nic(row_id: int, vm_id: int, network_id: int, ip: str, *, device: int, default: bool) -> dict[str, Any]:
    return {
        **_common(row_id),
        "vm_id": vm_id,
        "network_id": network_id,
        "device_id": device,
        "mac_address": f"02:00:00:00:00:{row_id:02x}",
        "ip4_address": ip,
        "netmask": "255.255.255.0",
        "gateway": ip.rsplit(".", 1)[0] + ".1",
        "is_default": default,
        "state": "Reserved",
    }


def _network(row_id: int, name: str, cidr: str) -> dict[str, Any]:
    return {
        **_owned(row_id),
        "name": name,
        "display_text": name,
        "zone_id": 1,
        "network_offering_id": 1,
        "guest_type": "Isolated",
        "acl_type": "Account",
        "cidr": cidr,
        "gateway": cidr.replace("0/24", "1"),
        "state": "Implemented",
        "ip4_cursor": 12,
    }


def _public_ip(row_id: int, ip: str, network_id: int | None, **extra: Any) -> dict[str, Any]:
    # Public IPs carry `allocated`, not `created`.
    return {
        "id": row_id,
        "uuid": _common(row_id)["uuid"],
        "account_id": 2,
        "domain_id": 1,
        "zone_id": 1,
        "vlan_range_id": 1,
        "public_ip_address": ip,
        "state": "Allocated",
        "network_id": network_id,
        "is_source_nat": False,
        "is_static_nat": False,
        "allocated": WHEN,
        **extra,
    }


def _pf(row_id: int, ip_id: int, network_id: int, vm_id: int, port: int) -> dict[str, Any]:
    return {
        **_owned(row_id),
        "ip_address_id": ip_id,
        "network_id": network_id,
        "protocol": "tcp",
        "public_port_start": port,
        "public_port_end": port,
        "private_port_start": 22,
        "private_port_end": 22,
        "instance_id": vm_id,
        "state": "Active",
    }


def _lb(row_id: int, ip_id: int, network_id: int) -> dict[str, Any]:
    return {
        **_owned(row_id),
        "name": f"lb{row_id}",
        "ip_address_id": ip_id,
        "network_id": network_id,
        "algorithm": "roundrobin",
        "protocol": "tcp",
        "public_port": 80,
        "private_port": 8080,
        "state": "Active",
    }


def _populate_pre_feature_world(conn: sa.Connection) -> None:
    """Two networks, three VMs (VM 101 has a NIC in each), static NAT, PF and LB on primary IPs."""
    _insert(conn, "domains", {**_common(1), "name": "ROOT", "path": "/", "level": 0})
    _insert(conn, "accounts", {**_common(2), "name": "alice", "domain_id": 1, "role": 2, "state": "enabled"})
    _insert(
        conn,
        "users",
        {
            **_common(3),
            "account_id": 2,
            "username": "alice",
            "password_hash": "x",
            "firstname": "Alice",
            "lastname": "Doe",
            "api_key": "key",
            "secret_key": "secret",
            "state": "enabled",
        },
    )
    _insert(conn, "sessions", {"key": "s" * 64, "user_id": 3, "csrf_token": "c" * 64, "expires": WHEN})
    _insert(
        conn,
        "zones",
        {
            **_common(1),
            "name": "zone1",
            "network_type": "Advanced",
            "security_groups_enabled": False,
            "allocation_state": "Enabled",
            "dns1": "8.8.8.8",
        },
    )
    _insert(
        conn,
        "pods",
        {
            **_common(1),
            "name": "pod1",
            "zone_id": 1,
            "gateway": "192.168.0.1",
            "netmask": "255.255.255.0",
            "allocation_state": "Enabled",
        },
    )
    _insert(
        conn,
        "hosts",
        {
            **_common(1),
            "name": "kvm1",
            "zone_id": 1,
            "pod_id": 1,
            "hypervisor": "KVM",
            "url": "http://kvm1",
            "ip_address": "192.168.0.10",
            "state": "Up",
            "resource_state": "Enabled",
        },
    )
    _insert(
        conn,
        "network_offerings",
        {
            **_common(1),
            "name": "isolated",
            "display_text": "Isolated with source NAT",
            "guest_type": "Isolated",
            "services": "Dhcp,Dns,SourceNat,StaticNat,PortForwarding,Lb",
            "specify_vlan": False,
            "specify_ip_ranges": False,
            "for_vpc": False,
            "is_default": True,
            "state": "Enabled",
        },
    )
    _insert(
        conn,
        "service_offerings",
        {
            **_common(1),
            "name": "small",
            "display_text": "Small",
            "cpu_number": 1,
            "cpu_speed": 500,
            "memory": 512,
        },
    )
    _insert(
        conn,
        "templates",
        {
            **_common(1),
            "name": "tiny",
            "display_text": "Tiny Linux",
            "os_type": "Other Linux",
            "format": "QCOW2",
            "is_featured": True,
            "is_public": True,
        },
    )
    _insert(conn, "networks", _network(10, "front", "10.1.1.0/24"), _network(20, "back", "10.1.2.0/24"))
    _insert(
        conn,
        "vlan_ip_ranges",
        {
            **_common(1),
            "zone_id": 1,
            "pod_id": None,
            "for_virtual_network": True,
            "vlan": "untagged",
            "gateway": "203.0.113.1",
            "netmask": "255.255.255.0",
            "start_ip": "203.0.113.10",
            "end_ip": "203.0.113.50",
        },
        {
            **_common(2),
            "zone_id": 1,
            "network_id": 20,
            "for_virtual_network": False,
            "vlan": "200",
            "gateway": "10.1.2.1",
            "netmask": "255.255.255.0",
            "start_ip": "10.1.2.100",
            "end_ip": "10.1.2.200",
            "account_id": 2,
            "domain_id": 1,
        },
    )
    _insert(conn, "vm_instances", _vm(100, "web"), _vm(101, "dual"), _vm(102, "db"))
    _insert(
        conn,
        "nics",
        _nic(1, 100, 10, "10.1.1.10", device=0, default=True),
        _nic(2, 101, 10, "10.1.1.11", device=0, default=True),
        _nic(3, 101, 20, "10.1.2.11", device=1, default=False),
        _nic(4, 102, 20, "10.1.2.12", device=0, default=True),
    )
    _insert(
        conn,
        "ip_allocations",
        *[
            {
                "id": nic_id,
                "network_id": network_id,
                "family": 4,
                # The allocations key: the address as 16 big-endian bytes.
                "addr": bytes(12) + bytes([10, 1, network_id // 10, last]),
                "kind": "nic",
                "nic_id": nic_id,
                "created": WHEN,
            }
            for nic_id, network_id, last in [(1, 10, 10), (2, 10, 11), (3, 20, 11), (4, 20, 12)]
        ],
    )
    _insert(
        conn,
        "user_ip_address",
        _public_ip(1, "203.0.113.10", 10, is_source_nat=True),
        # Static NAT to the VM's NIC in network 20, which is not its default NIC.
        _public_ip(2, "203.0.113.11", 20, is_static_nat=True, vm_id=101),
        # No network recorded: the default NIC is the only answer.
        _public_ip(3, "203.0.113.12", None, is_static_nat=True, vm_id=100),
        _public_ip(4, "203.0.113.13", 10),
        _public_ip(5, "203.0.113.14", 20),
        _public_ip(6, "203.0.113.15", None, state="Free", account_id=None, domain_id=None, allocated=None),
    )
    _insert(
        conn,
        "port_forwarding_rules",
        _pf(1, 1, 10, 100, 2200),
        _pf(2, 4, 10, 101, 2201),
        _pf(3, 5, 20, 101, 2202),
        _pf(4, 5, 20, 102, 2203),
    )
    _insert(conn, "load_balancing_rules", _lb(1, 4, 10), _lb(2, 5, 20))
    _insert(
        conn,
        "load_balancer_vm_map",
        {"id": 1, "load_balancer_id": 1, "instance_id": 100},
        {"id": 2, "load_balancer_id": 1, "instance_id": 101},
        {"id": 3, "load_balancer_id": 2, "instance_id": 101},
        {"id": 4, "load_balancer_id": 2, "instance_id": 102},
    )
    _insert(
        conn,
        "async_jobs",
        {
            **_common(1),
            "user_id": 3,
            "account_id": 2,
            "cmd": "deployVirtualMachine",
            "params": "{}",
            "server": "ms1",
            "status": 1,
            "result_code": 0,
            "completed": WHEN,
        },
    )
    _insert(
        conn,
        "events",
        {
            **_owned(1),
            "type": "VM.CREATE",
            "level": "INFO",
            "state": "Completed",
            "description": "web",
            "user_id": 3,
        },
    )
    _insert(conn, "management_servers", {"name": "ms1", "last_seen": WHEN})
    _insert(conn, "configuration", {"name": "expunge.delay", "value": "60"})


def _columns(engine: sa.Engine) -> dict[str, list[str]]:
    inspector = sa.inspect(engine)
    return {
        name: [column["name"] for column in inspector.get_columns(name)]
        for name in inspector.get_table_names()
        if name != "alembic_version"
    }


def _rows(engine: sa.Engine, columns: dict[str, list[str]]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, on the given columns, in primary key order."""
    rows = {}
    with engine.connect() as conn:
        for name, names in columns.items():
            # The table as the database has it now, not as the models say: a later revision may rename.
            model = sa.Table(name, sa.MetaData(), autoload_with=conn)
            query = sa.select(*[model.c[n] for n in names]).order_by(*model.primary_key.columns)
            rows[name] = [tuple(row) for row in conn.execute(query)]
    return rows


def _column(engine: sa.Engine, table: sa.Table, column: str) -> dict[Any, Any]:
    with engine.connect() as conn:
        return {row_id: value for row_id, value in conn.execute(sa.select(table.c.id, table.c[column]))}


def test_upgrading_an_empty_database_to_head_matches_the_models(database_url: str) -> None:
    assert migrate.current(database_url) is None
    migrate.upgrade(database_url)
    assert migrate.current(database_url) == migrate.head(database_url)
    migrate.check(database_url)


def test_upgrading_a_populated_pre_feature_database_keeps_every_row(
    database_url: str, engine: sa.Engine
) -> None:
    assert migrate.current(database_url) == "0001"
    assert "nic_secondary_ips" not in sa.inspect(engine).get_table_names()
    with engine.begin() as conn:
        _populate_pre_feature_world(conn)
    old_columns = _columns(engine)
    before = _rows(engine, old_columns)
    assert {name: len(rows) for name, rows in before.items()} == {
        "domains": 1,
        "accounts": 1,
        "users": 1,
        "sessions": 1,
        "zones": 1,
        "pods": 1,
        "hosts": 1,
        "network_offerings": 1,
        "service_offerings": 1,
        "templates": 1,
        "networks": 2,
        "vlan_ip_ranges": 2,
        "vm_instances": 3,
        "nics": 4,
        "ip_allocations": 4,
        "user_ip_address": 6,
        "port_forwarding_rules": 4,
        "load_balancing_rules": 2,
        "load_balancer_vm_map": 4,
        "async_jobs": 1,
        "events": 1,
        "management_servers": 1,
        "configuration": 1,
    }

    # The feature's own revision: later revisions add tables that are not this scenario's.
    migrate.upgrade(database_url, "0002")

    assert migrate.current(database_url) == "0002"
    assert set(_columns(engine)) == set(old_columns) | {"nic_secondary_ips"}
    # Same rows with the same values, on every column that existed before the upgrade.
    assert _rows(engine, old_columns) == before
    assert _rows(engine, {"nic_secondary_ips": ["id"]}) == {"nic_secondary_ips": []}
    assert _column(engine, tables.nics, "secondary_ip") == {1: 0, 2: 0, 3: 0, 4: 0}
    assert _column(engine, tables.ip_allocations, "secondary_id") == {1: None, 2: None, 3: None, 4: None}
    assert _column(engine, tables.public_ips, "vm_ip_address") == {
        1: None,
        2: "10.1.2.11",
        3: "10.1.1.10",
        4: None,
        5: None,
        6: None,
    }
    assert _column(engine, tables.port_forwarding_rules, "dest_ip_address") == {
        1: "10.1.1.10",
        2: "10.1.1.11",
        3: "10.1.2.11",
        4: "10.1.2.12",
    }
    assert _column(engine, tables.load_balancer_vm_map, "instance_ip") == {
        1: "10.1.1.10",
        2: "10.1.1.11",
        3: "10.1.2.11",
        4: "10.1.2.12",
    }

    migrate.upgrade(database_url, "0003")
    columns_0003 = _columns(engine)
    at_0003 = _rows(engine, columns_0003)
    migrate.upgrade(database_url, "0004")
    assert migrate.current(database_url) == "0004"
    assert _rows(engine, columns_0003) == at_0003
    # Rules from before 0004 have no description and stay open to every source.
    assert _column(engine, tables.load_balancing_rules, "description") == {1: None, 2: None}
    assert _column(engine, tables.load_balancing_rules, "cidr_list") == {1: None, 2: None}

    migrate.upgrade(database_url, "0005")
    # The job table became a queue: the job keeps its outcome and names the server that made it;
    # the heartbeat table that failed a dead server's jobs is gone (leases replace it).
    jobs = sa.Table("async_jobs", sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        job = conn.execute(sa.select(jobs)).one()._mapping
    assert (job["created_by"], job["status"], job["attempts"], job["claimed_by"]) == ("ms1", 1, 0, None)
    assert job["available_at"] is not None
    assert "management_servers" not in sa.inspect(engine).get_table_names()

    migrate.upgrade(database_url, "0006")
    # Rules point at the allocations of their guest addresses (the NICs' primaries here: 1-4 by NIC).
    assert _column(engine, tables.port_forwarding_rules, "allocation_id") == {1: 1, 2: 2, 3: 3, 4: 4}
    assert _column(engine, tables.load_balancer_vm_map, "allocation_id") == {1: 1, 2: 2, 3: 3, 4: 4}
    nat = _column(engine, tables.public_ips, "allocation_id")
    assert {k: v for k, v in nat.items() if v is not None} == {2: 3, 3: 1}

    migrate.upgrade(database_url, "0007")
    # Users start with no failed login in a row (incorrect.login.attempts.allowed counts from here).
    users = sa.Table("users", sa.MetaData(), autoload_with=engine)
    with engine.connect() as conn:
        assert conn.execute(sa.select(users.c.login_attempts)).scalars().all() == [0]

    migrate.upgrade(database_url)
    migrate.check(database_url)


def test_an_upgrade_that_cannot_fill_a_rule_address_fails_and_changes_nothing(
    database_url: str, engine: sa.Engine
) -> None:
    with engine.begin() as conn:
        _populate_pre_feature_world(conn)
        # VM 102 lost its only IPv4 address: its PF rule and LB mapping have nothing to point at.
        nics = sa.table("nics", sa.column("vm_id"), sa.column("ip4_address"))
        conn.execute(nics.update().where(nics.c.vm_id == 102).values(ip4_address=None))
    old_columns = _columns(engine)
    before = _rows(engine, old_columns)

    with pytest.raises(RuntimeError, match=r"port_forwarding_rules\.dest_ip_address.*\[4\]"):
        migrate.upgrade(database_url)

    assert migrate.current(database_url) == "0001"
    assert _columns(engine) == old_columns
    assert _rows(engine, old_columns) == before


def test_rules_on_secondary_ips_at_the_previous_head_point_at_the_secondary_allocations_after_upgrade(
    database_url: str, engine: sa.Engine
) -> None:
    with engine.begin() as conn:
        _populate_pre_feature_world(conn)
    migrate.upgrade(database_url, "0005")
    secondary = {"id": 1, "uuid": _common(90)["uuid"], "nic_id": 1, "vm_id": 100, "network_id": 10,
                 "ip4_address": "10.1.1.77", "account_id": 2, "domain_id": 1, "created": WHEN}
    with engine.begin() as conn:
        _insert(conn, "nic_secondary_ips", secondary)
        _insert(conn, "ip_allocations", {"id": 5, "network_id": 10, "family": 4, "kind": "secondary",
                                         "addr": bytes(12) + bytes([10, 1, 1, 77]), "nic_id": 1, "secondary_id": 1,
                                         "created": WHEN})
        # The secondary IP is the target of a second port forwarding rule, a static NAT and an LB member.
        _insert(conn, "port_forwarding_rules", {**_pf(5, 4, 10, 100, 2300), "dest_ip_address": "10.1.1.77"})
        _insert(conn, "load_balancer_vm_map",
                {"id": 5, "load_balancer_id": 1, "instance_id": 100, "instance_ip": "10.1.1.77"})
        ips = sa.table("user_ip_address", sa.column("id"), sa.column("vm_ip_address"))
        conn.execute(ips.update().where(ips.c.id == 3).values(vm_ip_address="10.1.1.77"))

    migrate.upgrade(database_url)

    assert _column(engine, tables.port_forwarding_rules, "allocation_id") == {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}
    assert _column(engine, tables.load_balancer_vm_map, "allocation_id") == {1: 1, 2: 2, 3: 3, 4: 4, 5: 5}
    assert _column(engine, tables.public_ips, "allocation_id")[3] == 5
    # The database itself now refuses to release an address a rule still points at (SQLite enforces
    # foreign keys on the server's connections, not on this test's plain engine).
    db = Database(database_url)
    try:
        with pytest.raises(sa.exc.IntegrityError), db.write() as conn:
            conn.execute(tables.ip_allocations.delete().where(tables.ip_allocations.c.id == 5))
    finally:
        db.dispose()
    migrate.check(database_url)


def test_routers_metadata_entries_at_the_previous_head_keep_their_documents_and_get_a_consistent_key(
    database_url: str, engine: sa.Engine
) -> None:
    migrate.upgrade(database_url, "0019")
    def entry(vm: int, *secondaries: str) -> str:
        nic = nic_data(mac=f"02:00:0a:01:01:{vm:02x}", device=0, uuid=str(uuid.UUID(int=100 + vm)),
                       network=str(uuid.UUID(int=7)), default=True, ipv4=[f"10.1.1.{vm}", *secondaries],
                       ipv4_subnet="10.1.1.0/24", ipv4_gateway="10.1.1.1", ipv6=[], ipv6_subnet=None, ipv6_gateway=None)
        return entry_of(uuid=str(uuid.UUID(int=vm)), name=f"vm{vm}", zone="z1", service_offering="small",
                        public_ipv4=None, user_data=None, nics=[nic])

    entries = [entry(5, "10.1.1.77", "10.1.1.9"), entry(6)]  # in VM uuid order, as a document lists them
    documents = {"iptables": "*filter\nCOMMIT\n", "haproxy": "global\n", "addresses": "10.1.1.1/24\n",
                 "metadata_sum": sum_digest(sum(int(sha256(e.encode()).hexdigest(), 16) for e in entries))}
    with engine.begin() as conn:
        for each in entries:
            _insert(conn, "router_metadata", {"target": "router:n1", "vm_uuid": json.loads(each)["uuid"],
                                              "entry": each})
        _insert(conn, "dataplane_generations", {"target": "router:n1", "generation": 3, "digest": "old",
                                               "updated": WHEN, "documents": json.dumps(documents, sort_keys=True)})
    migrate.upgrade(database_url)
    db = Database(database_url)
    try:
        uow = SqlUnitOfWork(db)
        with uow.reading():
            assert routers.published_entries(uow, "router:n1") == entries
            published = uow.generations.get("router:n1")
        assert published is not None and published.generation == 4
        docs = RouterDocuments(documents["iptables"], documents["haproxy"], documents["addresses"],
                               document_of(entries))
        assert published.digest == generation_key(docs), "the key an agent computes over what it receives"
        migrate.check(database_url)
        command.downgrade(migrate.config(database_url), "0019")
        with engine.connect() as conn:
            kept = [r[0] for r in conn.execute(sa.text("SELECT entry FROM router_metadata ORDER BY vm_uuid"))]
            stored = json.loads(conn.execute(sa.text("SELECT documents FROM dataplane_generations")).scalar_one())
        assert kept == entries and stored["metadata_sum"] == documents["metadata_sum"]
    finally:
        db.dispose()
