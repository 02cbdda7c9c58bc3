"""What a guest reads from the metadata service: CloudStack's keys, EC2's per-MAC addresses, network-config."""

from __future__ import annotations

import base64
import json
from ipaddress import IPv4Address

import pytest

from nicstack.render.metadata import (
    Metadata,
    assemble,
    document_of,
    entry_hash,
    metadata_digest,
    parse_metadata,
    part_hash,
    render_metadata,
    split_entry,
    sum_digest,
    vm_entry,
)
from nicstack.render.metadata_paths import answer
from tests.support.metadata_world import OTHER_NETWORK, nic, vm

pytestmark = pytest.mark.unit

A = "02:00:00:00:00:0a"
B = "02:00:00:00:00:0b"


def text(path: str, *, secondaries: tuple[str, ...] = ("10.1.1.50", "10.1.1.51")) -> str:
    guest = vm(1, nic(A, "10.1.1.5", *secondaries), public="203.0.113.12")
    reply = answer(guest, guest.nics[0], path)
    assert reply.status == 200, (path, reply)
    return reply.body.decode()


def test_the_nics_addresses_list_the_primary_first_then_every_secondary() -> None:
    assert text(f"/latest/meta-data/network/interfaces/macs/{A}/local-ipv4s").splitlines() == [
        "10.1.1.5", "10.1.1.50", "10.1.1.51"]


def test_cloudstacks_keys_answer_as_its_router_does() -> None:
    assert text("/latest/meta-data/local-ipv4") == "10.1.1.5"
    assert text("/latest/meta-data/instance-id") == text("/latest/meta-data/vm-id") == str(vm(1).uuid)
    assert text("/latest/meta-data/local-hostname") == "web-1"
    assert text("/latest/meta-data/public-ipv4") == "203.0.113.12"
    assert text("/latest/meta-data/availability-zone") == "demo-zone"
    assert text("/latest/meta-data/service-offering") == "Small"


def test_the_meta_data_directory_lists_keys_and_subdirectories_as_ec2_does() -> None:
    listed = text("/latest/meta-data/").splitlines()
    assert {"local-ipv4", "instance-id", "mac", "network/", "placement/"} <= set(listed)
    assert text("/latest/meta-data/network/interfaces/macs/") == f"{A}/"
    assert "local-ipv4s" in text(f"/latest/meta-data/network/interfaces/macs/{A}").splitlines()
    assert text(f"/latest/meta-data/network/interfaces/macs/{A}/subnet-ipv4-cidr-block") == "10.1.1.0/24"


def test_a_dated_version_answers_like_latest() -> None:
    assert text("/2009-04-04/meta-data/local-ipv4") == "10.1.1.5"


def test_unknown_paths_and_versions_are_not_found() -> None:
    guest = vm(1, nic(A, "10.1.1.5"))
    for path in ("/latest/meta-data/nothing", "/v1/meta-data/local-ipv4", "/latest/meta-data/local-ipv4/more",
                 "/latest/user-data"):
        assert answer(guest, guest.nics[0], path).status == 404, path


def test_user_data_is_served_decoded() -> None:
    script = b"#!/bin/sh\necho hello\n"
    guest = vm(1, nic(A, "10.1.1.5"), user_data=base64.b64encode(script).decode())
    assert answer(guest, guest.nics[0], "/latest/user-data").body == script
    assert "user-data" in answer(guest, guest.nics[0], "/latest/").body.decode().splitlines()


def test_every_nic_of_the_vm_is_listed_with_its_own_addresses() -> None:
    guest = vm(1, nic(A, "10.1.1.5", "10.1.1.50"),
               nic(B, "10.9.0.7", device=1, default=False, ipv6=("fd00:1::7", "fd00:1::70"), network=OTHER_NETWORK))
    asked = guest.nics[1]
    assert answer(guest, asked, "/latest/meta-data/network/interfaces/macs/").body.decode().splitlines() == [
        f"{A}/", f"{B}/"]
    assert answer(guest, asked, f"/latest/meta-data/network/interfaces/macs/{B}/ipv6s").body.decode() == (
        "fd00:1::7\nfd00:1::70")
    assert answer(guest, asked, "/latest/meta-data/local-ipv4").body == b"10.9.0.7"  # the NIC that asked


