"""Run the API server: migrate, seed, start the job worker, serve with uvicorn."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta

import uvicorn

from nicstack.api.app import create_app
from nicstack.api.edge import EdgeLimits
from nicstack.api.edge_protocol import protocol_class
from nicstack.api.runtime import Runtime
from nicstack.db.database import Database
from nicstack.db.migrate import upgrade
from nicstack.db.seed import AdminKeys, bootstrap_admin, seed_defaults
from nicstack.db.uow import SqlUnitOfWork
from nicstack.jobs.worker import QueueSettings
from nicstack.services import admin_keys
from nicstack.services.admin_keys import Applied


@dataclass(frozen=True, slots=True)
class Prepared:
    db: Database
    admin: AdminKeys | None
    # On a later start: the NICSTACK_ADMIN_* values that replaced stored ones, or were refused.
    environment: Applied = field(default_factory=Applied)


def prepare(url: str) -> Prepared:
    """Bring the schema to head, seed defaults, and bootstrap the root admin on first start; on a
    later start, apply the admin credentials the environment gives (see admin_keys)."""
    upgrade(url)
    db = Database(url)
    with SqlUnitOfWork(db) as uow:
        seed_defaults(uow)
        admin = bootstrap_admin(uow)
    if admin is not None:
        return Prepared(db, admin)
    return Prepared(db, None, admin_keys.apply_environment(SqlUnitOfWork(db), os.environ))


def queue_settings() -> QueueSettings:
    """The job queue's lease and poll interval, from NICSTACK_JOB_LEASE_SECONDS / NICSTACK_JOB_POLL_SECONDS.

    A server that dies holds its claimed jobs until their lease expires; a shorter lease hands
    them to the other servers sooner, at the cost of renewing it more often.
    """
    defaults = QueueSettings()
    lease = float(os.environ.get("NICSTACK_JOB_LEASE_SECONDS", defaults.lease.total_seconds()))
    poll = float(os.environ.get("NICSTACK_JOB_POLL_SECONDS", defaults.poll))
    return replace(defaults, lease=timedelta(seconds=lease), poll=poll)


@dataclass(frozen=True, slots=True)
class Edge:
    """How the server meets the network: TLS files, the proxies whose X-Forwarded-For is believed,
    and the limits it holds each client to (api/edge.py)."""

    certfile: str | None = None
    keyfile: str | None = None
    forwarded_allow_ips: str | None = None
    limits: EdgeLimits = field(default_factory=EdgeLimits)


def make_server(db: Database, host: str, port: int, log_level: str = "warning",
                edge: Edge = Edge()) -> tuple[uvicorn.Server, Runtime]:
    # The process id too: a server restarted on the same port is another claimant of the queue.
    name = f"{socket.gethostname()}:{port}/{os.getpid()}"
    runtime = Runtime(db, name, inline=db.is_sqlite, queue=queue_settings())
    config = uvicorn.Config(
        create_app(runtime, edge.limits), host=host, port=port, log_level=log_level, access_log=False,
        lifespan="on", timeout_graceful_shutdown=5,
        # nicstack.logs formats uvicorn's lines too: uvicorn must not install its own handlers.
        log_config=None,
        # Without a proxy in front the peer is the client (the log line and the login throttle use
        # its address), so the X-Forwarded-* middleware would only cost time on every request.
        proxy_headers=edge.forwarded_allow_ips is not None,
        forwarded_allow_ips=edge.forwarded_allow_ips,
        ssl_certfile=edge.certfile, ssl_keyfile=edge.keyfile,
        # The edge's limits live on the protocol (api/edge_protocol.py); the API has no WebSocket.
        http=protocol_class(edge.limits), ws="none",
        timeout_keep_alive=edge.limits.keepalive_timeout,  # type: ignore[arg-type]
    )
    return uvicorn.Server(config), runtime


@contextmanager
def running(db: Database, host: str = "127.0.0.1", port: int = 0, limits: EdgeLimits | None = None) -> Iterator[str]:
    """Serve in a background thread (tests, benchmarks); yields the API URL."""
    if port == 0:
        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
    server, runtime = make_server(db, host, port, edge=Edge(limits=limits or EdgeLimits()))
    runtime.start()
    thread = threading.Thread(target=server.run, name="nicstack-http", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"server failed to start on {host}:{port}")
            thread.join(0.02)
        yield f"http://{host}:{port}/client/api"
    finally:
        server.should_exit = True
        thread.join(10)
        runtime.stop()
        logging.getLogger("nicstack").debug("server on %s:%d stopped", host, port)
