"""The server's JSON log lines, read as an operator reads them: one per request (refusals included),
one per job outcome, one per data-plane publication, uvicorn's in the same format, no secret in any."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support.process import Served, serving

pytestmark = pytest.mark.api


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serving(tmp_path_factory.mktemp("logs"), "--demo", "--log-level", "info") as server:
        yield server


def json_lines(served: Served) -> list[dict[str, Any]]:
    return [json.loads(line) for line in served.output().splitlines() if line.startswith("{")]


def events(served: Served, kind: str, **match: Any) -> list[dict[str, Any]]:
    return [e for e in json_lines(served) if e.get("event") == kind and all(e.get(k) == v for k, v in match.items())]


def demo_vm(served: Served, name: str) -> dict[str, Any]:
    [vm] = served.admin.items("listVirtualMachines", "virtualmachine", listall=True, name=name)
    return vm


def test_a_request_is_one_json_line_with_who_called_what_and_how_it_ended(served: Served) -> None:
    zones = served.admin.raw("listZones")
    assert zones[0] == 200
    [line] = events(served, "request", command="listZones", status=200)[-1:]
    assert line["account"] == "admin" and line["client"] == "127.0.0.1" and line["method"] == "GET"
    assert line["level"] == "info" and line["logger"] == "nicstack.requests"
    assert len(line["request_id"]) >= 8 and line["duration_ms"] >= 0 and line["time"].endswith("+00:00")
    assert "error_code" not in line


def test_a_refusal_is_logged_with_its_code_reason_and_text(served: Served) -> None:
    nic = demo_vm(served, "web-2")["nic"][0]
    status, _ = served.admin.raw("addIpToNic", nicid=nic["id"], ipaddress=nic["ipaddress"])
    assert status == 536
    [line] = events(served, "request", command="addIpToNic", status=536)
    assert line["error_code"] == 536 and line["cs_error_code"] == 4380 and line["reason"] == "resource_in_use"
    assert nic["ipaddress"] in line["error"] and line["account"] == "admin"
    unsigned = requests.get(served.url, params={"command": "listZones", "response": "json"}, timeout=10)
    assert unsigned.status_code == 401
    [anonymous] = [e for e in events(served, "request", status=401) if e["request_id"] ==
                   unsigned.headers["x-request-id"]]
    assert anonymous["reason"] == "authentication_failed" and "account" not in anonymous


def test_a_job_outcome_is_logged_with_its_id_command_attempts_and_result(served: Served) -> None:
    nic = demo_vm(served, "web-1")["nic"][0]
    reply = served.admin.call("addIpToNic", nicid=nic["id"])
    job = served.admin.wait(reply["jobid"])
    [request] = events(served, "request", command="addIpToNic", status=200)[-1:]
    assert request["job_id"] == reply["jobid"]
    [line] = events(served, "job", job_id=reply["jobid"])
    assert line["command"] == "addIpToNic" and line["attempts"] == 1 and line["status"] == "succeeded"
    assert line["result"] == job["jobresult"]
    served.admin.run("removeIpFromNic", id=reply["id"])


def test_each_data_plane_publication_is_logged_with_its_target_and_generation(served: Served) -> None:
    vm = demo_vm(served, "sg-kvm-1")
    config = served.admin.call("getHostConfig", hostid=vm["hostid"])["hostconfig"]
    served.admin.run("addIpToNic", nicid=vm["nic"][0]["id"])
    after = served.admin.call("getHostConfig", hostid=vm["hostid"])["hostconfig"]
    assert after["generation"] == config["generation"] + 1
    published = events(served, "publication", target=f"host:{vm['hostid']}")
    assert [p["generation"] for p in published][-2:] == [config["generation"], after["generation"]]
    assert published[-1]["changes"] != "full" and published[-1]["changes"] > 0
    network = demo_vm(served, "web-1")["nic"][0]["networkid"]
    router = served.admin.call("getRouterConfig", networkid=network)["routerconfig"]
    assert events(served, "publication", target=f"router:{network}", generation=router["generation"])


def test_uvicorn_writes_json_too_and_no_line_holds_a_secret(served: Served) -> None:
    assert any(e["logger"].startswith("uvicorn") for e in json_lines(served))
    text = served.output()
    assert "INFO:" not in text and "Traceback" not in text
    assert served.secret_key not in text and served.password not in text
    assert '"signature"' not in text


def test_a_request_id_from_a_proxy_is_kept_and_echoed(served: Served) -> None:
    answer = requests.get(served.url, params={"command": "listZones", "response": "json"},
                          headers={"X-Request-Id": "lb-7f3a.42"}, timeout=10)
    assert answer.headers["x-request-id"] == "lb-7f3a.42"
    assert events(served, "request", request_id="lb-7f3a.42")
    odd = requests.get(served.url, params={"command": "listZones"}, headers={"X-Request-Id": "a b\"c"}, timeout=10)
    assert odd.headers["x-request-id"] != "a b\"c"


def test_at_the_default_level_requests_are_not_logged(tmp_path: Path) -> None:
    with serving(tmp_path / "quiet") as quiet:
        assert quiet.admin.raw("listZones")[0] == 200
        assert quiet.admin.raw("addIpToNic", nicid="not-a-uuid")[0] == 431
        assert '"event"' not in quiet.output() and "uvicorn" not in quiet.output()
