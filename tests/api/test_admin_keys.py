"""The root admin's credentials for the people who run the server: printed with export lines on the
first start, recovered and rotated with `nicstack admin keys`, replaced (with a warning) when the
environment declares others, and TLS when certificate files are given."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from nicstack.cli import main
from nicstack.cli_admin import announce
from nicstack.db.seed import AdminKeys, admin_user
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.credentials import check_password
from nicstack.server import prepare
from nicstack.services import admin_keys
from nicstack.services.admin_keys import Applied
from tests.dataplane.tools import unavailable
from tests.support.client import Client
from tests.support.process import new_admin_keys, serving
from tests.support.world import make_tenant

pytestmark = pytest.mark.api


def exported(text: str) -> dict[str, str]:
    return dict(line.strip().removeprefix("export ").split("=", 1) for line in text.splitlines()
                if line.strip().startswith("export "))


def test_the_first_start_prints_the_generated_credentials_with_export_lines(
    capsys: pytest.CaptureFixture[str]
) -> None:
    generated = AdminKeys("the-key", "the-secret", "the-password", frozenset({"api_key", "secret_key", "password"}))
    announce(generated, Applied(), "http://127.0.0.1:8080/client/api")
    err = capsys.readouterr().err
    assert exported(err) == {"CLOUDSTACK_ENDPOINT": "http://127.0.0.1:8080/client/api",
                             "CLOUDSTACK_KEY": "the-key", "CLOUDSTACK_SECRET": "the-secret"}
    assert "the-password" in err and "nicstack admin keys" in err


def test_admin_keys_shows_rotates_and_resets_the_root_admins_credentials(
    database_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in admin_keys.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    prepared = prepare(database_url)
    assert prepared.admin is not None
    try:
        assert main(["admin", "keys", "--database-url", database_url]) == 0
        shown = exported(capsys.readouterr().out)
        assert shown == {"CLOUDSTACK_KEY": prepared.admin.api_key, "CLOUDSTACK_SECRET": prepared.admin.secret_key}
        assert main(["admin", "keys", "--rotate", "--reset-password", "--database-url", database_url]) == 0
        captured = capsys.readouterr()
        rotated = exported(captured.out)
        assert rotated["CLOUDSTACK_KEY"] != prepared.admin.api_key
        uow = SqlUnitOfWork(prepared.db)
        with uow.reading():
            row = admin_user(uow.conn)
            assert (row.api_key, row.secret_key) == (rotated["CLOUDSTACK_KEY"], rotated["CLOUDSTACK_SECRET"])
            assert uow.accounts.user_by_api_key(prepared.admin.api_key) is None
            password = captured.err.split("password reset (", 1)[1].split(")", 1)[0]
            assert check_password(password, row.password_hash)
            assert not check_password(prepared.admin.password, row.password_hash)
    finally:
        prepared.db.dispose()


def test_an_environment_key_that_cannot_be_stored_is_refused_and_the_stored_one_kept(database_url: str) -> None:
    prepared = prepare(database_url)
    try:
        with prepared.db.read() as conn:
            before = admin_user(conn)
        applied = admin_keys.apply_environment(SqlUnitOfWork(prepared.db), {admin_keys.API_KEY: "x" * 300,
                                                             admin_keys.SECRET_KEY: before.secret_key})
        assert applied.stored == () and [name for name, _ in applied.refused] == [admin_keys.API_KEY]
        with prepared.db.read() as conn:
            assert admin_user(conn).api_key == before.api_key
    finally:
        prepared.db.dispose()


def test_keys_in_the_environment_that_differ_from_the_stored_ones_replace_them_with_a_warning(
    tmp_path: Path
) -> None:
    first, second = new_admin_keys(), new_admin_keys()
    with serving(tmp_path / "server", keys=first) as served:
        stranger = make_tenant(served.admin)
    with serving(tmp_path / "server", keys=(stranger.client.api_key, *second[1:])) as taken:
        # Another user's key cannot become the admin's: refused, with the reason; the others are stored.
        assert "NICSTACK_ADMIN_API_KEY not applied (another user has this API key)" in taken.output()
        for name in ("NICSTACK_ADMIN_SECRET_KEY", "NICSTACK_ADMIN_PASSWORD"):
            assert f"warning: {name} differs from the root admin's stored" in taken.output(), taken.output()
    with serving(tmp_path / "server", keys=second) as again:
        assert "warning: NICSTACK_ADMIN_API_KEY differs from the root admin's stored" in again.output()
        assert again.admin.call("listZones") is not None
        old = Client(again.url, first[0], first[1])
        assert old.raw("listZones")[0] == 401
    with serving(tmp_path / "server", keys=second) as quiet:
        assert "warning" not in quiet.output()


def test_the_server_speaks_https_with_the_given_certificate(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        unavailable("missing tool: openssl (to make a test certificate)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    with serving(tmp_path / "server", tls=(cert, key)) as served:
        assert served.url.startswith("https://")
        session = requests.Session()
        session.verify = str(cert)
        session.trust_env = False  # REQUESTS_CA_BUNDLE would replace the verify given here
        admin = Client(served.url, served.api_key, served.secret_key, session)
        assert admin.call("listZones") is not None
        assert session.get(served.url.removesuffix("/client/api") + "/healthz", timeout=10).status_code == 200
        assert f"serving the CloudStack API on {served.url}" in served.output()
