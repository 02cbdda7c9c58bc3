"""The small programs the data-plane tests run inside namespaces, with this interpreter (no nc, socat or ping)."""

from __future__ import annotations

# Tiny TCP peers run with this interpreter inside the namespaces, so the tests need no nc/socat.
ECHO_SERVER = """
import selectors, socket, sys
selector = selectors.DefaultSelector()
for spec in sys.argv[1:]:
    host, port = spec.rsplit(":", 1)
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = socket.create_server((host, int(port)), family=family, reuse_port=False)
    selector.register(server, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in selector.select():
        conn, peer = key.fileobj.accept()
        here = conn.getsockname()
        try:
            conn.sendall(f"{here[0]}:{here[1]} from {peer[0]}".encode())
        except OSError:
            pass
        conn.close()
"""
CONNECT = """
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
source = (sys.argv[2], 0) if len(sys.argv) > 2 else None
try:
    with socket.create_connection((host.strip("[]"), int(port)), timeout=float(sys.argv[3]) if len(sys.argv) > 3
                                  else 1.5, source_address=source) as conn:
        print(conn.recv(200).decode() or "closed")
except TimeoutError:
    print("dropped")
except ConnectionRefusedError:
    print("refused")
except OSError as error:
    print(f"error {error}")
"""

ECHO_STREAM_SERVER = """
import socket, sys, threading
def echo(conn):
    with conn:
        while data := conn.recv(4096):
            conn.sendall(data)
server = socket.create_server((sys.argv[1], int(sys.argv[2])))
print("ready", flush=True)
while True:
    threading.Thread(target=echo, args=(server.accept()[0],), daemon=True).start()
"""
# A backend that takes `delay` seconds per request, one thread per connection: requests stay in flight.
SLOW_SERVER = """
import socket, sys, threading, time
delay = float(sys.argv[1])
def answer(conn, here):
    with conn:
        time.sleep(delay)
        conn.sendall(f"{here[0]}:{here[1]}".encode())
def serve(server):
    while True:
        conn, _ = server.accept()
        threading.Thread(target=answer, args=(conn, server.getsockname()), daemon=True).start()
servers = [socket.create_server((spec.rsplit(":", 1)[0], int(spec.rsplit(":", 1)[1]))) for spec in sys.argv[2:]]
for server in servers[1:]:
    threading.Thread(target=serve, args=(server,), daemon=True).start()
print("ready", flush=True)
serve(servers[0])
"""
# `workers` clients requesting target:port in a loop from `source` until stdin closes; prints the count of
# answered requests and the failures.
LOAD = """
import json, socket, sys, threading
target, port, source, workers = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
answered, failures, stop = [], [], threading.Event()
def work():
    while not stop.is_set():
        try:
            with socket.create_connection((target, port), timeout=5, source_address=(source, 0)) as conn:
                data = b""
                while chunk := conn.recv(200):
                    data += chunk
            (answered if data else failures).append(data.decode() or "empty answer")
        except OSError as error:
            failures.append(str(error))
threads = [threading.Thread(target=work) for _ in range(workers)]
for thread in threads:
    thread.start()
sys.stdin.read()
stop.set()
for thread in threads:
    thread.join()
print(json.dumps({"answered": len(answered), "failures": failures[:10], "failed": len(failures)}))
"""
# For `seconds`: an ICMP echo request every 10 ms, and on one TCP connection a line every 10 ms whose
# echo must come back; prints how many of each were sent and answered.
STREAM = """
import json, os, socket, struct, sys, threading, time
target, port, seconds, ping = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "icmp"
ident = os.getpid() & 0xFFFF
def checksum(data):
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF
icmp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
icmp.settimeout(0.2)
answered = set()
done = threading.Event()
def receive():
    while not done.is_set():
        try:
            packet = icmp.recv(2048)
        except OSError:
            continue
        kind, _, _, who, seq = struct.unpack("!BBHHH", packet[20:28])
        if kind == 0 and who == ident:
            answered.add(seq)
threading.Thread(target=receive, daemon=True).start()
tcp = socket.create_connection((target, port), timeout=2)
sent = echoed = 0
tcp_error = ""
end = time.monotonic() + seconds
while time.monotonic() < end:
    if ping:
        header = struct.pack("!BBHHH", 8, 0, 0, ident, sent)
        icmp.sendto(struct.pack("!BBHHH", 8, 0, checksum(header), ident, sent), (target, 0))
    sent += 1
    if not tcp_error:
        try:
            line = f"{sent:08d}\\n".encode()
            tcp.sendall(line)
            got = b""
            while len(got) < len(line):
                got += tcp.recv(len(line) - len(got))
            echoed += got == line
        except OSError as error:
            tcp_error = str(error)
    time.sleep(0.01)
time.sleep(0.5)
done.set()
print(json.dumps({"sent": sent, "icmp_answered": len(answered), "tcp_echoed": echoed, "tcp_error": tcp_error}))
"""
