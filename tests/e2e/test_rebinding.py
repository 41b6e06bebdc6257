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
    to 127.0.0.1, as a rebound name's does), claiming to be at http://localhost, then open its
    "Save and restore" tab (which runs only when open, and says where progress is kept); its info texts."""
    async with connect(f"ws://{host}/_stcore/stream", origin=f"http://{host}", host="127.0.0.1", port=port,
                       max_size=None, subprotocols=["streamlit", "PLACEHOLDER_AUTH_TOKEN"]) as ws:
        state = ClientState(query_string="lang=en", page_name="review")
        state.context_info.url = f"http://localhost:{port}/review?lang=en"  # what the page claims

        async def run() -> tuple[list[str], str | None]:
            msg = BackMsg()
            msg.rerun_script.CopyFrom(state)
            await ws.send(msg.SerializeToString())
            notices, tabs = [], None
            async with asyncio.timeout(60):
                while (fm := ForwardMsg.FromString(await ws.recv())).WhichOneof("type") != "script_finished":
                    if fm.WhichOneof("type") != "delta":
                        continue
                    if fm.delta.WhichOneof("type") == "add_block" and fm.delta.add_block.HasField("tab_container"):
                        tabs = fm.delta.add_block.tab_container.id
                    elif fm.delta.WhichOneof("type") == "new_element":
                        element = fm.delta.new_element
                        if element.WhichOneof("type") == "alert":
                            notices.append(element.alert.body)
            return notices, tabs

        notices, tabs = await run()
        assert tabs, "the review page has its tabs"
        tab = state.widget_states.widgets.add()
        tab.id, tab.string_value = tabs, EN["rv.tab_backup"]  # a click on the tab, as the browser sends it
        opened, _ = await run()
        return notices + opened


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
    assert EN[f"rv.mode_{mode}"] in notices, notices  # the backup tab says where progress is kept
    # and before the learner starts, a tab-only session says that a reload loses its progress
    assert (EN["rv.tab_only"].format(backup=EN["rv.tab_backup"]) in notices) == (mode == "session"), notices
