"""The data-plane agents: the only code that touches a kernel's tables.

`nicstack agent router` and `nicstack agent host` fetch their target's published documents by long
poll (`client`), apply them atomically behind the `Applier` interface (`appliers`: netfilter tables
with `--noflush`, ipset swaps, haproxy through its master, interface addresses), and report the
generation and digest they applied, their last error and a heartbeat (`loop`).
"""
