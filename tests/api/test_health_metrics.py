"""GET /healthz for a load balancer and GET /metrics for Prometheus, on both backends, without credentials."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from nicstack.api.app import create_app
from nicstack.api.runtime import Runtime
from nicstack.db import tables as t
from nicstack.db.database import Database
from nicstack.db.rows import new_uuid, now
from nicstack.db.uow import SqlUnitOfWork
from tests.conftest import Cloud
from tests.support.world import Zone, defaults, deploy, make_network, make_tenant

pytestmark = pytest.mark.api


def base(cloud: Cloud) -> str:
    return cloud.url.removesuffix("/client/api")


def samples(cloud: Cloud) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = requests.get(base(cloud) + "/metrics", timeout=10)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_healthz_answers_ok_without_credentials(cloud: Cloud) -> None:
    answer = requests.get(base(cloud) + "/healthz", timeout=10)
    assert answer.status_code == 200 and answer.json() == {"status": "ok", "database": "ok"}
    assert requests.head(base(cloud) + "/healthz", timeout=10).status_code == 200
    assert requests.post(base(cloud) + "/healthz", timeout=10).status_code == 405


def test_metrics_count_requests_by_command_and_status_with_latency(cloud: Cloud) -> None:
    before = samples(cloud)
    for _ in range(3):
        cloud.admin.call("listZones")
    cloud.admin.raw("noSuchCommand")
    after = samples(cloud)
    assert value(after, "nicstack_api_requests_total", command="listZones", status="200") == \
        value(before, "nicstack_api_requests_total", command="listZones", status="200") + 3
    assert value(after, "nicstack_api_requests_total", command="unknown", status="432") >= 1
    assert value(after, "nicstack_api_request_duration_seconds_count", command="listZones") >= 3
    assert value(after, "nicstack_api_request_duration_seconds_bucket", command="listZones", le="+Inf") >= 3
    assert value(after, "nicstack_database_up") == 1


def test_metrics_count_allocation_refusals_by_reason(cloud: Cloud, zone: Zone) -> None:
    d = defaults(cloud.admin)
    owner = make_tenant(cloud.admin)
    net = make_network(owner.client, zone, d["isolated"])
    nic = deploy(owner.client, zone, d, net["id"])["nic"][0]
    before = samples(cloud)
    assert owner.client.raw("addIpToNic", nicid=nic["id"], ipaddress=nic["ipaddress"])[0] == 536
    assert owner.client.raw("addIpToNic", nicid=nic["id"], ipaddress="192.0.2.1")[0] == 431
    after = samples(cloud)
    for reason in ("resource_in_use", "parameter_error"):
        key = "nicstack_allocation_refusals_total"
        assert value(after, key, command="addIpToNic", reason=reason) == \
            value(before, key, command="addIpToNic", reason=reason) + 1


def test_metrics_read_the_job_queue_and_published_generations_from_the_database(cloud: Cloud, zone: Zone) -> None:
    d = defaults(cloud.admin)
    owner = make_tenant(cloud.admin)
    net = make_network(owner.client, zone, d["isolated"])
    deploy(owner.client, zone, d, net["id"])
    router = cloud.admin.call("getRouterConfig", networkid=net["id"])["routerconfig"]
    with SqlUnitOfWork(cloud.db) as uow:
        [user] = uow.accounts.users_by(username=owner.account)
        # A job waiting two minutes already and not due for an hour (a retry's backoff): no server takes
        # it meanwhile, and the queue's depth and age must show it.
        job_id = uow.jobs.create(new_uuid(), user.id, user.account.id, "addIpToNic", "{}", "metrics-test", None)
        uow.conn.execute(t.async_jobs.update().where(t.async_jobs.c.id == job_id)
                         .values(created=now() - timedelta(seconds=120), available_at=now() + timedelta(hours=1)))
    try:
        found = samples(cloud)
        assert value(found, "nicstack_jobs_pending") >= 1
        assert value(found, "nicstack_jobs_oldest_pending_age_seconds") >= 120
        assert value(found, "nicstack_dataplane_published_generation", kind="router", id=net["id"]) == \
            router["generation"]
    finally:
        with cloud.db.write() as conn:
            conn.execute(t.async_jobs.delete().where(t.async_jobs.c.id == job_id))


def asgi_get(app: Any, path: str) -> tuple[int, bytes]:
    """One GET through the ASGI app itself, without a server."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": []}
    asyncio.run(app(scope, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def test_healthz_answers_503_and_metrics_say_so_when_the_database_does_not_answer() -> None:
    db = Database("postgresql+psycopg://nobody@127.0.0.1:1/nicstack?connect_timeout=2")
    try:
        app = create_app(Runtime(db, "health-test"))
        status, body = asgi_get(app, "/healthz")
        assert status == 503 and json.loads(body)["status"] == "unavailable"
        status, body = asgi_get(app, "/metrics")
        assert status == 200 and "nicstack_database_up 0.0" in body.decode()
    finally:
        db.dispose()
