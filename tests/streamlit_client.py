"""A minimal Streamlit websocket client: real app sessions without a browser, for load tests."""

from __future__ import annotations

import time
from dataclasses import dataclass

import websocket
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


@dataclass
class RunResult:
    """One script run as the server reported it."""

    seconds: float
    page: str
    exceptions: int
    finished: bool


class StreamlitSession:
    """One browser-less session over `/_stcore/stream`, speaking Streamlit's protobuf protocol."""

    def __init__(self, base_url: str, timeout: float = 60) -> None:
        ws_url = base_url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.ws = websocket.create_connection(ws_url, subprotocols=["streamlit"], timeout=timeout)
        self.pages: dict[str, str] = {}  # page_script_hash -> url path
        self.titles: dict[str, str] = {}  # url path -> title shown in the navigation

    def run(self, page: str, query_string: str = "") -> RunResult:
        """Run `page` (its url path, "" for home) with `query_string`; wait until the script finishes."""
        msg = BackMsg()
        msg.rerun_script.query_string = query_string
        msg.rerun_script.page_name = page
        start = time.perf_counter()
        self.ws.send_binary(msg.SerializeToString())
        ran, exceptions = "?", 0
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(self.ws.recv())
            kind = fm.WhichOneof("type")
            if kind == "navigation":
                self.titles = {}
                for app_page in fm.navigation.app_pages:
                    self.pages[app_page.page_script_hash] = app_page.url_pathname
                    self.titles[app_page.url_pathname] = app_page.page_name
                ran = self.pages.get(fm.navigation.page_script_hash, "?")
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                if fm.delta.new_element.WhichOneof("type") == "exception":
                    exceptions += 1
            elif kind == "script_finished":
                if fm.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the page called st.rerun() (e.g. to tidy its URL): wait for that run too
                finished = fm.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
                return RunResult(time.perf_counter() - start, ran, exceptions, finished)

    def close(self) -> None:
        self.ws.close()
