"""nicstack's own conformance check of the CloudStack wire contract, run against a live server.

    python -m tests.conformance.wire_check --url http://127.0.0.1:8080/client/api \
        --api-key=KEY --secret-key=SECRET

With the root admin's keys, against a server that has at least two VMs (the demo world has
nine): it adds a secondary IP to one VM's NIC and removes it again, and changes nothing else.
Each check prints a line; the last line is "N passed, N failed", and the exit status is 1 when
any check failed. Each check cites the part of the contract it reads.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.conformance.client import Api, canonical, expires_in, signature

BAD_CREDENTIALS = "unable to verify user credentials and/or request signature"
UNKNOWN_COMMAND = "The given command does not exist or it is not available for user"
UNKNOWN_UUID = ("Unable to execute API command {command} due to invalid value. Invalid parameter {name} "
                "value={value} due to incorrect long value format, or entity does not exist or due to "
                "incorrect parameter annotation for the field in api cmd class.")
# Section 2's test vector, captured from cs 5.2.0.
VECTOR_TEXT = ("apikey=test-api-key&command=addiptonic&expires=2026-11-27t16%3a55%3a18%2b0000&ipaddress=10.1.1.50"
               "&nicid=5fa99316-f7d1-56e1-9a57-907d68da32ad&response=json&signatureversion=3")
VECTOR_PARAMS = {"apiKey": "test-api-key", "command": "addIpToNic", "expires": "2026-11-27T16:55:18+0000",
                 "ipaddress": "10.1.1.50", "nicid": "5fa99316-f7d1-56e1-9a57-907d68da32ad", "response": "json",
                 "signatureVersion": "3"}


@dataclass
class World:
    """What the checks found on the server, and what the secondary-IP checks created."""

    api: Api
    vm: dict[str, Any] = field(default_factory=dict)
    nic: dict[str, Any] = field(default_factory=dict)
    secondary: dict[str, Any] = field(default_factory=dict)
    jobid: str = ""


Check = Callable[[World], None]
CHECKS: list[tuple[str, Check]] = []


def check(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS.append((name, fn))
        return fn

    return register


def expect(condition: bool, why: str) -> None:
    if not condition:
        raise AssertionError(why)


def refused(reply: Any, status: int, text: str | None = None) -> None:
    """Section 3's error envelope with HTTP status = errorcode; `text` exact when given."""
    expect(reply.status == status, f"HTTP {reply.status}, expected {status}: {reply.body}")
    inner = reply.inner
    expect(isinstance(inner, dict) and set(inner) >= {"uuidList", "errorcode", "cserrorcode", "errortext"},
           f"not an error envelope: {reply.body}")
    expect(inner["errorcode"] == status and isinstance(inner["cserrorcode"], int), f"codes: {inner}")
    if text is not None:
        expect(inner["errortext"] == text, f"errortext {inner['errortext']!r}, expected {text!r}")


@check("signer reproduces the contract's test vector (section 2)")
def _vector(w: World) -> None:
    expect(canonical(VECTOR_PARAMS) == VECTOR_TEXT, f"canonical string {canonical(VECTOR_PARAMS)}")
    expect(signature("test-secret-key", VECTOR_TEXT) == "in8+rshwRbbct0AQxmSeKOEEhco=", "signature differs")


@check("GET answers JSON with the exact content type (section 1)")
def _content_type(w: World) -> None:
    reply = w.api.get("listZones")
    expect(reply.status == 200, f"HTTP {reply.status}")
    expect(reply.content_type.replace(" ", "").lower() == "application/json;charset=utf-8", reply.content_type)
    expect(reply.key == "listzonesresponse", f"key {reply.key}")


@check("POST with command in the query and the rest in the form body (section 1)")
def _post_merged(w: World) -> None:
    signed = w.api.signed({"command": "listZones"})
    query = [(k, v) for k, v in signed.items() if k in ("command", "response")]
    reply = w.api.send(query, [(k, v) for k, v in signed.items() if k not in ("command", "response")])
    expect(reply.status == 200 and reply.key == "listzonesresponse", f"HTTP {reply.status}: {reply.body}")


