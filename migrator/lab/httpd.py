"""The lab's HTTPS plumbing: a threaded HTTP/1.1 server on 127.0.0.1 that hands each request,
as a plain value, to a service (Kubernetes API, ARM, Entra, OIDC issuer) and writes its answer.

Services never touch sockets; streaming answers (watches) are iterables of chunks. Fault
injection sits here, in front of every service, so each one gets latency, throttling, errors
and connection resets for free.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from migrator.lab.faults import Fault, FaultInjector

LOG = logging.getLogger("migrator.lab")
LOOPBACK = "127.0.0.1"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Message
    body: bytes = b""

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name, default) or default

    @property
    def content_type(self) -> str:
        return self.header("Content-Type").split(";")[0].strip().lower()

    def bearer(self) -> str | None:
        scheme, _, token = self.header("Authorization").partition(" ")
        return token.strip() or None if scheme.lower() == "bearer" else None

    def json(self) -> object:
        """The body as JSON; ValueError when it is not."""
        return json.loads(self.body.decode("utf-8") or "null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode("utf-8"), keep_blank_values=True).items()}


@dataclass
class Response:
    status: int
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    @property
    def streaming(self) -> bool:
        return not isinstance(self.body, bytes | bytearray)


def json_response(
    status: int, value: object, headers: Mapping[str, str] | None = None, content_type: str = "application/json"
) -> Response:
    return Response(status, json.dumps(value, separators=(",", ":")).encode("utf-8"), dict(headers or {}), content_type)


def text_response(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Response:
    return Response(status, text.encode("utf-8"), content_type=content_type)


class Service(Protocol):
    """What a lab server serves."""

    name: str

    def handle(self, request: Request) -> Response: ...

    def classify(self, request: Request) -> tuple[str, str]:
        """The (verb, resource) that fault rules match on, e.g. ("list", "pods")."""
        ...

    def error(self, status: int, message: str, retry_after: float | None = None) -> Response:
        """An error in the service's own wire shape (Status object, ARM error, OAuth error)."""
        ...


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes: Nagle + delayed ACK cost 40 ms each
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        """Quiet: request lines are logged by ``_dispatch`` without headers (bearer tokens)."""

    def handle(self) -> None:
        self.server.track(self.connection, True)
        try:
            super().handle()
        except (ConnectionError, ssl.SSLError, TimeoutError, OSError):
            pass
        finally:
            self.server.track(self.connection, False)

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=unquote(parts.path),
            query=parse_qs(parts.query, keep_blank_values=True),
            headers=self.headers,
            body=self._read_body(),
        )
        service = self.server.service
        fault = self.server.faults.pick(service.name, *service.classify(request)) if self.server.faults else None
        response = self._faulted(service, fault) if fault else None
        if response is None and fault is not None and fault.action == "reset":
            self._reset()
            return
        if response is None:
            try:
                response = service.handle(request)
            except Exception:  # a lab bug must answer 500, not kill the connection silently
                LOG.exception("%s %s %s failed", service.name, request.method, request.path)
                response = service.error(500, "internal error in the wimigrate lab (see its log)")
        LOG.debug("%s %s %s -> %s", service.name, request.method, request.path, response.status)
        self._write(response, head_only=request.method == "HEAD")

    def _faulted(self, service: Service, fault: Fault) -> Response | None:
        if fault.action == "latency":
            time.sleep(fault.seconds)
            return None
        if fault.action == "status":
            return service.error(fault.status, fault.message or "injected fault", fault.retry_after)
        return None

    def _reset(self) -> None:
        """Close with RST, the way a dropped connection looks to a client."""
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        raise ConnectionResetError("injected connection reset")

    def _write(self, response: Response, head_only: bool) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if not response.streaming:
            body = bytes(response.body)  # type: ignore[arg-type]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head_only:
                self.wfile.write(body)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunks: Iterator[bytes] = iter(response.body)
        try:
            for chunk in chunks:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        finally:
            close = getattr(chunks, "close", None)
            if close:
                close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, service: Service, context: ssl.SSLContext | None, faults: FaultInjector | None) -> None:
        self.service = service
        self.context = context
        self.faults = faults
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        super().__init__((LOOPBACK, 0), _Handler)

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        if self.context is not None:
            # The handshake happens on first read, in the connection's own thread.
            sock = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: object, client_address: object) -> None:
        LOG.debug("connection from %s ended with an error", client_address, exc_info=True)

    def track(self, connection: socket.socket, active: bool) -> None:
        with self._lock:
            (self._connections.add if active else self._connections.discard)(connection)

    def close_connections(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class LabServer:
    """One service on one loopback port."""

    def __init__(self, service: Service, context: ssl.SSLContext | None, faults: FaultInjector | None = None) -> None:
        self._server = _Server(service, context, faults)
        self.scheme = "https" if context is not None else "http"
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"{self.scheme}://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"lab-{self._server.service.name}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.close_connections()
        self._server.server_close()


def server_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


Handler = Callable[[Request], Response]
