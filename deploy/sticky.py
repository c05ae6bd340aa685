"""A browser's session through nginx, checked for stickiness: its page, its websocket and its upload must reach the
same Streamlit replica.

A browser's first request gets two cookies: nginx's route (`atrous_route`, deploy/nginx.conf) and Streamlit's XSRF
token. It then opens the websocket (/_stcore/stream) with them, runs a page, and uploads a file to its session
(PUT /_stcore/upload_file/<session id>/<file id>, multipart, the token in X-Xsrftoken), as st.file_uploader does.
A replica that does not hold the session refuses the upload (HTTP 400, "Invalid session_id"); nginx names the
replica that answered each request in X-Atrous-Replica. Used by tests/test_deploy.py and by
`scripts/load_test.py --url` (a class through nginx).
"""

from __future__ import annotations

import http.cookies
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect
from websockets.typing import Subprotocol

REPLICA_HEADER = "X-Atrous-Replica"
PHOTO = bytes.fromhex(  # a 1×1 PNG: what is uploaded does not matter, where it lands does
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc0000003010100"
    "c9fe92ef0000000049454e44ae426082"
)


@dataclass
class StickySession:
    page: str
    lang: str
    first_paint_s: float | None = None
    finished_s: float | None = None
    exceptions: list[str] = field(default_factory=list)
    failure: str | None = None
    route: str = ""  # nginx's cookie
    session_id: str = ""  # Streamlit's, from the websocket's first message
    cookie: str = ""  # the Cookie header the browser sends (route and XSRF token)
    xsrf: str = ""  # the XSRF token, echoed in X-Xsrftoken on uploads
    page_replica: str = ""  # the replica that answered the first request
    socket_replica: str = ""  # ... the websocket
    upload_replica: str = ""  # ... the upload
    upload_status: int = 0  # 204: the replica held the session

    @property
    def sticky(self) -> bool:
        replicas = {self.page_replica, self.socket_replica, self.upload_replica}
        return self.upload_status == 204 and len(replicas) == 1 and "" not in replicas

    @property
    def ok(self) -> bool:
        return self.failure is None and not self.exceptions and self.sticky


def cookies_of(response: object) -> dict[str, str]:
    jar: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:  # type: ignore[attr-defined]
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def browser_session(
    base_url: str, page: str, lang: str = "en", *, route: str | None = None, timeout: float = 180
) -> StickySession:
    """One browser tab through the proxy at `base_url`; `route` presets nginx's cookie (a returning browser)."""
    result = StickySession(page, lang)
    base = base_url.rstrip("/")
    start = time.monotonic()
    try:
        first = urllib.request.Request(f"{base}/_stcore/health")
        if route:
            first.add_header("Cookie", f"atrous_route={route}")
        with urllib.request.urlopen(first, timeout=timeout) as response:
            jar = cookies_of(response)
            result.page_replica = response.headers.get(REPLICA_HEADER, "")
        jar.setdefault("atrous_route", route or "")
        result.route = jar["atrous_route"]
        cookie = result.cookie = "; ".join(f"{name}={value}" for name, value in jar.items())
        xsrf = result.xsrf = jar.get("_streamlit_xsrf", "")
        ws_url = base.replace("http://", "ws://") + "/_stcore/stream"
        protocols = [Subprotocol("streamlit"), Subprotocol(xsrf)] if xsrf else [Subprotocol("streamlit")]
        with connect(
            ws_url, subprotocols=protocols, additional_headers={"Cookie": cookie}, open_timeout=timeout, max_size=None
        ) as ws:
            assert ws.response is not None
            result.socket_replica = ws.response.headers.get(REPLICA_HEADER, "")
            msg = BackMsg()
            msg.rerun_script.query_string = f"lang={lang}"
            msg.rerun_script.page_name = page
            ws.send(msg.SerializeToString())
            deadline = start + timeout
            while result.finished_s is None:
                forward = ForwardMsg()
                forward.ParseFromString(ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
                kind = forward.WhichOneof("type")
                if kind == "new_session":
                    result.session_id = forward.new_session.initialize.session_id
                elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                    if result.first_paint_s is None and forward.metadata.delta_path[:1] == [0]:
                        result.first_paint_s = time.monotonic() - start
                    element = forward.delta.new_element
                    if element.WhichOneof("type") == "exception":
                        result.exceptions.append(f"{element.exception.type}: {element.exception.message}"[:300])
                elif kind == "script_finished":
                    if forward.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                        result.failure = f"script finished with status {forward.script_finished}"
                        return result
                    result.finished_s = time.monotonic() - start
            # the upload happens while the websocket (and so the session) is open, as in a browser
            result.upload_status, result.upload_replica = upload(base, result.session_id, cookie, xsrf, timeout)
    except TimeoutError:
        result.failure = f"no script_finished within {timeout:.0f} s"
    except Exception as exc:  # a refused or closed connection is a result to report
        result.failure = f"{type(exc).__name__}: {exc}"
    return result


def upload(base: str, session_id: str, cookie: str, xsrf: str, timeout: float) -> tuple[int, str]:
    """(HTTP status, replica) of one file uploaded to the session, as st.file_uploader sends it."""
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.png"\r\n'
        f"Content-Type: image/png\r\n\r\n".encode()
        + PHOTO
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Cookie": cookie, "X-Xsrftoken": xsrf, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    request = urllib.request.Request(
        f"{base}/_stcore/upload_file/{session_id}/{uuid.uuid4().hex}", data=body, method="PUT", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers.get(REPLICA_HEADER, "")
    except urllib.error.HTTPError as exc:  # 400: this replica does not hold the session
        return exc.code, exc.headers.get(REPLICA_HEADER, "")
