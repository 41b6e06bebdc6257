"""Local storage in a real server: decided from the Host header the server received and the peer,
not from the address the page reports. A DNS-rebinding page (its own name resolving to 127.0.0.1)
connects from this machine and claims a localhost URL, but its browser sends its own name as the
Host: it gets session storage. Streamlit's websocket protocol, as bench/load_test.py speaks it."""

from __future__ import annotations

import asyncio

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

from scripts.appserver import running_app
from ui.i18n import catalog

EN = catalog("en")


async def review_notices(port: int, host: str) -> list[str]:
    """Open the review page over a websocket whose request says `Host: host` (the socket itself goes
    to 127.0.0.1, as a rebound name's does), claiming to be at http://localhost; its info texts."""
    async with connect(f"ws://{host}/_stcore/stream", origin=f"http://{host}", host="127.0.0.1", port=port,
                       max_size=None, subprotocols=["streamlit", "PLACEHOLDER_AUTH_TOKEN"]) as ws:
        state = ClientState(query_string="lang=en", page_name="review")
        state.context_info.url = f"http://localhost:{port}/review?lang=en"  # what the page claims
        msg = BackMsg()
        msg.rerun_script.CopyFrom(state)
        await ws.send(msg.SerializeToString())
        notices = []
        async with asyncio.timeout(60):
            while (fm := ForwardMsg.FromString(await ws.recv())).WhichOneof("type") != "script_finished":
                if fm.WhichOneof("type") == "delta" and fm.delta.WhichOneof("type") == "new_element":
                    element = fm.delta.new_element
                    if element.WhichOneof("type") == "alert":
                        notices.append(element.alert.body)
        return notices


@pytest.fixture(scope="module")
def detecting_server():
    with running_app(env={"SEQDASH_STORAGE": ""}) as app:  # no setting: the app decides
        yield app


@pytest.mark.parametrize(("host", "mode"), [
    ("127.0.0.1", "local"), ("localhost", "local"),
    ("rebind.evil.example", "session"), ("localhost.evil.example", "session"),
])
def test_only_a_loopback_host_header_from_this_machine_gets_local_storage(detecting_server, host, mode):
    port = int(detecting_server.url.rsplit(":", 1)[1])
    notices = asyncio.run(review_notices(port, f"{host}:{port}"))
    # Before the learner starts, a tab-only session says that a reload loses its progress; the
    # local file needs no such warning (where it is kept is said in the backup tab).
    assert (EN["rv.tab_only"] in notices) == (mode == "session"), notices