def test_the_network_config_lists_every_address_and_routes_only_the_default_nic() -> None:
    guest = vm(1, nic(A, "10.1.1.5", "10.1.1.50"), nic(B, "10.1.1.9", device=1, default=False, ipv6=("fd00:1::9",)))
    config = json.loads(answer(guest, guest.nics[0], "/latest/network-config").body)
    assert config["version"] == 2
    assert config["ethernets"]["nic0"] == {
        "match": {"macaddress": A}, "addresses": ["10.1.1.5/24", "10.1.1.50/24"],
        "routes": [{"to": "0.0.0.0/0", "via": "10.1.1.1"}]}
    assert config["ethernets"]["nic1"] == {"match": {"macaddress": B}, "addresses": ["10.1.1.9/24", "fd00:1::9/64"]}


def test_a_document_reads_back_to_the_values_it_was_rendered_from() -> None:
    document = Metadata((vm(2, nic(B, "10.1.1.6")), vm(1, nic(A, "10.1.1.5", "10.1.1.50"), public="203.0.113.9",
                                                              user_data="aGk=")))
    rendered = render_metadata(document)
    assert parse_metadata(rendered) == document
    assert render_metadata(parse_metadata(rendered)) == rendered


def test_the_index_finds_a_vm_by_its_mac_and_any_of_its_addresses_only() -> None:
    first, second = vm(1, nic(A, "10.1.1.5", "10.1.1.50")), vm(2, nic(B, "10.1.1.6"))
    index = Metadata((first, second)).index()
    assert index[(A, IPv4Address("10.1.1.50"))] == first
    assert (B, IPv4Address("10.1.1.50")) not in index  # another VM's MAC with this VM's address


@pytest.mark.parametrize("broken", ['{"vms": [{"uuid": "x"}]}', "not json", '{"vms": [{"uuid": "00000000-0000-0000'
                                    '-0000-000000000001", "name": "a", "zone": "z", "service_offering": "s", '
                                    '"public_ipv4": null, "user_data": "%%%", "nics": []}]}'])
def test_a_broken_document_is_refused_with_the_reason(broken: str) -> None:
    with pytest.raises(ValueError, match="metadata document is not valid"):
        parse_metadata(broken)


def test_the_documents_key_follows_its_entries_so_one_vms_change_rekeys_it_without_the_rest() -> None:
    web, db = vm(1, nic("02:00:00:00:00:01", "10.1.1.2")), vm(2, nic("02:00:00:00:00:02", "10.1.1.3"))
    moved = vm(1, nic("02:00:00:00:00:01", "10.1.1.2", "10.1.1.50"))
    before, after = Metadata((web, db)), Metadata((moved, db))
    # What the server keeps: the sum of the entries' hashes, updated by the one entry that changed.
    total = sum(entry_hash(vm_entry(v)) for v in before.vms)
    total += entry_hash(vm_entry(moved)) - entry_hash(vm_entry(web))
    assert metadata_digest(render_metadata(after)) == sum_digest(total)
    assert metadata_digest(render_metadata(before)) != metadata_digest(render_metadata(after))
    assert render_metadata(after) == document_of(vm_entry(v) for v in after.vms)
    assert parse_metadata(render_metadata(after)) == after


def test_an_entry_splits_into_its_base_and_addresses_and_one_address_moves_its_hash_by_that_address_alone() -> None:
    mac = "02:00:00:00:00:01"
    before = vm_entry(vm(1, nic(mac, "10.1.1.2", "10.1.1.50", ipv6=("fd00:1::2",))))
    after = vm_entry(vm(1, nic(mac, "10.1.1.2", "10.1.1.50", ipv6=("fd00:1::2", "fd00:1::51"))))
    base, parts = split_entry(after)
    assert base == split_entry(before)[0], "the base holds no address"
    [nic_uuid] = {uuid for uuid, _ in parts}
    assert parts == [(nic_uuid, a) for a in ("10.1.1.2", "10.1.1.50", "fd00:1::2", "fd00:1::51")]
    assert assemble(base, {nic_uuid: [address for _, address in parts]}) == after
    assert entry_hash(after) - entry_hash(before) == part_hash(nic_uuid, "fd00:1::51")
