"""A fault-injecting HTTP/1.1 proxy for the sync tests (asyncio, loopback only).

It sits between the client and the real hub and plays the school's bad link:

- `latency_s`: one-way delay before each request is forwarded and each answer returned;
- `bandwidth_bps`: one shared link, each direction limited (bytes leave the sockets slowly);
- per-request faults, queued (`inject`) or drawn at random (`random_faults`):
  `reset_upload` (RST halfway through the request body), `reset_answer` (RST halfway
  through the answer), `stall` (take the request, never answer), `status` (answer 500,
  502, 503 or 429 itself, with Retry-After if asked, and an HTML body as proxies do),
  `captive` (a 200 HTML login page, as a captive portal), `drop_answer` (forward the
  request, let the hub commit, then close without passing the answer on).
- `mode = "captive"` or `"down"`: a link-wide condition until cleared.

It counts bytes on the wire in both directions (HTTP bytes; TCP/IP overhead is not
counted), connections, requests and faults applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

PORTAL = (
    b"<!doctype html><html><head><title>Dang nhap Wi-Fi</title></head><body>"
    b"<form action='/login'>Vui long dang nhap de su dung Internet</form></body></html>"
)
ERROR_PAGE = (
    b"<html><body><h1>Bad Gateway</h1><p>The proxy server received an invalid response.</p></body></html>"
)


@dataclass
class Fault:
    kind: str  # reset_upload, reset_answer, stall, status, captive, drop_answer
    status: int = 503
    retry_after: str | None = None
    match: str | None = None  # "PUT /v1/submissions": applies only to requests starting so
    stall_s: float = 30.0

    def matches(self, request_line: str) -> bool:
        return self.match is None or request_line.startswith(self.match)


@dataclass
class RandomFaults:
    probability: float
    kinds: tuple[str, ...]
    rng: random.Random = field(default_factory=lambda: random.Random(5))
    status_choices: tuple[int, ...] = (500, 502, 503)


@dataclass
class Stats:
    bytes_up: int = 0  # client → proxy
    bytes_down: int = 0  # proxy → client
    connections: int = 0
    requests: int = 0
    faults: Counter[str] = field(default_factory=Counter)

    @property
    def wire_bytes(self) -> int:
        return self.bytes_up + self.bytes_down


class _Link:
    """One direction of a shared link of `bps` bits per second (None: unlimited)."""

    def __init__(self, bps: int | None) -> None:
        self.bps = bps
        self._free_at = 0.0

    async def carry(self, n: int) -> None:
        if not self.bps or n <= 0:
            return
        now = time.monotonic()
        start = max(now, self._free_at)
        self._free_at = start + n * 8 / self.bps
        await asyncio.sleep(self._free_at - now)


class _Reset(Exception):
    pass


def _rst(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    def __init__(
        self, upstream: str, *, latency_s: float = 0.0, bandwidth_bps: int | None = None, chunk: int = 4096
    ) -> None:
        host, _, port = upstream.removeprefix("http://").rstrip("/").partition(":")
        self.upstream = (host, int(port))
        self.latency_s = latency_s
        self.chunk = chunk
        self.up = _Link(bandwidth_bps)
        self.down = _Link(bandwidth_bps)
        self.stats = Stats()
        self.mode: str | None = None  # "captive" / "down"
        self.random_faults: RandomFaults | None = None
        self._queue: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self.url = ""

    # ------------------------------------------------------------------ control (any thread)

    def start(self) -> str:
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        port = fut.result(10)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def _start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, limit=256 * 1024)
        return int(self._server.sockets[0].getsockname()[1])

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self._queue.extend(faults)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
        self.mode = None
        self.random_faults = None

    def pending_faults(self) -> int:
        with self._lock:
            return len(self._queue)

    def set_bandwidth(self, bps: int | None) -> None:
        self.up.bps = bps
        self.down.bps = bps

    # ------------------------------------------------------------------ the proxy

    def _next_fault(self, request_line: str) -> Fault | None:
        if self.mode == "captive":
            return Fault("captive")
        if self.mode == "down":
            return Fault("reset_upload")
        with self._lock:
            for fault in self._queue:
                if fault.matches(request_line):
                    self._queue.remove(fault)
                    return fault
        rf = self.random_faults
        if rf is not None and rf.rng.random() < rf.probability:
            kind = rf.rng.choice(rf.kinds)
            return Fault(kind, status=rf.rng.choice(rf.status_choices), stall_s=2.0)
        return None

    async def _handle(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                try:
                    head = await creader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                await self.up.carry(len(head))
                self.stats.bytes_up += len(head)
                self.stats.requests += 1
                request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
                length = _content_length(head)
                fault = self._next_fault(request_line)
                if fault is not None:
                    self.stats.faults[fault.kind if fault.kind != "status" else f"status_{fault.status}"] += 1
                if fault is not None and fault.kind == "reset_upload":
                    await self._read_body(creader, length // 2)
                    raise _Reset()
                body = await self._read_body(creader, length)
                if fault is not None and fault.kind in ("status", "captive"):
                    await self._answer_self(cwriter, fault)
                    return  # close after answering, as error pages usually do
                if fault is not None and fault.kind == "stall":
                    await asyncio.sleep(fault.stall_s)
                    raise _Reset()
                await asyncio.sleep(self.latency_s)
                if upstream is None:
                    upstream = await asyncio.open_connection(*self.upstream, limit=256 * 1024)
                ureader, uwriter = upstream
                uwriter.write(head + body)
                await uwriter.drain()
                answer = await _read_response(ureader, request_line.startswith("HEAD "))
                if fault is not None and fault.kind == "drop_answer":
                    raise _Reset()  # the hub has committed; the school never hears of it
                await asyncio.sleep(self.latency_s)
                cut = len(answer) // 2 if fault is not None and fault.kind == "reset_answer" else len(answer)
                await self._send(cwriter, answer[:cut])
                if cut < len(answer):
                    raise _Reset()
        except _Reset:
            _rst(cwriter)
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            with contextlib.suppress(Exception):
                _rst(cwriter)
        except asyncio.CancelledError:
            _rst(cwriter)
            raise
        finally:
            if upstream is not None:
                upstream[1].close()
            with contextlib.suppress(Exception):
                cwriter.close()

    async def _read_body(self, reader: asyncio.StreamReader, length: int) -> bytes:
        parts: list[bytes] = []
        remaining = length
        while remaining > 0:
            data = await reader.read(min(self.chunk, remaining))
            if not data:
                raise asyncio.IncompleteReadError(b"".join(parts), length)
            await self.up.carry(len(data))
            self.stats.bytes_up += len(data)
            parts.append(data)
            remaining -= len(data)
        return b"".join(parts)

    async def _send(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        for start in range(0, len(data), self.chunk):
            piece = data[start : start + self.chunk]
            await self.down.carry(len(piece))
            writer.write(piece)
            await writer.drain()
            self.stats.bytes_down += len(piece)

    async def _answer_self(self, writer: asyncio.StreamWriter, fault: Fault) -> None:
        if fault.kind == "captive":
            status, body = "200 OK", PORTAL
        else:
            reasons = {
                429: "Too Many Requests",
                500: "Internal Server Error",
                502: "Bad Gateway",
                503: "Service Unavailable",
            }
            status, body = f"{fault.status} {reasons.get(fault.status, 'Error')}", ERROR_PAGE
        extra = f"Retry-After: {fault.retry_after}\r\n" if fault.retry_after is not None else ""
        head = (
            f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
            f"{extra}Connection: close\r\n\r\n"
        ).encode("latin-1")
        await asyncio.sleep(self.latency_s)
        await self._send(writer, head + body)


def _headers(head: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in head.split(b"\r\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            out[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return out


def _content_length(head: bytes) -> int:
    value = _headers(head).get("content-length", "0")
    return int(value) if value.isdigit() else 0


async def _read_response(reader: asyncio.StreamReader, is_head: bool) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    headers = _headers(head)
    if is_head or status in (204, 304) or 100 <= status < 200:
        return head
    if headers.get("transfer-encoding", "").lower() == "chunked":
        parts = [head]
        while True:
            size_line = await reader.readuntil(b"\r\n")
            parts.append(size_line)
            size = int(size_line.split(b";")[0], 16)
            data = await reader.readexactly(size + 2)
            parts.append(data)
            if size == 0:
                return b"".join(parts)
    if "content-length" in headers:
        return head + await reader.readexactly(int(headers["content-length"]))
    return head + await reader.read()


def many(kind: str, n: int, **kw: object) -> Iterable[Fault]:
    return [Fault(kind, **kw) for _ in range(n)]  # type: ignore[arg-type]
