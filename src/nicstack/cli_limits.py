"""`nicstack serve`'s options for the limits of the HTTP edge (README, "Security")."""

from __future__ import annotations

import argparse

from nicstack.api.edge import RESERVED_DESCRIPTORS, EdgeLimits
from nicstack.cli_values import positive


def add_limits(serve: argparse.ArgumentParser) -> None:
    """What one client may hold of the server; each refusal is a CloudStack error envelope."""
    d = EdgeLimits()
    edge = serve.add_argument_group("limits of the HTTP edge (each refusal is a CloudStack error envelope)")
    edge.add_argument("--header-timeout", type=positive(float), default=d.header_timeout, metavar="SECONDS",
                      help="drop a request whose headers are not complete this long after its first byte, "
                      "answering 408 (default: %(default)s)")
    edge.add_argument("--keepalive-timeout", type=positive(float), default=d.keepalive_timeout, metavar="SECONDS",
                      help="close a connection idle this long between requests (default: %(default)s)")
    edge.add_argument("--body-timeout", type=positive(float), default=d.body_timeout, metavar="SECONDS",
                      help="answer 408 to a request whose body has not fully arrived this long after its headers "
                      "(default: %(default)s)")
    edge.add_argument("--max-body-bytes", type=positive(int), default=d.max_body_bytes, metavar="BYTES",
                      help="answer 413 to a larger request body (default: %(default)s, 1 MiB)")
    edge.add_argument("--max-head-bytes", type=positive(int), default=d.max_head_bytes, metavar="BYTES",
                      help="answer 414 to a longer request line and 431 to longer headers (default: %(default)s; "
                      "the HTTP parser refuses request lines over 64 KiB whatever this says)")
    edge.add_argument("--max-connections", type=positive(int), default=d.max_connections, metavar="N",
                      help="connections held at once; at the limit the one waiting longest on its client is closed, "
                      "or the newcomer gets 503 when none waits (default: %(default)s, and always below the "
                      f"process's file descriptor limit minus {RESERVED_DESCRIPTORS})")


def limits_of(args: argparse.Namespace) -> EdgeLimits:
    return EdgeLimits(
        header_timeout=args.header_timeout, keepalive_timeout=args.keepalive_timeout, body_timeout=args.body_timeout,
        max_body_bytes=args.max_body_bytes, max_head_bytes=args.max_head_bytes, max_connections=args.max_connections,
    )