@check("a repeated parameter: the first value wins (section 1)")
def _first_wins(w: World) -> None:
    signed = w.api.signed({"command": "listVirtualMachines", "listall": "true", "name": w.vm["name"]})
    reply = w.api.send([*signed.items(), ("name", f"no-such-vm-{uuid.uuid4().hex[:8]}")])
    expect(reply.status == 200, f"HTTP {reply.status}: {reply.body}")
    expect(w.vm["id"] in [vm["id"] for vm in reply.inner.get("virtualmachine", [])], "the first name was not used")


@check("an unknown command: 432 with CloudStack's text (sections 1, 5)")
def _unknown_command(w: World) -> None:
    reply = w.api.get("noSuchCommandAtAll")
    refused(reply, 432, UNKNOWN_COMMAND)
    expect(reply.key == "nosuchcommandatallresponse", f"key {reply.key}")


@check("a wrong signature: 401 with the exact text, in JSON (section 2)")
def _bad_signature(w: World) -> None:
    signed = w.api.signed({"command": "listZones"})
    signed["signature"] = signature("not-the-secret", canonical(signed))
    reply = w.api.send(list(signed.items()))
    refused(reply, 401, BAD_CREDENTIALS)
    expect("json" in reply.content_type, reply.content_type)


@check("an unknown API key: 401 (section 2)")
def _unknown_key(w: World) -> None:
    stranger = Api(w.api.url, "no-such-key-" + uuid.uuid4().hex, w.api.secret_key)
    refused(stranger.get("listZones"), 401, BAD_CREDENTIALS)


@check("signatureVersion 3 without expires: 401 (section 2)")
def _v3_without_expires(w: World) -> None:
    params = {"command": "listZones", "response": "json", "apiKey": w.api.api_key, "signatureVersion": "3"}
    params["signature"] = signature(w.api.secret_key, canonical(params))
    refused(w.api.send(list(params.items())), 401, BAD_CREDENTIALS)


@check("an expires in the past, or malformed: 401 (section 2)")
def _expired(w: World) -> None:
    refused(w.api.send(list(w.api.signed({"command": "listZones"}, expires=expires_in(-60)).items())), 401,
            BAD_CREDENTIALS)
    refused(w.api.send(list(w.api.signed({"command": "listZones"}, expires="tomorrow").items())), 401,
            BAD_CREDENTIALS)


@check("expires as cs, cloudstack-go and +00:00 write it (section 2)")
def _expires_styles(w: World) -> None:
    for style in ("+0000", "Z", "+00:00"):
        reply = w.api.send(list(w.api.signed({"command": "listZones"}, expires=expires_in(300, style)).items()))
        expect(reply.status == 200, f"expires style {style}: HTTP {reply.status}")


@check("libcloud's signature: no signatureVersion, no expires (section 2)")
def _libcloud(w: World) -> None:
    expect(w.api.send(list(w.api.signed({"command": "listZones"}, v3=False).items())).status == 200, "refused")


@check("lowercase apikey and signatureversion names (section 2)")
def _lowercase_names(w: World) -> None:
    params = {"command": "listZones", "response": "json", "apikey": w.api.api_key, "signatureversion": "3",
              "expires": expires_in(300)}
    params["signature"] = signature(w.api.secret_key, canonical(params))
    expect(w.api.send(list(params.items())).status == 200, "refused")


@check("signatures with '~' and '[]' left raw, as cs and libcloud sign (section 2)")
def _lenient_variants(w: World) -> None:
    for variant, keyword in (("tilde", "a~b"), ("brackets", "[x]"), ("java", "a~b[x]")):
        signed = w.api.signed({"command": "listVirtualMachines", "keyword": keyword}, variant=variant)
        reply = w.api.send(list(signed.items()))
        expect(reply.status == 200, f"variant {variant}: HTTP {reply.status}: {reply.body}")


@check("the same signed request twice: both answered (section 2)")
def _replayed(w: World) -> None:
    query = list(w.api.signed({"command": "listZones"}).items())
    expect(w.api.send(query).status == 200 and w.api.send(query).status == 200, "the second was refused")


