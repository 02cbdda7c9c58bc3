"""Async jobs on the wire: each caller lists and polls its own jobs only."""

from __future__ import annotations

import pytest

from tests.conftest import Cloud
from tests.support.client import UNKNOWN
from tests.support.world import Zone, deploy, make_network, make_tenant

pytestmark = pytest.mark.api


def test_a_caller_lists_and_polls_its_own_jobs_and_not_another_accounts(
    cloud: Cloud, zone: Zone, d: dict[str, str]
) -> None:
    owner, stranger = make_tenant(cloud.admin), make_tenant(cloud.admin)
    net = make_network(owner.client, zone, d["isolated"])
    vm = deploy(owner.client, zone, d, net["id"])
    reply = owner.client.call("addIpToNic", nicid=vm["nic"][0]["id"])
    done = owner.client.wait(reply["jobid"])
    assert done["jobstatus"] == 1 and done["jobresultcode"] == 0 and done["jobinstanceid"] == reply["id"]
    listed = {j["jobid"]: j for j in owner.client.items("listAsyncJobs", "asyncjobs")}
    assert listed[reply["jobid"]]["cmd"].endswith("addIpToNic")
    assert reply["jobid"] not in {j["jobid"] for j in stranger.client.items("listAsyncJobs", "asyncjobs")}
    refused = stranger.client.error("queryAsyncJobResult", jobid=reply["jobid"])
    assert refused.code == 431 and UNKNOWN in refused.text
