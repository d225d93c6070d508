"""A folder → a static HTTP server on 127.0.0.1 (random free port, in a thread).

The accessibility stage serves ``output/build/`` and ``output/reports/`` this way,
one server per folder, each at its own ``/``, so a page's absolute and relative links
both resolve as they will when published. Only GET and HEAD, only regular files
inside the folder: a path that escapes it (``..``, an absolute or encoded path, a
symlink pointing outside) gets 404, as does a directory without ``index.html``. Each
request's status is recorded so the caller can prove every page was served 200 —
pa11y itself does not look at HTTP status, and a clean 404 page would "pass".
"""

from __future__ import annotations

import mimetypes
import os
import posixpath
import socket
import threading
import urllib.parse
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

from pipeline.errors import PipelineError
from pipeline.models import Location

HOST = "127.0.0.1"
POLL_SECONDS = 0.02  # how often the serving thread looks for a shutdown request
LOOPBACK_HINT = ("the accessibility check serves the pages to Chromium on 127.0.0.1: check that "
                 "the loopback interface is up (ip link set lo up) and not firewalled")


@dataclass(frozen=True, slots=True)
class Served:
    """One request: the URL path asked for, the status sent, why when not 200, and the
    page that asked for it (the Referer), so a missing stylesheet names its page."""

    path: str
    status: int
    reason: str = ""
    referer: str = ""


def resolve_inside(root: Path, url_path: str) -> tuple[Path | None, str]:
    """The file under ``root`` for ``url_path``, or (None, why not)."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(url_path).path)
    if "\x00" in path or "\\" in path:
        return None, "refused: bad characters in path"
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None, "refused: the path leads outside the served folder"
    normal = posixpath.normpath("/" + "/".join(parts))
    candidate = root.joinpath(*[p for p in normal.split("/") if p])
    try:
        real = candidate.resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError, RuntimeError, OSError):
        return None, "no such file"
    if not real.is_relative_to(root):
        return None, "refused: the path leads outside the served folder"
    if real.is_dir():
        real = real / "index.html"
        if not real.is_file():
            return None, "a folder without index.html"
    if not real.is_file():
        return None, "not a regular file"
    return real, ""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _serve(self, body: bool) -> None:
        path, reason = resolve_inside(self.server.root, self.path)
        if path is None:
            self._send_error(HTTPStatus.NOT_FOUND, reason, body)
            return
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._send_error(HTTPStatus.NOT_FOUND, f"cannot read: {exc.strerror}", body)
            return
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype in ("application/javascript", "image/svg+xml"):
            ctype += "; charset=utf-8"
        self.server.record(Served(self._url_path(), 200, "", self.headers.get("Referer", "")))
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _send_error(self, status: HTTPStatus, reason: str, body: bool) -> None:
        self.server.record(Served(self._url_path(), int(status), reason,
                                  self.headers.get("Referer", "")))
        data = (
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{status.value} '
            f"{status.phrase}</title></head><body><main><h1>{status.phrase}</h1></main></body>"
            "</html>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _url_path(self) -> str:
        return urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: requests are recorded, not printed."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, root: Path, port: int = 0) -> None:
        self.root = root
        self.log: list[Served] = []
        self._lock = threading.Lock()
        super().__init__((HOST, port), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: a browser stopped mid-request (a timeout) resets its connection."""

    def record(self, served: Served) -> None:
        with self._lock:
            self.log.append(served)


class StaticServer:
    """Serve ``root`` on http://127.0.0.1:<port>/ (0: a free one) for the life of a
    ``with`` block."""

    def __init__(self, root: Path, display: str | None = None, port: int = 0,
                 missing_hint: str | None = None) -> None:
        self.display = display or str(root)
        if not root.is_dir():
            raise PipelineError("nothing to serve: not a folder", Location(self.display),
                                missing_hint)
        self.root = root.resolve()
        self.port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> StaticServer:
        try:
            self._server = _Server(self.root, self.port)
        except OSError as exc:
            raise PipelineError(
                f"cannot start a local web server on {HOST}: {exc.strerror or exc}",
                Location(self.display), LOOPBACK_HINT,
            ) from exc
        # ``shutdown`` returns once the loop next wakes: at the default 0.5 s poll, the
        # a11y stage's three servers held every build 0.9 s after pa11y-ci was done.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL_SECONDS,),
            name=f"serve {self.display}", daemon=True
        )
        self._thread.start()
        try:  # the browser must reach it; a loopback that is down fails here, not in Node
            socket.create_connection((HOST, self._server.server_address[1]), timeout=5).close()
        except OSError as exc:
            self.__exit__(None, None, None)
            raise PipelineError(
                f"the local web server on {HOST} cannot be reached: {exc.strerror or exc}",
                Location(self.display), LOOPBACK_HINT,
            ) from exc
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def base_url(self) -> str:
        assert self._server is not None, "use StaticServer in a with block"
        return f"http://{HOST}:{self._server.server_address[1]}/"

    def url(self, rel: str) -> str:
        """The URL of ``rel`` (a path relative to the served folder)."""
        return self.base_url + urllib.parse.quote(rel.replace(os.sep, "/"))

    def statuses(self, rel: str) -> list[Served]:
        """Every request made so far for ``rel``."""
        assert self._server is not None
        want = "/" + rel.replace(os.sep, "/").lstrip("/")
        with self._server._lock:
            return [s for s in self._server.log if s.path == want]

    @property
    def log(self) -> list[Served]:
        assert self._server is not None
        with self._server._lock:
            return list(self._server.log)