@check("an empty list is {} (section 3)")
def _empty_list(w: World) -> None:
    found = w.api.call("listVirtualMachines", listall="true", name=f"no-such-vm-{uuid.uuid4().hex[:8]}")
    expect(found == {}, f"got {found}")


@check("paging: count is the total, pagesize bounds each page (section 3)")
def _paging(w: World) -> None:
    everything = w.api.call("listVirtualMachines", listall="true")
    total = everything.get("count")
    expect(isinstance(total, int) and total == len(everything["virtualmachine"]) >= 2, f"count {total}")
    first = w.api.call("listVirtualMachines", listall="true", page="1", pagesize="1")
    second = w.api.call("listVirtualMachines", listall="true", page="2", pagesize="1")
    expect(first["count"] == second["count"] == total, "count differs between pages")
    expect(len(first["virtualmachine"]) == len(second["virtualmachine"]) == 1, "pagesize 1 gave more")
    expect(first["virtualmachine"][0]["id"] != second["virtualmachine"][0]["id"], "page 2 repeats page 1")


@check("virtualmachine and nic types; the default NIC first (section 6)")
def _vm_types(w: World) -> None:
    for vm in w.api.call("listVirtualMachines", listall="true")["virtualmachine"]:
        expect(isinstance(vm["id"], str) and isinstance(vm.get("displayname"), str), f"vm {vm.get('id')}")
        nics = vm.get("nic", [])
        expect(isinstance(nics, list), "nic is not an array")
        if any(n["isdefault"] for n in nics):
            expect(nics[0]["isdefault"] is True, f"vm {vm['name']}: the default NIC is not first")
        for nic in nics:
            expect(isinstance(nic["isdefault"], bool) and isinstance(nic["deviceid"], str), f"nic {nic['id']}")
            expect(nic.get("traffictype") == "Guest" and isinstance(nic.get("secondaryip", []), list), "nic")


@check("zone fields and types (section 6)")
def _zones(w: World) -> None:
    for zone in w.api.call("listZones")["zone"]:
        expect(zone["networktype"] in ("Basic", "Advanced"), f"networktype {zone['networktype']}")
        expect(isinstance(zone["securitygroupsenabled"], bool), "securitygroupsenabled")


@check("vpcid only on VPC tiers (section 6)")
def _vpcid(w: World) -> None:
    tiers = {n["id"] for vpc in w.api.call("listVPCs", listall="true").get("vpc", []) for n in vpc.get("network", [])}
    for net in w.api.call("listNetworks", listall="true").get("network", []):
        expect(("vpcid" in net) == (net["id"] in tiers), f"network {net['name']}: vpcid {net.get('vpcid')}")


@check("errors: missing parameter, malformed and unknown uuid, bad address (section 5)")
def _errors(w: World) -> None:
    refused(w.api.get("addIpToNic"), 431, "Unable to execute API command addiptovmnic due to missing parameter nicid")
    refused(w.api.get("addIpToNic", nicid="not-a-uuid"), 431)
    refused(w.api.get("addIpToNic", nicid=w.nic["id"], ipaddress="255.255.255.300"), 431)
    ghost = str(uuid.uuid4())
    refused(w.api.get("removeIpFromNic", id=ghost), 431,
            UNKNOWN_UUID.format(command="removeipfromnic", name="id", value=ghost))
    refused(w.api.get("listNics"), 431)


@check("addIpToNic: addiptovmnicresponse with id and jobid; the job's result (sections 3, 4, 6)")
def _add(w: World) -> None:
    reply = w.api.get("addIpToNic", nicid=w.nic["id"])
    expect(reply.status == 200 and reply.key == "addiptovmnicresponse", f"HTTP {reply.status}: {reply.body}")
    expect(set(reply.inner) == {"id", "jobid"}, f"answer {reply.inner}")
    w.jobid = reply.inner["jobid"]
    job = w.api.wait(w.jobid)
    for name, kind in (("jobid", str), ("jobstatus", int), ("jobresultcode", int), ("jobprocstatus", int),
                       ("cmd", str), ("userid", str), ("accountid", str), ("created", str), ("completed", str)):
        expect(isinstance(job.get(name), kind), f"{name}: {job.get(name)!r}")
    expect(job["jobstatus"] == 1 and job["jobresultcode"] == 0 and job["jobresulttype"] == "object", f"job {job}")
    expect(list(job["jobresult"]) == ["nicsecondaryip"], f"jobresult {job['jobresult']}")
    w.secondary = job["jobresult"]["nicsecondaryip"]
    expect(set(w.secondary) >= {"id", "ipaddress", "nicid", "networkid", "virtualmachineid"}, f"{w.secondary}")
    expect(w.secondary["id"] == reply.inner["id"] and w.secondary["nicid"] == w.nic["id"], "ids differ")


