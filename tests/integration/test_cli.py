"""Every mistake on the `nicstack` command line gets one line that says what is wrong and what to do,
never a traceback; the URLs people type work (postgresql:// is psycopg)."""

from __future__ import annotations

import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from nicstack.cli import _parse, main
from nicstack.db.database import Database
from nicstack.server import prepare

pytestmark = pytest.mark.integration

GHOST = str(uuid.uuid4())
PROGRESS = ("nicstack: database: ", "nicstack: bringing the database schema up to date")


@pytest.fixture(autouse=True)
def no_database_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NICSTACK_DATABASE_URL", raising=False)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A nicstack SQLite database at the newest schema."""
    url = f"sqlite:///{tmp_path_factory.mktemp('cli')}/nicstack.db"
    prepare(url).db.dispose()
    yield url


def answer(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run `nicstack argv` in this process: its exit status and what it wrote to stderr."""
    try:
        status = main(list(argv))
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    return status, capsys.readouterr().err


def assert_told(status: int, err: str, *expected: str) -> None:
    assert status != 0, err
    assert "Traceback" not in err, err
    # Progress lines ("nicstack: database: ...") may come first; the mistake is told in one line.
    told = [line for line in err.strip().splitlines() if not line.startswith(PROGRESS)]
    assert len(told) == 1, f"not one line:\n{err}"
    for text in expected:
        assert text in told[0], err


MISTAKES = [
    (("--bogus",), ("'--bogus'", "nicstack --help")),
    ((), ("choose a COMMAND", "serve", "render")),
    (("db",), ("choose a ACTION: upgrade",)),
    (("serve", "--prot", "1"), ("'--prot'", "did you mean --port")),
    (("serve", "--port", "99999"), ("99999 is not a port: give 1-65535",)),
    (("serve", "--port", "0"), ("0 is not a port",)),
    (("serve", "--port", "http"), ("'http' is not a port number",)),
    (("serve", "--log-level", "loud"), ("invalid choice: 'loud'",)),
    (("serve", "--database-url", "nonsense"), ("--database-url: 'nonsense' is not a database URL", "sqlite:///")),
    (("serve", "--database-url", "mysql://root@127.0.0.1/nicstack"), ("mysql is not supported", "postgresql://")),
    (("serve", "--database-url", "foo://"), ("foo:// is not a kind of database nicstack knows",)),
    (("serve", "--database-url", "postgresql://u@h:99999/db"), ("port 99999", "1-65535")),
    (("serve", "--database-url", "postgresql://u@h:abc/db"), ("not a well-formed database URL",)),
    (("serve", "--database-url", "postgresql+psycopg2://u@h/db"), ("psycopg 3, not psycopg2",)),
    (("serve", "--database-url", "sqlite://"), ("in-memory SQLite database",)),
    (("serve", "--database-url", "sqlite:////nonexistent/dir/x.db"),
     ("directory /nonexistent/dir", "does not exist", "--create-directory")),
    (("db", "upgrade", "--database-url", "sqlite:////nonexistent/dir/x.db"), ("does not exist",)),
    (("serve", "--ssl-certfile", "/nonexistent/cert.pem"), ("/nonexistent/cert.pem: no such file",)),
    (("serve", "--ssl-certfile", __file__), ("TLS needs both --ssl-certfile and --ssl-keyfile",)),
    (("serve", "--ssl-certfile", __file__, "--ssl-keyfile", __file__), ("cannot use the certificate",)),
    (("serve", "--forwarded-allow-ips", "10.0.0.1,proxy"), ("'proxy' is not an IP address",)),
    (("serve", "--host", "no-such-host.invalid"), ("no such address or host name",)),
    (("render", "router", "--network", "web-1"), ("'web-1' is not an id", "cs listNetworks")),
    (("render", "host", "--host", "12345"), ("'12345' is not an id", "cs listHosts")),
    (("render", "host", "--host", GHOST, "--since", "-3"), ("'-3' is not a generation",)),
    (("render", "router", "--network", GHOST, "--database-url", "sqlite:////nonexistent/x.db"),
     ("there is no database at /nonexistent/x.db", "nicstack db upgrade")),
    (("admin", "keys", "--database-url", "sqlite:////nonexistent/x.db"), ("there is no database at",)),
    (("db", "upgrade", "--database-url", "postgresql://nobody@127.0.0.1:1/nicstack"),
     ("cannot use the database", "Connection refused", "check that the database server runs")),
]


@pytest.mark.parametrize(("argv", "expected"), MISTAKES, ids=[" ".join(a) or "(nothing)" for a, _ in MISTAKES])
def test_a_command_line_mistake_is_answered_with_one_line_that_says_what_to_do(
    argv: tuple[str, ...], expected: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert_told(*answer(capsys, *argv), *expected)


def test_a_bad_database_url_in_the_environment_is_named_as_such(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("NICSTACK_DATABASE_URL", "foo://")
    assert_told(*answer(capsys, "db", "upgrade"), "NICSTACK_DATABASE_URL: foo:// is not a kind of database")


def test_a_port_in_use_is_refused_before_anything_is_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        assert_told(*answer(capsys, "serve", "--port", port, "--database-url", f"sqlite:///{tmp_path}/x.db"),
                    f"127.0.0.1:{port}", "choose another with --port")
    assert not (tmp_path / "x.db").exists()


def test_render_says_not_found_for_a_well_formed_id_that_names_nothing(
    stored: str, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv, noun in ((("router", "--network", GHOST), "no isolated network with id"),
                       (("router", "--vpc", GHOST), "no VPC with id"), (("host", "--host", GHOST), "no host with id")):
        status, err = answer(capsys, "render", *argv, "--database-url", stored)
        assert status == 1 and f"{noun} {GHOST}" in err and "Traceback" not in err, err
        assert "not an id" not in err


def test_a_database_of_an_unknown_revision_is_refused_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/newer.db"
    db = Database(url)
    with db.write() as conn:
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO alembic_version VALUES ('9999_from_the_future')")
    db.dispose()
    assert_told(*answer(capsys, "db", "upgrade", "--database-url", url), "9999_from_the_future", "newer nicstack")


def test_log_level_is_accepted_before_and_after_the_subcommand() -> None:
    assert _parse(["serve", "--log-level", "info"]).log_level == "info"
    assert _parse(["--log-level", "debug", "serve"]).log_level == "debug"
    assert _parse(["serve"]).log_level == "warning"
    assert _parse(["render", "router", "--network", GHOST, "--log-level", "error"]).log_level == "error"


def test_create_directory_lets_db_upgrade_make_a_new_sqlite_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "new" / "dir" / "nicstack.db"
    assert main(["db", "upgrade", "--create-directory", "--database-url", f"sqlite:///{target}"]) == 0
    assert target.is_file() and "database at revision" in capsys.readouterr().out


def test_postgresql_urls_as_people_type_them_mean_psycopg(postgres_url: str,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    typed = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    assert main(["db", "upgrade", "--database-url", typed]) == 0
    captured = capsys.readouterr()
    assert "database at revision" in captured.out and "postgresql+psycopg://" in captured.err


@pytest.mark.parametrize("argv", [["--bogus"], ["serve", "--port", "99999"],
                                  ["serve", "--database-url", "postgresql+psycopg2://u@h/db"]])
def test_the_installed_command_answers_mistakes_without_a_traceback(argv: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "nicstack.cli", *argv], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2 and done.stderr.startswith("nicstack") and "Traceback" not in done.stderr
