"""Header sign-in on a real dashboard server (issue 19): what a client can send to the Streamlit port.

The client is a plain websocket on loopback, as in the audit: uvicorn replaces a loopback peer with
the X-Forwarded-For value, so the spoof arrives looking like the trusted proxy's own address.
"""

from __future__ import annotations

import time

import pytest

from tests.dashboard._server import one_user_server

SECRET = "proxy-secret-0123456789"
ENV = {"ASSAY_AUTH_HEADER": "X-Forwarded-User", "ASSAY_TRUSTED_PROXIES": "10.9.9.9", "ASSAY_PROXY_SECRET": SECRET}

pytestmark = pytest.mark.slow


def page_text(base: str, headers: dict[str, str], seconds: float = 60) -> str:
    """Open the app's websocket with ``headers``, run the script once, return every ForwardMsg's bytes as text."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    url = base.replace("http://", "ws://") + "/_stcore/stream"
    seen: list[bytes] = []
    with connect(url, additional_headers=headers, subprotocols=["streamlit"], open_timeout=30) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = ""
        ws.send(msg.SerializeToString())
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            raw = ws.recv(timeout=deadline - time.monotonic())
            seen.append(raw)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            if fwd.WhichOneof("type") == "script_finished":
                break
    return b"\n".join(seen).decode("utf-8", "replace")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with one_user_server(tmp_path_factory.mktemp("proxy"), "ada", "admin", "ada-password-1", env=ENV) as base:
        yield base


def test_a_forwarded_for_spoof_from_loopback_is_refused(server):
    text = page_text(server, {"X-Forwarded-For": "10.9.9.9", "X-Forwarded-User": "ada"})
    assert "Sign-in refused" in text and "X-Forwarded-For" in text
    assert "Signed in as" not in text
    text = page_text(server, {"X-Forwarded-User": "ada"})   # no forwarded header: the true peer, loopback
    assert "Sign-in refused" in text and "comes from loopback" in text and "Signed in as" not in text


def test_a_wrong_secret_is_refused_and_the_right_one_signs_in(server):
    text = page_text(server, {"X-Assay-Proxy-Secret": "proxy-secret-guess-000", "X-Forwarded-User": "ada"})
    assert "Sign-in refused" in text and "Signed in as" not in text
    text = page_text(server, {"X-Assay-Proxy-Secret": SECRET, "X-Forwarded-User": "ada",
                              "X-Forwarded-For": "198.51.100.7"})   # a loopback proxy that forwards addresses
    assert "Signed in as **ada** (admin)" in text and "Sign-in refused" not in text
