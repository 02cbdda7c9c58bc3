"""The metadata service over HTTP on loopback, the kernel's neighbour table faked (the edge we do not own)."""

from __future__ import annotations

import http.client
import os
import time
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv6Address
from pathlib import Path

import pytest

from nicstack.agent.metadata_server import WATCH_INTERVAL, MetadataService
from nicstack.render.metadata import Metadata, render_metadata
from tests.support.metadata_world import nic, vm
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

A = "02:00:00:00:00:0a"
B = "02:00:00:00:00:0b"
ADDRESSES = "/latest/meta-data/network/interfaces/macs/{}/local-ipv4s"


class Neighbours:
    """What the kernel's ARP table would say: the MAC a source address was seen from."""

    def __init__(self) -> None:
        self.mac: str | None = A

    def __call__(self, address: IPv4Address | IPv6Address) -> str | None:
        return self.mac if address == IPv4Address("127.0.0.1") else None


def publish(path: Path, document: Metadata) -> None:
    publish_text(path, render_metadata(document))


def publish_text(path: Path, text: str) -> None:
    """As the agent does: write beside, then rename over."""
    candidate = path.with_suffix(".new")
    candidate.write_text(text)
    os.replace(candidate, path)


@pytest.fixture
def neighbours() -> Neighbours:
    return Neighbours()


@pytest.fixture
def served(tmp_path: Path, neighbours: Neighbours) -> Iterator[tuple[Path, int]]:
    document = tmp_path / "metadata.json"
    publish(document, Metadata((vm(1, nic(A, "127.0.0.1", "10.1.1.50")), vm(2, nic(B, "10.1.1.6", "10.1.1.60")))))
    service = MetadataService(document, [("127.0.0.1", 0)], neighbours)
    service.start()
    try:
        yield document, service.addresses[0][1]
    finally:
        service.stop()


def get(port: int, path: str, method: str = "GET") -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})
        reply = conn.getresponse()
        return reply.status, reply.read().decode()
    finally:
        conn.close()


def test_a_vm_reads_its_own_secondary_addresses(served: tuple[Path, int]) -> None:
    _, port = served
    assert get(port, ADDRESSES.format(A)) == (200, "127.0.0.1\n10.1.1.50")


def test_a_vm_never_reads_another_vms_entry(served: tuple[Path, int], neighbours: Neighbours) -> None:
    _, port = served
    assert get(port, ADDRESSES.format(B))[0] == 404  # not a NIC of the asking VM
    neighbours.mac = B  # the kernel saw this address from VM 2's MAC: VM 2 does not hold 127.0.0.1
    assert get(port, ADDRESSES.format(B))[0] == 404
    neighbours.mac = None  # no neighbour entry: nobody is answered
    assert get(port, "/latest/meta-data/local-ipv4")[0] == 404


def test_the_answers_follow_a_replaced_document(served: tuple[Path, int]) -> None:
    document, port = served
    publish(document, Metadata((vm(1, nic(A, "127.0.0.1", "10.1.1.50", "10.1.1.51")),)))
    eventually(lambda: get(port, ADDRESSES.format(A)), lambda got: got == (200, "127.0.0.1\n10.1.1.50\n10.1.1.51"),
               timeout=5)
    publish_text(document, "{ broken")  # a bad file keeps the last good document serving
    time.sleep(3 * WATCH_INTERVAL)
    assert get(port, ADDRESSES.format(A)) == (200, "127.0.0.1\n10.1.1.50\n10.1.1.51")


def test_the_imdsv2_token_cloud_init_asks_for_first_is_given_to_known_vms_only(
    served: tuple[Path, int], neighbours: Neighbours,
) -> None:
    _, port = served
    status, token = get(port, "/latest/api/token", "PUT")
    assert status == 200 and len(token) == 32
    neighbours.mac = None
    assert get(port, "/latest/api/token", "PUT")[0] == 404
