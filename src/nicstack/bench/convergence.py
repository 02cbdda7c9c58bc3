"""Convergence: how long after a job finishes the host agent has applied it, and full against incremental applies.

Part one runs a real `nicstack serve` and a real `nicstack agent host` (default settings) in a network
namespace, and makes 200 changes (addIpToNic and removeIpFromNic in turn on a security-group VM).
For each, the client polls the job every 2 ms; the agent's own log stamps the moment it finished
applying the generation the change published. Both clocks are this machine's wall clock.

Part two applies, with the agent's host applier and the real tools in a namespace, the whole
documents of a host with 1,000 VMs x 4 addresses, and then the change set of one address (added,
then removed), and reports the ratio. Both need root and the tools; without them the section
says so instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from nicstack.agent.appliers import HostApplier, Update
from nicstack.agent.shell import Shell
from nicstack.bench.client import BenchError, Client, ServerProcess
from nicstack.bench.progress import Progress
from nicstack.bench.stats import median, percentile
from nicstack.bench.table import num, render, verdict
from nicstack.domain.kinds import Hypervisor
from nicstack.render.host_changes import changes
from nicstack.render.host_state import HostState, NicOnHost, SecurityGroup, VmOnHost
from nicstack.render.security_groups import render_host

TOOLS = ("ip", "sysctl", "ipset", "iptables-restore", "ip6tables-restore", "ebtables-restore")
TARGET_P99_MS = 250.0
TARGET_RATIO = 50.0


@dataclass
class ConvergenceResult:
    skipped: str = ""
    changes: int = 0
    after_job_ms: list[float] = field(default_factory=list)
    after_request_ms: list[float] = field(default_factory=list)
    applied_before_job_seen: int = 0
    vms: int = 0
    addresses: int = 0
    full_s: list[float] = field(default_factory=list)
    incremental_ms: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return median(self.full_s) * 1000 / median(self.incremental_ms) if self.incremental_ms else float("nan")

    def p(self, samples: list[float], share: float) -> float:
        return percentile(samples, share) if samples else float("nan")


def run(workdir: Path, quick: bool) -> ConvergenceResult:
    if os.geteuid() != 0:
        return ConvergenceResult(skipped="needs root (network namespaces, iptables)")
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        return ConvergenceResult(skipped=f"missing tool(s): {', '.join(missing)}")
    result = ConvergenceResult()
    _agent_latency(workdir, 40 if quick else 200, result)
    _apply_cost(200 if quick else 1000, result)
    return result


class _Namespace:
    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> str:
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        return self.name

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["ip", "netns", "delete", self.name], check=False)


def _agent_latency(workdir: Path, count: int, result: ConvergenceResult) -> None:
    server = ServerProcess(workdir, workdir / "bench.db")
    server.start()
    admin = Client(server.keys)
    try:
        host, nic = _security_group_vm(admin)
        keys = admin.call("createAgent", hostid=host)["agent"]
        with _Namespace(f"nsbench-{os.getpid()}") as ns:
            log = workdir / "agent.log"
            env = {**os.environ, "NICSTACK_URL": server.keys.url, "NICSTACK_API_KEY": keys["apikey"],
                   "NICSTACK_SECRET_KEY": keys["secretkey"]}
            with log.open("wb") as out:
                agent = subprocess.Popen([sys.executable, "-m", "nicstack.cli", "--log-level", "info", "agent",
                                          "host", "--host", host, "--netns", ns], env=env, stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            try:
                _wait_applied(admin, host, _Log(log), time.time(), agent)
                _measure_changes(admin, host, nic, _Log(log), count, result, agent)
            finally:
                agent.terminate()
                agent.wait(15)
    finally:
        admin.close()
        server.stop()


def _security_group_vm(admin: Client) -> tuple[str, str]:
    """A security-group zone with one KVM host and one running VM; returns (host id, the VM's NIC id)."""
    zone = admin.call("createZone", name="bench-sg", networktype="Advanced", dns1="8.8.8.8", internaldns1="10.0.0.2",
                      securitygroupenabled=True)["zone"]
    pod = admin.call("createPod", zoneid=zone["id"], name="bench-pod", gateway="192.168.0.1",
                     netmask="255.255.255.0")["pod"]
    host = admin.call("addHost", zoneid=zone["id"], podid=pod["id"], hypervisor="KVM", url="http://192.168.0.21",
                      username="root", password="password")["host"][0]["id"]
    offering = next(o["id"] for o in admin.items("listNetworkOfferings", "networkoffering")
                    if o["name"] == "DefaultSharedNetworkOfferingWithSGService")
    network = admin.call("createNetwork", name="bench-shared", displaytext="bench", zoneid=zone["id"],
                         networkofferingid=offering, gateway="10.80.0.1", netmask="255.255.0.0",
                         startip="10.80.0.10", endip="10.80.255.250")["network"]
    service = admin.items("listServiceOfferings", "serviceoffering")[0]["id"]
    template = admin.items("listTemplates", "template", templatefilter="featured")[0]["id"]
    vm = admin.run("deployVirtualMachine", zoneid=zone["id"], serviceofferingid=service, templateid=template,
                   networkids=network["id"], hostid=host)["virtualmachine"]
    return host, vm["nic"][0]["id"]


class _Log:
    """The agent's JSON log: when did it finish applying generation G or a later one?"""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.applied: list[tuple[int, float]] = []

    def applied_at(self, generation: int) -> float | None:
        with self.path.open("rb") as log:
            log.seek(self.offset)
            data = log.read()
        complete = data[: data.rfind(b"\n") + 1]
        self.offset += len(complete)
        for line in complete.decode(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            words = str(entry.get("message", "")).split()
            if words[:2] == ["applied", "generation"]:
                self.applied.append((int(words[2]), datetime.fromisoformat(entry["time"]).timestamp()))
        return next((at for g, at in self.applied if g >= generation), None)


def _published(admin: Client, host: str) -> int:
    return int(admin.items("listHosts", "host", id=host)[0]["publishedgeneration"])


def _wait_applied(admin: Client, host: str, log: _Log, since: float, agent: subprocess.Popen[bytes],
                  timeout: float = 60) -> float:
    generation = _published(admin, host)
    deadline = time.monotonic() + timeout
    while (at := log.applied_at(generation)) is None or at < since - 1:
        if agent.poll() is not None or time.monotonic() > deadline:
            raise BenchError(f"the host agent did not apply generation {generation}: {log.path.read_text()[-800:]}")
        time.sleep(0.005)
    return at


def _measure_changes(admin: Client, host: str, nic: str, log: _Log, count: int, result: ConvergenceResult,
                     agent: subprocess.Popen[bytes]) -> None:
    held: str | None = None
    with Progress("convergence: job done -> host agent applied", count) as bar:
        for _ in range(count):
            requested = time.time()
            if held is None:
                job = admin.call("addIpToNic", nicid=nic)
                held = job["id"]
            else:
                job = admin.call("removeIpFromNic", id=held)
                held = None
            while admin.call("queryAsyncJobResult", jobid=job["jobid"]).get("jobstatus") == 0:
                time.sleep(0.002)
            done = time.time()
            applied = _wait_applied(admin, host, log, requested, agent)
            result.after_job_ms.append(max(0.0, applied - done) * 1000)
            result.after_request_ms.append((applied - requested) * 1000)
            result.applied_before_job_seen += applied < done
            result.changes += 1
            bar.advance()


def _host_state(vms: int, extra: IPv4Address | None = None) -> HostState:
    """`vms` VMs in one group, each with one NIC holding 4 IPv4 addresses (primary and 3 secondaries)."""
    made = []
    for i in range(vms):
        addresses = {IPv4Address((10 << 24) + (1 << 16) + i * 4 + k + 1) for k in range(4)}
        if extra is not None and i == 0:
            addresses.add(extra)
        mac = f"1e:00:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}:01"
        nic = NicOnHost(f"bench-nic-{i:05d}", 0, mac, f"vnet{i}", frozenset(addresses))
        made.append(VmOnHost(f"bench-vm-{i:05d}", f"i-2-{i}-VM", ("bench-group",), (nic,)))
    return HostState(tuple(made), (SecurityGroup("bench-group", "default", ()),), ())


def _apply_cost(vms: int, result: ConvergenceResult) -> None:
    base, grown = _host_state(vms), _host_state(vms, IPv4Address("10.255.0.1"))
    documents = dict(render_host(Hypervisor.KVM, base).items())
    steps = (changes(base, grown), changes(grown, base))
    result.vms, result.addresses = vms, vms * 4
    with _Namespace(f"nsbench-apply-{os.getpid()}") as ns, Progress("convergence: full vs incremental", 23) as bar:
        applier = HostApplier(Shell(ns))
        for generation in (1, 2, 3):
            began = time.perf_counter()
            applier.apply(Update(generation, "", documents))
            result.full_s.append(time.perf_counter() - began)
            bar.advance()
        for i in range(20):
            step = steps[i % 2]
            batch = {"ipset": step.ipset_batch(), "ebtables": step.ebtables_batch()}
            began = time.perf_counter()
            applier.apply(Update(4 + i, "", changes=batch, since=3 + i))
            result.incremental_ms.append((time.perf_counter() - began) * 1000)
            bar.advance()


def summary(result: ConvergenceResult) -> dict[str, Any]:
    """The figures the table prints."""
    return {"p50": result.p(result.after_job_ms, 0.5), "p99": result.p(result.after_job_ms, 0.99),
            "request_p50": result.p(result.after_request_ms, 0.5),
            "request_p99": result.p(result.after_request_ms, 0.99)}


def convergence_table(r: ConvergenceResult) -> str:
    if r.skipped:
        return f"Convergence: skipped, {r.skipped}"
    s = summary(r)
    rows = [
        ["job done -> agent applied", num(s["p50"]), num(s["p99"]), num(max(r.after_job_ms, default=float("nan")))],
        ["request sent -> agent applied", num(s["request_p50"]), num(s["request_p99"]),
         num(max(r.after_request_ms, default=float("nan")))],
    ]
    applies = [
        [f"whole documents, {r.vms:,} VMs x 4 addresses", num(median(r.full_s) * 1000), "1.00x"],
        ["change set of one address", num(median(r.incremental_ms), 2), f"{num(1 / r.ratio, 4)}x"],
    ]
    return "\n".join([
        f"Convergence: nicstack serve and nicstack agent host (default settings) in a network namespace, "
        f"{r.changes} changes (addIpToNic / removeIpFromNic in turn)",
        render(["latency", "p50 ms", "p99 ms", "max ms"], rows),
        f"the agent had applied before the client saw the job finish (counted as 0 ms): "
        f"{r.applied_before_job_seen} of {r.changes}",
        f"target p99 < {num(TARGET_P99_MS, 0)} ms: measured {num(s['p99'])} ms -> {verdict(s['p99'] < TARGET_P99_MS)}",
        "",
        "Apply cost with the host agent's applier and the real tools (median of 3 whole, 20 incremental)",
        render(["apply", "ms", "x whole"], applies),
        f"target incremental >= {num(TARGET_RATIO, 0)}x cheaper: measured {num(r.ratio, 1)}x -> "
        f"{verdict(r.ratio >= TARGET_RATIO)}",
    ])
