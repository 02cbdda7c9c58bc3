"""The world around the feature against a real database: seed, identity, infrastructure, settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from nicstack.api import auth
from nicstack.api.context import Context
from nicstack.api.registry import COMMANDS, ROOT
from nicstack.api.replies import ListReply, render
from nicstack.api.runtime import Runtime
from nicstack.api.signature import sign
from nicstack.api.wire import handle
from nicstack.db import migrate
from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.repos.accounts import caller_of
from nicstack.db.seed import bootstrap_admin, seed_defaults
from nicstack.db.uow import SqlUnitOfWork
from nicstack.domain.access import Caller
from nicstack.domain.credentials import check_password
from nicstack.domain.errors import AuthenticationFailed, ParameterError, PermissionDenied, UnknownEntity
from nicstack.domain.kinds import Hypervisor, Role
from nicstack.domain.policy import MAX_SECONDARY_IPS_KEY
from nicstack.services import identity, infrastructure, logins, offerings, settings
from nicstack.services.identity import AccountFilter, DomainFilter, NewAccount, UserFilter
from nicstack.services.infrastructure import HostFilter, NewHost, NewPod, NewZone
from nicstack.services.offerings import NetworkOfferingFilter
from nicstack.services.scope import OwnerFilter
from nicstack.services.settings import EventFilter

pytestmark = pytest.mark.integration

_ENV = ("NICSTACK_ADMIN_API_KEY", "NICSTACK_ADMIN_SECRET_KEY", "NICSTACK_ADMIN_PASSWORD")


@pytest.fixture
def uow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqlUnitOfWork]:
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path}/world.db"
    migrate.upgrade(url)
    database = Database(url)
    work = SqlUnitOfWork(database)
    with work:
        seed_defaults(work)
    yield work
    database.dispose()


def caller_named(uow: SqlUnitOfWork, username: str) -> Caller:
    with uow.reading():
        return caller_of(uow.accounts.users_by(username=username)[0])


def admin(uow: SqlUnitOfWork) -> Caller:
    return caller_named(uow, "admin")


def new_account(uow: SqlUnitOfWork, by: Caller, name: str, role: Role = Role.USER, domain: str | None = None) -> Caller:
    spec = NewAccount(role, name, "pw-" + name, f"{name}@example.com", "Test", name.title(), None, domain)
    identity.create_account(uow, by, spec)
    return caller_named(uow, name)


def row_counts(uow: SqlUnitOfWork) -> dict[str, int]:
    with uow.reading():
        return {
            table.name: uow.conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in t.metadata.sorted_tables
        }


@pytest.fixture
def tree(uow: SqlUnitOfWork) -> dict[str, Any]:
    """ROOT -> a -> a/b, and ROOT -> c, with a domain admin in a and users in a/b and c."""
    root = admin(uow)
    a = identity.create_domain(uow, root, "a", None).domain
    b = identity.create_domain(uow, root, "b", a.uuid).domain
    c = identity.create_domain(uow, root, "c", None).domain
    return {
        "a": a, "b": b, "c": c,
        "a_admin": new_account(uow, root, "a-admin", Role.DOMAIN_ADMIN, a.uuid),
        "b_user": new_account(uow, root, "b-user", Role.USER, b.uuid),
        "c_user": new_account(uow, root, "c-user", Role.USER, c.uuid),
    }


# -- seed and bootstrap ----------------------------------------------------------------


def test_seeding_again_changes_nothing(uow: SqlUnitOfWork) -> None:
    before = row_counts(uow)
    with uow:
        seed_defaults(uow)
        seed_defaults(uow)
    assert row_counts(uow) == before
    assert before["domains"] == 1
    assert before["accounts"] == 2
    assert before["network_offerings"] == 6  # with the Basic zone's elastic IP and LB offering
    assert before["service_offerings"] == 2
    assert before["templates"] == 2
    defaults = offerings.list_network_offerings(uow, NetworkOfferingFilter(is_default=True))
    assert [o.name for o in defaults] == ["DefaultIsolatedNetworkOfferingWithSourceNatService"]
    assert "SourceNat" in defaults[0].services


def test_bootstrap_takes_the_admin_credentials_from_the_environment(
    uow: SqlUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NICSTACK_ADMIN_API_KEY", "env-api-key")
    monkeypatch.setenv("NICSTACK_ADMIN_SECRET_KEY", "env-secret-key")
    monkeypatch.setenv("NICSTACK_ADMIN_PASSWORD", "env-password")
    with uow:
        keys = bootstrap_admin(uow)
        again = bootstrap_admin(uow)
    assert keys is not None
    assert (keys.api_key, keys.secret_key, keys.password, keys.generated) == (
        "env-api-key", "env-secret-key", "env-password", frozenset()
    )
    assert again is None
    with uow.reading():
        user = uow.accounts.user_by_api_key("env-api-key")
    assert user is not None
    assert user.account.role is Role.ROOT_ADMIN
    assert user.secret_key == "env-secret-key"
    assert check_password("env-password", user.password_hash)


def test_bootstrap_generates_what_the_environment_does_not_give_only_once(
    uow: SqlUnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NICSTACK_ADMIN_PASSWORD", "chosen")
    with uow:
        keys = bootstrap_admin(uow)
    assert keys is not None
    assert keys.generated == {"api_key", "secret_key"}
    assert len(keys.api_key) >= 64 and keys.api_key != keys.secret_key
    monkeypatch.delenv("NICSTACK_ADMIN_PASSWORD")
    with uow:
        assert bootstrap_admin(uow) is None


def test_the_admin_cannot_log_in_before_bootstrap(uow: SqlUnitOfWork) -> None:
    with pytest.raises(AuthenticationFailed):
        logins.login(uow, "admin", "!", "/", None)


# -- domains, accounts, users ----------------------------------------------------------


def test_domain_admin_lists_only_the_accounts_of_its_subtree(uow: SqlUnitOfWork, tree: dict[str, Any]) -> None:
    a_admin: Caller = tree["a_admin"]
    names = {a.name for a, _ in identity.list_accounts(uow, a_admin, AccountFilter(list_all=True))}
    assert names == {"a-admin", "b-user"}
    everything = {a.name for a, _ in identity.list_accounts(uow, admin(uow), AccountFilter(list_all=True))}
    assert everything == {"admin", "system", "a-admin", "b-user", "c-user"}
    own = identity.list_accounts(uow, a_admin, AccountFilter())
    assert [a.name for a, _ in own] == ["a-admin"]
    assert [u.username for u in own[0][1]] == ["a-admin"]


def test_domain_admin_gets_the_unknown_answer_for_anything_outside_its_subtree(
    uow: SqlUnitOfWork, tree: dict[str, Any]
) -> None:
    a_admin: Caller = tree["a_admin"]
    c_user: Caller = tree["c_user"]
    with pytest.raises(UnknownEntity) as bad_account:
        identity.list_accounts(uow, a_admin, AccountFilter(uuid=c_user.account_uuid))
    assert bad_account.value.param == "id"
    with pytest.raises(UnknownEntity):
        identity.list_accounts(uow, a_admin, AccountFilter(domain_uuid=tree["c"].uuid))
    with pytest.raises(UnknownEntity):
        identity.create_domain(uow, a_admin, "elsewhere", tree["c"].uuid)
    with pytest.raises(UnknownEntity):
        new_account(uow, a_admin, "intruder", Role.USER, tree["c"].uuid)


def test_domain_admin_creates_domains_and_accounts_inside_its_subtree(uow: SqlUnitOfWork, tree: dict[str, Any]) -> None:
    a_admin: Caller = tree["a_admin"]
    info = identity.create_domain(uow, a_admin, "team", None)
    assert (info.domain.path, info.domain.level, info.parent_name) == ("/a/team/", 2, "a")
    member = new_account(uow, a_admin, "team-user", Role.USER, info.domain.uuid)
    assert member.domain_path == "/a/team/"
    with pytest.raises(PermissionDenied):
        new_account(uow, a_admin, "wannabe-root", Role.ROOT_ADMIN)
    listed = identity.list_domains(uow, a_admin, DomainFilter(subtree=True))
    assert {d.domain.path: d.has_child for d in listed} == {"/a/": True, "/a/b/": False, "/a/team/": False}


def test_duplicate_domain_and_account_names_are_refused_naming_the_value(
    uow: SqlUnitOfWork, tree: dict[str, Any]
) -> None:
    root = admin(uow)
    with pytest.raises(ParameterError, match="Domain B already exists under ROOT/a"):
        identity.create_domain(uow, root, "B", tree["a"].uuid)
    with pytest.raises(ParameterError, match="Account b-user already exists in domain ROOT/a/b"):
        new_account(uow, root, "b-user", Role.USER, tree["b"].uuid)
    # The same name in another domain is another account.
    spec = NewAccount(Role.USER, "b-user", "pw", "b@example.com", "B", "User", None, tree["c"].uuid)
    account, users = identity.create_account(uow, root, spec)
    assert (account.domain_path, [u.username for u in users]) == ("/c/", ["b-user"])


def test_users_register_their_own_keys_and_admins_those_of_users_they_administer(
    uow: SqlUnitOfWork, tree: dict[str, Any]
) -> None:
    b_user: Caller = tree["b_user"]
    c_user: Caller = tree["c_user"]
    api_key, secret_key = identity.register_user_keys(uow, b_user, b_user.user_uuid)
    with uow.reading():
        found = uow.accounts.user_by_api_key(api_key)
    assert found is not None and found.uuid == b_user.user_uuid and found.secret_key == secret_key
    with pytest.raises(UnknownEntity):
        identity.register_user_keys(uow, b_user, c_user.user_uuid)
    assert identity.register_user_keys(uow, tree["a_admin"], b_user.user_uuid)[0] != api_key
    with pytest.raises(UnknownEntity):
        identity.register_user_keys(uow, tree["a_admin"], c_user.user_uuid)
    with pytest.raises(UnknownEntity):
        identity.register_user_keys(uow, tree["a_admin"], admin(uow).user_uuid)
    assert identity.register_user_keys(uow, admin(uow), c_user.user_uuid)


def test_a_domain_admin_in_root_may_not_take_over_the_root_admins_keys(uow: SqlUnitOfWork) -> None:
    root_domain_admin = new_account(uow, admin(uow), "helper", Role.DOMAIN_ADMIN)
    with pytest.raises(PermissionDenied):
        identity.register_user_keys(uow, root_domain_admin, admin(uow).user_uuid)


def test_listing_users_follows_the_account_scope(uow: SqlUnitOfWork, tree: dict[str, Any]) -> None:
    everyone = UserFilter(OwnerFilter(list_all=True))
    assert [u.username for u in identity.list_users(uow, tree["b_user"], everyone)] == ["b-user"]
    names = {u.username for u in identity.list_users(uow, tree["a_admin"], everyone)}
    assert names == {"a-admin", "b-user"}
    with pytest.raises(UnknownEntity):
        identity.list_users(uow, tree["b_user"], UserFilter(uuid=tree["c_user"].user_uuid))


# -- sessions --------------------------------------------------------------------------


def test_login_checks_the_password_in_the_given_domain_and_opens_a_session(
    uow: SqlUnitOfWork, tree: dict[str, Any]
) -> None:
    for domain in ("/a/b/", "ROOT/a/b", "/a/b", "a/b"):
        session = logins.login(uow, "b-user", "pw-b-user", domain, None)
        assert session.user.uuid == tree["b_user"].user_uuid
    session = logins.login(uow, "b-user", "pw-b-user", "/", tree["b"].uuid)
    with uow.reading():
        assert auth.by_session(uow, session.key, session.csrf_token).user_uuid == tree["b_user"].user_uuid
        with pytest.raises(AuthenticationFailed):
            auth.by_session(uow, session.key, "forged")
    for username, password, domain in (("b-user", "wrong", "/a/b/"), ("b-user", "pw-b-user", "/"),
                                       ("nobody", "pw-b-user", "/a/b/")):
        with pytest.raises(AuthenticationFailed):
            logins.login(uow, username, password, domain, None)
    identity.logout(uow, tree["b_user"], session.key)
    with uow.reading(), pytest.raises(AuthenticationFailed):
        auth.by_session(uow, session.key, session.csrf_token)


# -- infrastructure --------------------------------------------------------------------


def test_zones_pods_and_hosts_are_validated_and_canonical(uow: SqlUnitOfWork) -> None:
    root = admin(uow)
    zone = infrastructure.create_zone(uow, root, NewZone("z1", "advanced", "8.8.8.8", "10.0.0.2"))
    assert (str(zone.network_type), zone.security_groups_enabled) == ("Advanced", False)
    basic = infrastructure.create_zone(uow, root, NewZone("z2", "BASIC", "8.8.8.8", "10.0.0.2"))
    assert basic.security_groups_enabled
    with pytest.raises(ParameterError, match="Z1"):
        infrastructure.create_zone(uow, root, NewZone("Z1", "Advanced", "8.8.8.8", "10.0.0.2"))
    with pytest.raises(ParameterError, match=re.escape("'8.8.8.300'")):
        infrastructure.create_zone(uow, root, NewZone("z3", "Advanced", "8.8.8.300", "10.0.0.2"))
    pod = infrastructure.create_pod(uow, root, NewPod(zone.uuid, "p1", "192.168.0.1", "255.255.255.0",
                                                     "192.168.0.10", "192.168.0.200"))
    with pytest.raises(ParameterError, match="outside"):
        infrastructure.create_pod(uow, root, NewPod(zone.uuid, "p2", "192.168.0.1", "255.255.255.0", "10.0.0.1"))
    host = infrastructure.add_host(uow, root, NewHost(zone.uuid, pod.uuid, "kvm", "http://192.168.0.20"))
    assert (host.hypervisor, host.ip_address, host.pod_uuid) == (Hypervisor.KVM, "192.168.0.20", pod.uuid)
    with pytest.raises(ParameterError, match=re.escape("192.168.0.20")):
        infrastructure.add_host(uow, root, NewHost(zone.uuid, pod.uuid, "XenServer", "192.168.0.20"))
    with pytest.raises(ParameterError, match="Pod p1 is not in zone z2"):
        infrastructure.add_host(uow, root, NewHost(basic.uuid, pod.uuid, "VMware", "192.168.0.21"))
    with pytest.raises(ParameterError, match="'hyperv'"):
        infrastructure.add_host(uow, root, NewHost(zone.uuid, pod.uuid, "hyperv", "192.168.0.22"))
    kvm = HostFilter(zone_uuid=zone.uuid, hypervisor="KVM")
    assert [h.uuid for h in infrastructure.list_hosts(uow, kvm)] == [host.uuid]


# -- settings, events, listApis --------------------------------------------------------


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "", "99999999999", "١٢"])
def test_update_configuration_refuses_a_value_that_is_not_a_count(uow: SqlUnitOfWork, value: str) -> None:
    with pytest.raises(ParameterError) as refused:
        settings.update_configuration(uow, admin(uow), MAX_SECONDARY_IPS_KEY, value)
    assert repr(value) in refused.value.text
    with uow.reading():
        assert uow.settings.int_value(MAX_SECONDARY_IPS_KEY) == 256


def test_update_configuration_stores_the_value_and_records_an_event(uow: SqlUnitOfWork) -> None:
    with pytest.raises(ParameterError, match=re.escape("no.such.setting")):
        settings.update_configuration(uow, admin(uow), "no.such.setting", "1")
    settings.update_configuration(uow, admin(uow), MAX_SECONDARY_IPS_KEY, " 10 ")
    listed = dict((s.name, v) for s, v in settings.list_configurations(uow, "secondary", None))
    assert listed == {MAX_SECONDARY_IPS_KEY: "10"}
    rows, total = settings.list_events(uow, admin(uow), EventFilter(type="CONFIGURATION.VALUE.EDIT"))
    assert total == 1 and "from 256 to 10" in rows[0]["description"]


def test_list_apis_shows_a_user_only_the_commands_of_its_role(uow: SqlUnitOfWork, tree: dict[str, Any]) -> None:
    import nicstack.api.commands  # noqa: F401, PLC0415 - registers the command table

    ctx = Context(Runtime(uow.db, "test"), tree["b_user"], "listApis")
    reply = COMMANDS["listApis"].handler(ctx, {})
    assert isinstance(reply, ListReply)
    body = render(reply)
    names = [a["name"] for a in body["api"]]
    assert names == sorted(names) and body["count"] == len(names)
    root_only = {c.name for c in COMMANDS.values() if c.roles == ROOT}
    assert {"createZone", "updateConfiguration", "addHost"} <= root_only
    assert not root_only & set(names)
    assert {"listApis", "listZones", "registerUserKeys"} <= set(names)
    for api in body["api"]:
        assert isinstance(api["isasync"], bool)
        # What it answers, field by field (tests/api/test_list_apis_schema.py checks the fields are true).
        assert api["response"] and all({"name", "description", "type"} <= set(f) for f in api["response"])
        for param in api["params"]:
            assert isinstance(param["required"], bool) and isinstance(param["length"], int)


# -- bad input through the dispatcher: always an envelope, never a 530 -------------------


_WORLD_COMMANDS = (
    "createDomain", "listDomains", "createAccount", "listAccounts", "listUsers", "registerUserKeys", "logout",
    "createZone", "listZones", "createPod", "listPods", "addHost", "listHosts", "listNetworkOfferings",
    "listServiceOfferings", "listTemplates", "listConfigurations", "updateConfiguration", "listCapabilities",
    "listApis", "queryAsyncJobResult", "listAsyncJobs", "listEvents",
)
_GARBAGE = ("", "x" * 5000, "not-a-uuid", "00000000-0000-0000-0000-000000000000", "-1", "99999999999999999999",
            "yes", "' OR 1=1 --", "\u00e9\u4e2d", "\x01")


def test_every_world_command_answers_bad_input_with_a_cloudstack_error(uow: SqlUnitOfWork) -> None:
    import nicstack.api.commands  # noqa: F401, PLC0415 - registers the command table

    with uow:
        keys = bootstrap_admin(uow)
    assert keys is not None
    runtime = Runtime(uow.db, "test")
    for name in _WORLD_COMMANDS:
        for garbage in _GARBAGE:
            params = {"command": name, "response": "json", "apiKey": keys.api_key}
            params |= {p.name: garbage for p in COMMANDS[name].params}
            params["signature"] = sign(keys.secret_key, params)
            answer = handle(runtime, params, {})
            assert answer.status == 200 or 400 <= answer.status < 530, (name, garbage, answer.body)
            envelope = answer.body[f"{name.lower()}response"]
            if answer.status != 200:
                assert envelope["errorcode"] == answer.status and envelope["errortext"]
