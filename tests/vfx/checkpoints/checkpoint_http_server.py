"""A loopback HTTP server with scripted misbehaviour, for download tests.

It listens on 127.0.0.1 only, answers at most ``max_requests`` requests (503 after that), and
shuts itself down after ``lifetime_s`` if the test never stops it. Files are served by the last
component of the URL path, so both the flat mirror layout and Meta's dated folders work.
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class LoopbackServer:
    """Serves ``files`` (URL basename -> local file) over HTTP on 127.0.0.1.

    Attributes:
        requests: ``(path, Range header or None)`` for every request, in order.
        drops: body byte counts; each response pops one and resets the connection after
            sending that many bytes of its body.
        cuts: like ``drops``, but the server closes the connection cleanly (early EOF).
        extra_length: bytes announced beyond the real file size (a truncated file).
        honour_range: answer ``Range`` requests with 206; ``False`` always sends the whole file.
        content_length: a ``Content-Length`` header value sent instead of the true one
            (``"abc"``, or a terabyte).
        drip_s: seconds to wait before each byte of the body (a server that crawls).
    """

    def __init__(self, max_requests: int = 12, lifetime_s: float = 60.0) -> None:
        self.files: dict[str, Path] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.drops: list[int] = []
        self.cuts: list[int] = []
        self.extra_length = 0
        self.honour_range = True
        self.content_length: str | None = None
        self.drip_s = 0.0
        self.max_requests = max_requests
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._deadline = threading.Timer(lifetime_s, self._httpd.shutdown)
        self._deadline.daemon = True

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()
        self._deadline.start()

    def stop(self) -> None:
        self._deadline.cancel()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10

            def log_message(self, format: str, *args: object) -> None:
                """Keep test output quiet."""

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append((self.path, self.headers.get("Range")))
                    over_budget = len(server.requests) > server.max_requests
                    drop = server.drops.pop(0) if server.drops else None
                    cut = server.cuts.pop(0) if server.cuts else None
                if over_budget:
                    self.send_error(503, "request budget used up")
                    return
                source = server.files.get(self.path.rsplit("/", 1)[-1])
                if source is None:
                    self.send_error(404, "no such file")
                    return
                data = source.read_bytes()
                total = len(data) + server.extra_length
                start = 0
                match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
                if match and server.honour_range:
                    start = int(match.group(1))
                    if start >= total:
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{total}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{total - 1}/{total}")
                else:
                    self.send_response(200)
                length = server.content_length or str(total - start)
                self.send_header("Content-Length", length)
                self.end_headers()
                body = data[start:]
                limit = drop if drop is not None else cut
                try:
                    if server.drip_s:
                        for byte in body:
                            time.sleep(server.drip_s)
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                    else:
                        self.wfile.write(body if limit is None else body[:limit])
                        self.wfile.flush()
                except OSError:
                    return  # the client hung up first
                if drop is not None:
                    # SO_LINGER with a zero timeout makes close() send a reset.
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                self.close_connection = True

        return Handler
