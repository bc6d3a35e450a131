"""A tiny loopback HTTP server for the simulators (stdlib only).

`LoopbackServer(handler)` serves on 127.0.0.1, an ephemeral port, from a daemon thread; it is a
context manager and `.url` is its base URL. `handler(SimRequest) -> SimResponse` holds the logic.
A SimResponse can also wait before answering (`delay`, counted from the request's arrival, to
model latency or a timeout) or close the connection without answering (`drop`). HTTP/1.1
keep-alive, so clients reuse connections.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["LoopbackServer", "SimRequest", "SimResponse"]


@dataclass
class SimRequest:
    method: str
    path: str  # without the query
    query: dict[str, list[str]]  # every value of every key, in order
    headers: dict[str, str]  # names lower-cased
    body: bytes
    target: str  # path and query exactly as received
    host: str  # the Host header

    def json(self) -> Any:
        """The body parsed as JSON, or None when empty or not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


@dataclass
class SimResponse:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds from the request's arrival to the answer (cut short on close)
    drop: bool = False  # close the connection without any answer

    @classmethod
    def json(cls, data: Any, status: int = 200, **kwargs: Any) -> SimResponse:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=UTF-8"}
        headers.update(kwargs.pop("headers", {}))
        return cls(status=status, body=body, headers=headers, **kwargs)


Handler = Callable[[SimRequest], SimResponse]


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # 32+ clients connecting at once: no dropped SYNs, no 1 s stalls


class LoopbackServer:
    """Serves `handler` on 127.0.0.1:<ephemeral> until closed."""

    def __init__(self, handler: Handler, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._handler = handler
        self._stopping = threading.Event()
        self._server = _Server((host, port), self._request_handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else host
        return f"http://{name}:{port}"

    def start(self) -> LoopbackServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def close(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request_handler_class(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go in two writes: no 40 ms stall

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

            def _serve(self) -> None:
                arrived = time.monotonic()
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                split = urlsplit(self.path)
                request = SimRequest(
                    method=self.command,
                    path=split.path,
                    query=parse_qs(split.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    target=self.path,
                    host=self.headers.get("Host", ""),
                )
                try:
                    response = outer._handler(request)
                except Exception as exc:  # a simulator bug: answer 500, visibly
                    response = SimResponse.json(
                        {"code": "SIMULATOR_ERROR", "message": type(exc).__name__}, status=500
                    )
                # The delay counts from the request's arrival: the simulator's own work is part
                # of the latency it models, as a real server's is.
                wait = response.delay - (time.monotonic() - arrived)
                if response.delay and outer._stopping.wait(max(wait, 0.0)):
                    response = SimResponse(drop=True)
                if response.drop:
                    self.close_connection = True
                    return
                try:
                    self.send_response(response.status)
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    if "content-length" not in {k.lower() for k in response.headers}:
                        self.send_header("Content-Length", str(len(response.body)))
                    self.end_headers()
                    self.wfile.write(response.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up (e.g. its timeout)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        return _Handler
