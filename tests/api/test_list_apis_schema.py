"""listApis describes what each command answers (`response`) and which commands relate (`related`), and the
description cannot drift: a walk through the demo world calls the commands over the signed API, and every key of
every object they answer must be declared for the command's kind, with a matching type, and every declared field
must be answered by some object."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nicstack.api import commands  # noqa: F401 - registers every command
from nicstack.api.registry import COMMANDS
from nicstack.api.schema import Field
from nicstack.db.uow import SqlUnitOfWork
from nicstack.demo import build_demo
from nicstack.server import prepare, running
from tests.api.schema_scenario import Recorder, walk
from tests.support.client import Client

pytestmark = pytest.mark.api

# The Python values each declared type allows.
ALLOWED: dict[str, tuple[type, ...]] = {
    "string": (str,), "date": (str,), "boolean": (bool,), "integer": (int,), "long": (int,), "list": (list,),
    "map": (dict,), "object": (dict,),
}


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Client, list[tuple[str, dict[str, Any]]]]]:
    folder: Path = tmp_path_factory.mktemp("schema")
    prepared = prepare(f"sqlite:///{folder}/nicstack.db")
    assert prepared.admin is not None
    try:
        world = build_demo(SqlUnitOfWork(prepared.db))
        with running(prepared.db) as url:
            admin = Client(url, prepared.admin.api_key, prepared.admin.secret_key)
            recorder = Recorder(admin, Client(url, world.api_key, world.secret_key))
            walk(recorder)
            yield admin, recorder.seen
    finally:
        prepared.db.dispose()


def check(declared: tuple[Field, ...], obj: dict[str, Any], where: str, seen: dict[int, set[str]],
          errors: list[str]) -> None:
    """Compare one answered object with its declared fields, recording which fields it answered."""
    by_name = {f.name: f for f in declared}
    covered = seen.setdefault(id(declared), set())
    for key, value in obj.items():
        f = by_name.get(key)
        if f is None:
            errors.append(f"{where}.{key}: answered, not declared")
            continue
        covered.add(key)
        if (isinstance(value, bool) and f.type != "boolean") or not isinstance(value, ALLOWED[f.type]):
            errors.append(f"{where}.{key}: declared {f.type}, answered {type(value).__name__}")
            continue
        items = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
        for item in items:
            if isinstance(item, dict) and f.response:
                check(f.response, item, f"{where}.{key}", seen, errors)
            elif isinstance(item, dict) and f.type == "list":
                errors.append(f"{where}.{key}: objects answered, their fields not declared")


def objects(command: str, inner: dict[str, Any]) -> list[dict[str, Any]]:
    answers = COMMANDS[command].answers
    assert answers is not None, f"{command} declares no answer"
    if answers.flat:
        return [inner]
    found: list[dict[str, Any]] = []
    for key, value in inner.items():
        if key == "count":
            continue
        assert key in answers.keys, f"{command} answered {key}, declares {answers.keys}"
        found += value if isinstance(value, list) else [value]
    return found


def all_fields(declared: tuple[Field, ...], out: dict[int, tuple[str, tuple[Field, ...]]], where: str) -> None:
    out[id(declared)] = (where, declared)
    for f in declared:
        if f.response:
            all_fields(f.response, out, f"{where}.{f.name}")


def test_every_command_declares_what_it_answers() -> None:
    assert [c.name for c in COMMANDS.values() if c.answers is None] == []


def test_what_the_commands_answer_is_what_list_apis_declares(
    walked: tuple[Client, list[tuple[str, dict[str, Any]]]],
) -> None:
    _, seen_calls = walked
    errors: list[str] = []
    covered: dict[int, set[str]] = {}
    called = {command for command, _ in seen_calls}
    for command, inner in seen_calls:
        answers = COMMANDS[command].answers
        assert answers is not None
        for obj in objects(command, inner):
            check(answers.fields, obj, f"{command}:{answers.name}", covered, errors)
    assert errors == []
    # Every declared field of every kind the walk met is answered by some object (nested ones included).
    declared: dict[int, tuple[str, tuple[Field, ...]]] = {}
    for c in COMMANDS.values():
        if c.name in called and c.answers is not None:
            all_fields(c.answers.fields, declared, c.answers.name)
    never = sorted(f"{where}.{f.name}" for key, (where, fs) in declared.items() for f in fs
                   if f.name not in covered.get(key, set()))
    assert never == []
    # The walk calls every command but logout (a web session's).
    assert set(COMMANDS) - called == {"logout"}


def api_of(client: Client, name: str) -> dict[str, Any]:
    [found] = client.items("listApis", "api", name=name)
    return found


def test_list_apis_describes_add_ip_to_nic_response_with_types(
    walked: tuple[Client, list[tuple[str, dict[str, Any]]]],
) -> None:
    admin, _ = walked
    api = api_of(admin, "addIpToNic")
    response = {f["name"]: f for f in api["response"]}
    assert {"id", "ipaddress", "nicid", "networkid", "virtualmachineid"} <= set(response)
    assert all(response[n]["type"] == "string" for n in ("id", "ipaddress", "nicid", "virtualmachineid"))
    assert all(f["description"] for f in api["response"])
    params = {p["name"]: p for p in api["params"]}
    # As CloudStack relates a parameter: the commands answering what it refers to.
    assert params["nicid"]["related"] == "listNics"
    assert "related" not in params["ipaddress"]


def test_list_apis_nests_the_fields_of_nested_objects(walked: tuple[Client, list[tuple[str, dict[str, Any]]]]) -> None:
    admin, _ = walked
    vm = {f["name"]: f for f in api_of(admin, "listVirtualMachines")["response"]}
    nic = {f["name"]: f for f in vm["nic"]["response"]}
    assert vm["nic"]["type"] == "list" and {"id", "ipaddress", "networkid", "secondaryip"} <= set(nic)
    assert {f["name"] for f in nic["secondaryip"]["response"]} >= {"id", "ipaddress"}
    assert {f["name"] for f in vm["tags"]["response"]} >= {"key", "value", "resourceid"}
    nics = {f["name"]: f for f in api_of(admin, "listNics")["response"]}
    assert {f["name"] for f in nics["secondaryip"]["response"]} >= {"id", "ipaddress", "applied"}


def test_related_names_the_other_commands_answering_the_same_kind(
    walked: tuple[Client, list[tuple[str, dict[str, Any]]]],
) -> None:
    admin, _ = walked
    listed = api_of(admin, "listVirtualMachines")["related"].split(",")
    assert {"deployVirtualMachine", "stopVirtualMachine", "updateVmNicIp"} <= set(listed)
    assert "listVirtualMachines" not in listed
    nics = api_of(admin, "listNics")
    [vm_param] = [p for p in nics["params"] if p["name"] == "virtualmachineid"]
    assert "listVirtualMachines" in vm_param["related"].split(",")
    # Commands that only report success relate to nothing, as in CloudStack.
    assert "related" not in api_of(admin, "removeIpFromNic")
    assert [f["name"] for f in api_of(admin, "removeIpFromNic")["response"]] == ["success", "displaytext"]
    network = api_of(admin, "createNetwork")["related"].split(",")
    assert {"listNetworks", "updateNetwork"} <= set(network)