@check("listNics shows the secondary IP, with count and virtualmachineid (sections 6, 7)")
def _listed(w: World) -> None:
    found = w.api.call("listNics", virtualmachineid=w.vm["id"], nicid=w.nic["id"])
    expect(found.get("count") == 1 and found["nic"][0]["virtualmachineid"] == w.vm["id"], f"{found}")
    entry = {"id": w.secondary["id"], "ipaddress": w.secondary["ipaddress"]}
    expect(entry in [{k: s[k] for k in ("id", "ipaddress")} for s in found["nic"][0]["secondaryip"]], "not listed")


@check("an address in use is refused at request time, 536, not as a job (sections 4, 5)")
def _in_use(w: World) -> None:
    refused(w.api.get("addIpToNic", nicid=w.nic["id"], ipaddress=w.secondary["ipaddress"]), 536)


@check("listAsyncJobs lists the caller's job (section 4)")
def _jobs_listed(w: World) -> None:
    jobs = w.api.call("listAsyncJobs").get("asyncjobs", [])
    expect(w.jobid in [j.get("jobid") for j in jobs], f"job {w.jobid} not among {len(jobs)} listed")


@check("removeIpFromNic: the job answers {\"success\": true} and the address is gone (sections 3, 4)")
def _remove(w: World) -> None:
    reply = w.api.get("removeIpFromNic", id=w.secondary["id"])
    expect(reply.status == 200 and "jobid" in reply.inner, f"HTTP {reply.status}: {reply.body}")
    job = w.api.wait(reply.inner["jobid"])
    expect(job["jobstatus"] == 1 and job["jobresult"] == {"success": True}, f"job {job}")
    found = w.api.call("listNics", virtualmachineid=w.vm["id"], nicid=w.nic["id"])["nic"][0]
    expect(w.secondary["id"] not in [s["id"] for s in found.get("secondaryip", [])], "still listed")
    w.secondary = {}


def _nulls(value: Any, path: str = "") -> list[str]:
    if value is None:
        return [path or "(body)"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nulls(v, f"{path}[{i}]")]
    return []


@check("every answer so far: one top-level key, no null anywhere (section 3)")
def _no_nulls(w: World) -> None:
    for body in w.api.seen:
        expect(isinstance(body, dict) and len(body) == 1, f"body {str(body)[:200]}")
        expect(not _nulls(body), f"null at {_nulls(body)[:3]}")


def discover(api: Api) -> World:
    """A running VM whose default NIC is on an isolated network, to add and remove an address on."""
    for vm in api.call("listVirtualMachines", listall="true").get("virtualmachine", []):
        nics = [n for n in vm.get("nic", []) if n.get("type") == "Isolated" and n.get("isdefault")]
        if vm.get("state") == "Running" and nics:
            return World(api, vm, nics[0])
    raise AssertionError("the server has no running VM on an isolated network to check with")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wire_check", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the API endpoint, e.g. http://127.0.0.1:8080/client/api")
    parser.add_argument("--api-key", required=True, help="the root admin's API key")
    parser.add_argument("--secret-key", required=True, help="the root admin's secret key")
    args = parser.parse_args(argv)
    try:
        world = discover(Api(args.url, args.api_key, args.secret_key))
    except (AssertionError, OSError) as exc:
        print(f"FAIL finding a VM to check with: {exc}")
        print("0 passed, 1 failed")
        return 1
    passed = failed = 0
    for name, fn in CHECKS:
        try:
            fn(world)
        except (AssertionError, KeyError, TypeError) as exc:
            failed += 1
            print(f"FAIL {name}: {type(exc).__name__}: {exc}")
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
