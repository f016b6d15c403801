"""A webhook that answers a byte at a time is a timed-out delivery after ``timeout_s`` in all, not
after minutes (urllib's timeout is per read: each trickled byte restarted it)."""

from __future__ import annotations

import socket
import threading
import time

from policies.notify import post_webhook


def _trickler() -> tuple[socket.socket, list[bytes]]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    got: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        request = b""
        def complete(data: bytes) -> bool:  # the headers, then Content-Length bytes of body
            head, _, body = data.partition(b"\r\n\r\n")
            length = [int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")]
            return bool(_) and bool(length) and len(body) >= length[0]

        while not complete(request):
            chunk = conn.recv(65536)
            if not chunk:
                break
            request += chunk
        got.append(request)
        try:
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":
                conn.send(bytes([byte]))
                time.sleep(0.3)  # under the 1 s per-read timeout, every time
        except OSError:
            pass
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return server, got


def test_a_trickling_webhook_times_out_at_the_deadline():
    server, got = _trickler()
    try:
        started = time.perf_counter()
        error = post_webhook(f"http://127.0.0.1:{server.getsockname()[1]}/hook", "Assay: FAIL x", timeout_s=1.0)
        took = time.perf_counter() - started
    finally:
        server.close()
    assert error == "timed out after 1s"
    assert took < 2.0  # the answer would take ~13 s byte by byte
    assert got and b'"text": "Assay: FAIL x"' in got[0]  # it was sent (and is logged as not delivered)
