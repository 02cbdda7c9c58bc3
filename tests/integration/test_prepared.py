"""The prepared-statement path reads and writes exactly what SQLAlchemy would, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import LargeBinary, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from nicstack.db import prepared
from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.migrate import upgrade

pytestmark = pytest.mark.integration

z = t.zones
WHEN = datetime(2026, 11, 27, 19, 30, 5)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    upgrade(database_url)
    database = Database(database_url)
    yield database
    database.dispose()


def zone(name: str, sg: bool) -> dict[str, object]:
    return {"uuid": f"uuid-{name}", "name": name, "network_type": "Basic", "security_groups_enabled": sg,
            "allocation_state": "Enabled", "dns1": None, "created": WHEN}


def test_a_row_inserted_here_reads_back_through_sqlalchemy_with_its_types(db: Database) -> None:
    with db.write() as conn:
        new_id = prepared.insert(conn, z, zone("z1", True))
    with db.read() as conn:
        row = conn.execute(select(z).where(z.c.id == new_id)).one()._mapping
    assert row["security_groups_enabled"] is True
    assert row["created"] == WHEN
    assert row["dns1"] is None
    assert row["name"] == "z1"


def test_a_row_written_by_sqlalchemy_reads_the_same_here(db: Database) -> None:
    with db.write() as conn:
        conn.execute(z.insert(), [zone("z1", False), zone("z2", True)])
    query = select(z).where(z.c.name == bindparam("name"))
    with db.read() as conn:
        expected = dict(conn.execute(query, {"name": "z2"}).one()._mapping)
        assert prepared.first(conn, query, {"name": "z2"}) == expected
        assert prepared.first(conn, query, {"name": "none"}) is None
        assert prepared.scalar(conn, select(z.c.created).where(z.c.name == bindparam("name")), {"name": "z1"}) == WHEN


def test_values_written_into_the_statement_are_bound_too(db: Database) -> None:
    with db.write() as conn:
        conn.execute(z.insert(), [zone("off", False), zone("on", True)])
    # Literal True and "Enabled" are compiled into the statement, not passed by the caller.
    query = select(z.c.name).where(z.c.security_groups_enabled.is_(True), z.c.allocation_state == "Enabled")
    with db.read() as conn:
        assert prepared.rows(conn, query) == [{"name": "on"}]


def test_binary_values_round_trip(db: Database) -> None:
    value = b"\x00" * 15 + b"\xff"
    query = select(bindparam("value", type_=LargeBinary).label("echo"))
    with db.read() as conn:
        assert prepared.scalar(conn, query, {"value": value}) == value
        assert prepared.rows(conn, query, {"value": b""}) == [{"echo": b""}]


def test_update_counts_the_rows_it_matched(db: Database) -> None:
    with db.write() as conn:
        conn.execute(z.insert(), [zone("a", False), zone("b", False)])
        change = update(z).where(z.c.network_type == bindparam("kind")).values(dns1=bindparam("dns"))
        assert prepared.execute(conn, change, {"kind": "Basic", "dns": "8.8.8.8"}) == 2
        assert prepared.execute(conn, change, {"kind": "Advanced", "dns": "1.1.1.1"}) == 0
    with db.read() as conn:
        assert set(conn.execute(select(z.c.dns1)).scalars()) == {"8.8.8.8"}


def test_a_unique_key_refusal_is_sqlalchemys_integrity_error_and_the_transaction_rolls_back(db: Database) -> None:
    with pytest.raises(IntegrityError), db.write() as conn:
        prepared.insert(conn, z, zone("same", False))
        prepared.insert(conn, z, {**zone("same", False), "uuid": "another"})
    with db.read() as conn:
        assert conn.execute(select(z.c.name)).scalars().all() == []


def test_many_rows_inserted_and_updated_at_once_read_back_through_sqlalchemy(db: Database) -> None:
    with db.write() as conn:
        prepared.execute_many(conn, z.insert(), [zone(f"z{i}", i % 2 == 0) for i in range(5)])
        change = update(z).where(z.c.name == bindparam("which")).values(dns1=bindparam("dns"))
        prepared.execute_many(conn, change, [{"which": "z1", "dns": "1.1.1.1"}, {"which": "z3", "dns": "8.8.8.8"}])
        prepared.execute_many(conn, change, [])
    with db.read() as conn:
        rows = conn.execute(select(z.c.name, z.c.security_groups_enabled, z.c.dns1, z.c.created)
                            .order_by(z.c.name)).tuples().all()
    assert rows == [(f"z{i}", i % 2 == 0, {1: "1.1.1.1", 3: "8.8.8.8"}.get(i), WHEN) for i in range(5)]


def test_a_unique_key_refusal_among_many_rows_keeps_none_of_them(db: Database) -> None:
    with pytest.raises(IntegrityError), db.write() as conn:
        prepared.execute_many(conn, z.insert(), [zone("one", False), zone("two", False),
                                                 {**zone("one", False), "uuid": "again"}])
    with db.read() as conn:
        assert conn.execute(select(z.c.name)).scalars().all() == []


def test_a_rolled_back_transaction_keeps_nothing_written_here(db: Database) -> None:
    class Stop(Exception):
        pass

    with pytest.raises(Stop), db.write() as conn:
        prepared.insert(conn, z, zone("gone", True))
        raise Stop
    with db.read() as conn:
        assert conn.execute(select(z.c.name)).scalars().all() == []


def test_an_in_list_of_any_size_reads_what_sqlalchemy_reads(db: Database) -> None:
    """Lists are padded to a power of two with their last value: the rows must not change with it."""
    with db.write() as conn:
        prepared.execute_many(conn, z.insert(), [zone(f"z{i}", i % 2 == 0) for i in range(12)])
    query = (select(z.c.name).where(z.c.id.in_(bindparam("ids", expanding=True)), z.c.name != bindparam("not"))
             .order_by(z.c.name))
    with db.read() as conn:
        ids = conn.execute(select(z.c.id).order_by(z.c.id)).scalars().all()
        for size in (0, 1, 2, 3, 5, 8, 9, 12):
            wanted = {"ids": ids[:size], "not": "z1"}
            assert prepared.tuples(conn, query, wanted) == conn.execute(query, wanted).tuples().all(), size
        assert [name for (name,) in prepared.tuples(conn, query, {"ids": [ids[3], ids[3], ids[0]], "not": ""})] \
            == ["z0", "z3"]
        written = select(z.c.name).where(z.c.id.in_(bindparam("ids", expanding=True)), z.c.name.in_(["z2", "z4"]))
        assert sorted(prepared.tuples(conn, written, {"ids": ids})) == [("z2",), ("z4",)]


def test_an_in_list_in_execute_many_is_refused_clearly(db: Database) -> None:
    update = z.update().where(z.c.id.in_(bindparam("ids", expanding=True))).values(dns1="9.9.9.9")
    with db.write() as conn, pytest.raises(prepared.NotPreparable, match="expanding"):
        prepared.execute_many(conn, update, [{"ids": [1]}])
