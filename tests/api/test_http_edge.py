"""The HTTP edge: limits on heads, bodies, time and connections, and every refusal in the envelope.

Requests here are written by hand over sockets: no well-behaved client sends them, and an
attacker is not a well-behaved client.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from nicstack.api.edge import EdgeLimits
from nicstack.api.signature import signed_query
from nicstack.db.database import Database
from nicstack.server import prepare, running
from tests.conftest import Cloud
from tests.support.process import serving
from tests.support.raw_http import RawAnswer, closed_by_server, connect, exchange, port_of, read_answer

pytestmark = pytest.mark.api

# Small limits, so that each is reached in a fraction of a second.
SMALL = EdgeLimits(header_timeout=1.0, keepalive_timeout=1.0, body_timeout=1.0, max_body_bytes=4096,
                   max_head_bytes=2048, max_connections=8)


@pytest.fixture(scope="module")
def prepared_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    prepared = prepare(f"sqlite:///{tmp_path_factory.mktemp('edge')}/edge.db")
    yield prepared.db
    prepared.db.dispose()


@pytest.fixture(scope="module")
def small(prepared_db: Database) -> Iterator[int]:
    """The port of a server with SMALL limits."""
    with running(prepared_db, limits=SMALL) as url:
        yield port_of(url)


def get(path: str, *headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode()


def refused(answer: RawAnswer, status: int, *words: str) -> dict[str, object]:
    assert answer.status == status, (answer.status, answer.body[:300])
    inner = answer.error()
    for word in words:
        assert word in str(inner["errortext"]), inner
    return inner


# -- refusals a parser makes, in CloudStack's envelope --------------------------------------


def test_a_request_line_longer_than_the_parser_takes_gets_414_in_the_envelope_not_plain_text(cloud: Cloud) -> None:
    # 70,000 characters: uvicorn answered text/plain 400 beyond 65,323.
    answer = exchange(port_of(cloud.url), get("/client/api?command=listZones&x=" + "a" * 70_000))
    refused(answer, 414, "Request line longer than the limit of 32768 bytes")


def test_a_request_line_over_the_limit_gets_414(small: int) -> None:
    refused(exchange(small, get("/client/api?command=listZones&x=" + "a" * 3000)), 414, "2048 bytes")


def test_raw_non_ascii_bytes_in_a_query_get_400_in_the_envelope(cloud: Cloud) -> None:
    raw = b"GET /client/api?command=listZones&name=\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n"
    answer = exchange(port_of(cloud.url), raw)
    refused(answer, 400, "Malformed HTTP request", "percent-encoded")


def test_bytes_that_are_not_http_get_400_or_405_in_the_envelope(cloud: Cloud) -> None:
    for garbage in (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n", b"GET\r\n\r\n", b"\x00\x00\x00\r\n\r\n"):
        answer = exchange(port_of(cloud.url), garbage)
        assert answer.status in (400, 405), (garbage, answer.status, answer.body)
        answer.error()


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_a_method_other_than_get_or_post_gets_405_in_the_envelope_with_allow(cloud: Cloud, method: str) -> None:
    answer = exchange(port_of(cloud.url), f"{method} /client/api HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    refused(answer, 405, method, "GET or POST")
    assert answer.headers["allow"] == "GET, POST"


def test_an_unknown_method_gets_405_in_the_envelope(cloud: Cloud) -> None:
    refused(exchange(port_of(cloud.url), b"BREW /client/api HTTP/1.1\r\nHost: x\r\n\r\n"), 405, "GET or POST")


@pytest.mark.parametrize("path", ["/client/api/listZones", "/client/api/../api", "/client/api//"])
def test_an_unknown_path_under_client_api_gets_404_in_the_envelope(cloud: Cloud, path: str) -> None:
    refused(exchange(port_of(cloud.url), get(path + "?command=listZones")), 404, "/client/api")


def test_headers_over_the_limit_get_431(small: int) -> None:
    refused(exchange(small, get("/client/api", "X-Big: " + "b" * 3000)), 431, "2048 bytes")
    many = [f"X-{n}: {'v' * 40}" for n in range(60)]
    refused(exchange(small, get("/client/api", *many)), 431, "Request headers")


def test_a_header_that_never_ends_is_cut_off_before_it_fills_memory(small: int) -> None:
    with connect(small) as sock:
        sock.sendall(b"GET /client/api HTTP/1.1\r\nHost: x\r\nX-Endless: ")
        sent, cut_off = 0, False
        try:
            while sent < 32 * 1024 * 1024:
                sock.sendall(b"v" * 16384)
                sent += 16384
        except OSError:
            cut_off = True  # refused and closed while we were still sending
        answer = read_answer(sock)
    refused(answer, 431, "Request headers")
    # What was sent past the 2 KiB limit sat in the kernel's socket buffers, not in the server.
    assert cut_off, f"the server took all of {sent} bytes of one header"


# -- bodies ------------------------------------------------------------------------------------


def post(path: str, body: bytes, *headers: str, length: int | None = None) -> bytes:
    size = len(body) if length is None else length
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/x-www-form-urlencoded",
             f"Content-Length: {size}", *headers, "", ""]
    return "\r\n".join(lines).encode() + body


def test_a_validly_signed_request_over_the_body_limit_gets_413_naming_the_limit_not_401(cloud: Cloud) -> None:
    # Over 1 MiB used to be cut silently, so the signature no longer matched: a misleading 401.
    query = signed_query(cloud.admin.api_key, cloud.admin.secret_key, "listZones",
                         {"keyword": "z" * (1 << 20)}, valid_for=300)
    response = requests.post(cloud.url, data=query, timeout=60,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413, response.text[:300]
    inner = response.json()["errorresponse"]
    assert inner["errorcode"] == 413
    assert "at most 1048576 bytes" in inner["errortext"]


def test_a_declared_body_over_the_limit_gets_413_at_once_and_the_connection_closes(small: int) -> None:
    with connect(small) as sock:
        sock.sendall(post("/client/api", b"", length=10 * 1024 * 1024))
        answer = read_answer(sock)
        refused(answer, 413, "Request body of 10485760 bytes", "at most 4096 bytes")
        assert closed_by_server(sock, within=2)


def test_a_chunked_body_over_the_limit_gets_413(small: int) -> None:
    head = (b"POST /client/api HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"a" * 1000
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(6)) + b"0\r\n\r\n"
    refused(exchange(small, head + chunks), 413, "at most 4096 bytes")


def test_a_body_that_stops_arriving_gets_408_after_the_body_timeout(small: int) -> None:
    with connect(small) as sock:
        sock.sendall(post("/client/api", b"command=listZones&", length=1000))
        began = time.monotonic()
        answer = read_answer(sock)
        waited = time.monotonic() - began
        refused(answer, 408, "Request body incomplete after 1 seconds", "18 of 1000 bytes")
        assert closed_by_server(sock, within=2)
    assert 0.8 <= waited < 5


# -- time and connections ---------------------------------------------------------------------


def test_headers_that_stop_arriving_get_408_after_the_header_timeout(small: int) -> None:
    with connect(small) as sock:
        sock.sendall(b"GET /client/api?command=listZones HTTP/1.1\r\nHost: x\r\n")
        began = time.monotonic()
        answer = read_answer(sock)
        waited = time.monotonic() - began
    refused(answer, 408, "Request headers incomplete after 1 seconds")
    assert 0.8 <= waited < 5


def test_a_head_sent_one_byte_at_a_time_is_cut_at_the_header_timeout_too(small: int) -> None:
    with connect(small) as sock:
        began = time.monotonic()
        for byte in b"GET /client/api?command=listZones HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 100:
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.05)  # each byte well within the keep-alive timeout
            if time.monotonic() - began > 4:
                break
        answer = read_answer(sock)
    refused(answer, 408, "Request headers incomplete")


def test_a_connection_that_says_nothing_is_closed_after_the_keepalive_timeout(small: int) -> None:
    with connect(small) as sock:
        assert closed_by_server(sock, within=3)


def test_a_connection_idle_after_an_answer_is_closed_after_the_keepalive_timeout(small: int) -> None:
    with connect(small) as sock:
        sock.sendall(get("/client/api?command=listCapabilities&response=json"))
        assert read_answer(sock).status == 401
        assert closed_by_server(sock, within=3)


def test_keep_alive_still_serves_many_requests_on_one_connection(small: int) -> None:
    with connect(small) as sock:
        for _ in range(20):
            sock.sendall(get("/client/api?command=listCapabilities&response=json"))
            assert read_answer(sock).status == 401


def test_at_the_connection_limit_the_longest_idle_connection_gives_way_to_a_newcomer(prepared_db: Database) -> None:
    limits = EdgeLimits(header_timeout=30, keepalive_timeout=30, max_connections=8)
    with running(prepared_db, limits=limits) as url, ExitStack() as stack:
        idle = [stack.enter_context(connect(port_of(url))) for _ in range(20)]
        time.sleep(0.2)
        # A normal request still gets its answer, and the oldest idle connections were closed.
        answer = exchange(port_of(url), get("/client/api?command=listCapabilities&response=json"))
        assert answer.status == 401
        assert closed_by_server(idle[0], within=2)
        assert not closed_by_server(idle[-1], within=0.2)


def test_when_every_connection_is_busy_a_newcomer_gets_503_in_the_envelope(prepared_db: Database) -> None:
    limits = EdgeLimits(header_timeout=30, keepalive_timeout=30, body_timeout=2, max_connections=4)
    with running(prepared_db, limits=limits) as url, ExitStack() as stack:
        busy = [stack.enter_context(connect(port_of(url))) for _ in range(4)]
        for sock in busy:  # each waits for a body that does not come: a request in progress
            sock.sendall(post("/client/api", b"", length=100))
        time.sleep(0.2)
        answer = exchange(port_of(url), get("/client/api?command=listCapabilities&response=json"))
        refused(answer, 503, "limit of 4 connections")
        assert answer.headers["retry-after"] == "1"
        # Once the body timeout frees them, newcomers are served again.
        for sock in busy:
            assert read_answer(sock).status == 408
        assert exchange(port_of(url), get("/client/api?command=listCapabilities&response=json")).status == 401


def test_with_256_descriptors_300_idle_connections_do_not_lock_out_a_normal_request(tmp_path: Path) -> None:
    # The case: the descriptor limit used to be the only bound, and at it accept() failed.
    with serving(tmp_path, max_descriptors=256) as served, ExitStack() as stack:
        port = port_of(served.url)
        idle: list[socket.socket] = []
        for _ in range(300):
            try:
                idle.append(stack.enter_context(connect(port, timeout=5)))
            except OSError:
                break
        assert len(idle) == 300
        time.sleep(0.3)
        assert served.admin.call("listCapabilities")["capability"]["cloudstackversion"]
        assert "Too many open files" not in served.output()


# -- the parameters' bytes -----------------------------------------------------------------------


@pytest.mark.parametrize("encoded", ["%ff", "%fe", "%80"])
def test_invalid_utf8_is_refused_with_431_whatever_the_signature_says(cloud: Cloud, encoded: str) -> None:
    # Read as U+FFFD, one signature used to be accepted for %ff, %fe and %80 alike.
    admin = cloud.admin
    query = signed_query(admin.api_key, admin.secret_key, "listZones", {"keyword": "\ufffd"}, valid_for=300)
    tampered = query.replace(quote("\ufffd"), encoded)
    assert tampered != query
    for response in (requests.get(f"{cloud.url}?{tampered}", timeout=30),
                     requests.post(cloud.url, data=tampered, timeout=30,
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})):
        assert response.status_code == 431, response.text
        inner = response.json()["listzonesresponse"]
        assert inner["errorcode"] == 431 and inner["cserrorcode"] == 4350
        assert inner["errortext"] == "Invalid value for parameter keyword: its bytes are not valid UTF-8"


def test_valid_utf8_keeps_working(cloud: Cloud) -> None:
    assert cloud.admin.call("listZones", keyword="ünïcødé-数据") == {}
