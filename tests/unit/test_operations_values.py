"""Pure values of the operations side: database URLs as typed, and what a log line may hold."""

from __future__ import annotations

import pytest

from nicstack.api.metrics import reason_of
from nicstack.db.urls import BadDatabaseUrl, describe, normalize
from nicstack.domain.errors import InsufficientCapacity, ResourceInUse, UnknownEntity
from nicstack.logs import REDACTED, redact, scrub

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("typed", "used"), [
    ("postgresql://nicstack:pw@db.example:5433/nicstack", "postgresql+psycopg://nicstack:pw@db.example:5433/nicstack"),
    ("postgres://nicstack@db/nicstack", "postgresql+psycopg://nicstack@db/nicstack"),
    ("postgresql+psycopg://nicstack@/nicstack", "postgresql+psycopg://nicstack@/nicstack"),
    ("sqlite:////var/lib/nicstack/nicstack.db", "sqlite:////var/lib/nicstack/nicstack.db"),
])
def test_database_urls_as_people_type_them_are_written_for_sqlalchemy(typed: str, used: str) -> None:
    assert normalize(typed) == used


def test_a_relative_sqlite_path_becomes_absolute_so_it_can_be_printed_and_found() -> None:
    used = normalize("sqlite:///data/nicstack.db")
    assert used.startswith("sqlite:////") and used.endswith("/data/nicstack.db")
    assert describe(used).startswith("SQLite file /")


def test_a_printed_database_hides_its_password() -> None:
    assert "secret" not in describe(normalize("postgresql://nicstack:secret@db/nicstack"))


@pytest.mark.parametrize(("typed", "said"), [
    ("nicstack.db", "is not a database URL"),
    ("mariadb://root@localhost/nicstack", "mariadb is not supported"),
    ("redis://localhost", "redis:// is not a kind of database"),
    ("postgresql+asyncpg://u@h/d", "psycopg 3, not asyncpg"),
    ("postgresql://u@h:70000/d", "port 70000"),
    ("sqlite:///:memory:", "in-memory"),
    ("sqlite://somehost/x.db", "names a host"),
])
def test_unusable_database_urls_say_why_and_what_to_write(typed: str, said: str) -> None:
    with pytest.raises(BadDatabaseUrl, match=said) as refused:
        normalize(typed)
    assert "write" in str(refused.value) or "give" in str(refused.value)


def test_logged_objects_lose_their_secrets_wherever_they_sit() -> None:
    logged = redact({"userkeys": {"apikey": "a", "secretkey": "s"}, "list": [{"password": "p", "name": "n"}]})
    assert logged == {"userkeys": {"apikey": "a", "secretkey": REDACTED}, "list": [{"password": REDACTED, "name": "n"}]}


def test_an_error_text_quoting_a_secret_parameter_is_scrubbed() -> None:
    text = "Invalid value 'hunter2\\x01' for parameter password: contains control characters"
    assert "hunter2" not in scrub(text, {"password": "hunter2\\x01", "username": "bob"})
    assert scrub("user bob", {"username": "bob"}) == "user bob"


def test_refusal_reasons_are_the_error_classes_in_snake_case() -> None:
    assert reason_of(ResourceInUse("x")) == "resource_in_use"
    assert reason_of(InsufficientCapacity("x")) == "insufficient_capacity"
    assert reason_of(UnknownEntity("nicid", "x")) == "unknown_entity"
