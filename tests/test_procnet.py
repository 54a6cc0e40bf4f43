from __future__ import annotations

import socket

from codegraph_harness.measuring import procnet


def test_counts_only_established_connections_of_given_sockets() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]
    before = procnet.established_to(port, procnet.socket_inodes())
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    try:
        assert procnet.established_to(port, procnet.socket_inodes()) == before + 1
        assert procnet.established_to(port, set()) == 0
    finally:
        client.close()
        accepted.close()
        server.close()
