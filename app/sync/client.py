"""HTTP client of the hub protocol, made for school links: 2G/3G, captive portals, flaky proxies.

- Timeouts suited to slow links (a 150 KB upload at 64 kbit/s takes ~20 s), no redirects.
- Retries with exponential backoff and jitter on connection failures, timeouts and
  500/502/503/504; 429 and 503 honour Retry-After (seconds or an HTTP date). Every
  request of the protocol is idempotent, so retrying is always safe.
- Only the hub's real answers count: every answer must be JSON of the protocol (a captive
  portal's "200 OK" login page, a proxy's HTML error page are "offline"), and the probe
  checks /v1/info names the hub and the receipt key this PC was connected to.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import httpx

from app import __version__
from app.sync import protocol

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class SyncError(Exception):
    """A sync problem; `message` is plain Vietnamese for the status line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Offline(SyncError):
    """The hub cannot be reached now (no link, timeouts, server errors): try again later."""


class NotTheHub(Offline):
    """Something answered that is not the hub (a captive portal, a proxy page, another server)."""


class HubBusy(Offline):
    """The hub asked to wait longer than this sync is willing to."""


class Unauthorized(SyncError):
    """The credential is unknown or revoked: someone must connect this PC again."""


class Unsupported(SyncError):
    """The hub no longer speaks this app's protocol version: the app must be updated."""


class Refused(SyncError):
    """The hub refused this one submission for good (409 conflict, 403, 422): a person must act."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class MissingBlob(SyncError):
    """The hub does not hold the document's bytes (yet): upload them, then submit again."""


class BadReceipt(SyncError):
    """A receipt that does not verify against the pinned hub key."""


OFFLINE_MESSAGE = (
    "Chưa kết nối được tới máy chủ của Sở: mạng đang mất hoặc quá chậm. "
    "Học bạ vẫn được giữ an toàn trên máy và sẽ được gửi ở lần đồng bộ sau."
)
CAPTIVE_MESSAGE = (
    "Mạng của trường chưa vào được Internet (có thể cần đăng nhập wifi, hoặc máy chủ trung gian chặn). "
    "Hãy mở trình duyệt kiểm tra rồi đồng bộ lại."
)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries per request, the first included
    base_delay_s: float = 2.0
    max_delay_s: float = 120.0
    max_retry_after_s: float = 900.0

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Exponential with "equal jitter": half the step fixed, half random, capped."""
        step = min(self.max_delay_s, self.base_delay_s * float(2**retry))
        return step / 2 + rng.uniform(0.0, step / 2)


@dataclass(frozen=True)
class Timeouts:
    connect_s: float = 30.0
    read_s: float = 120.0  # a slow link's answer after a 150 KB upload still arrives
    write_s: float = 120.0
    pool_s: float = 60.0

    def httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect_s, read=self.read_s, write=self.write_s, pool=self.pool_s)


@dataclass
class ClientStats:
    requests: int = 0
    retries: int = 0
    bytes_up: int = 0  # request bodies only (the proxy in the benchmark counts the wire)
    waits_s: float = 0.0


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())


@dataclass
class HubClient:
    base_url: str
    credential: str | None = None
    pinned_key: bytes | None = None  # the receipt key pinned when this PC was connected
    hub_id: str | None = None
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    timeouts: Timeouts = field(default_factory=Timeouts)
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    transport: httpx.BaseTransport | None = None
    stats: ClientStats = field(default_factory=ClientStats)

    def __post_init__(self) -> None:
        headers = {
            "User-Agent": f"HocBaSo/{__version__}",
            protocol.PROTOCOL_HEADER: str(protocol.PROTOCOL_VERSION),
            "Accept": protocol.JSON_TYPE,
        }
        if self.credential:
            headers["Authorization"] = f"Bearer {self.credential}"
        self._http = httpx.Client(
            base_url=self.base_url.rstrip("/"),
            headers=headers,
            timeout=self.timeouts.httpx(),
            follow_redirects=False,  # a captive portal redirects to its login page
            transport=self.transport,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the protocol

    def info(self, *, attempts: int | None = None) -> protocol.Info:
        resp = self._send("GET", f"{protocol.API}/info", attempts=attempts)
        if resp.status_code != 200:
            raise NotTheHub(CAPTIVE_MESSAGE)
        try:
            return protocol.Info.from_json(self._json(resp))
        except protocol.ProtocolError:
            raise NotTheHub(CAPTIVE_MESSAGE) from None

    def probe(self) -> protocol.Info:
        """The hub's info if the hub this PC was connected to answers; else Offline/NotTheHub."""
        info = self.info(attempts=min(3, self.policy.attempts))
        if self.pinned_key is not None and info.public_key != self.pinned_key:
            raise NotTheHub(
                "Máy chủ trả lời không phải máy chủ của Sở mà máy này đã kết nối (khoá ký biên nhận khác). "
                "Hãy kiểm tra địa chỉ máy chủ hoặc kết nối lại."
            )
        if self.hub_id is not None and info.hub_id != self.hub_id:
            raise NotTheHub("Địa chỉ này là một máy chủ khác với máy chủ đã kết nối. Hãy kiểm tra địa chỉ.")
        if protocol.PROTOCOL_VERSION not in info.protocol_versions:
            raise Unsupported("Máy chủ của Sở không còn hỗ trợ phiên bản này: hãy cập nhật Học bạ số.")
        return info

    def whoami(self) -> dict[str, Any]:
        resp = self._send("GET", f"{protocol.API}/devices/me")
        data = self._json(self._ok(resp))
        if not isinstance(data, dict) or not isinstance(data.get("school_code"), str):
            raise NotTheHub(CAPTIVE_MESSAGE)
        return data

    def blob_size(self, sha256: str) -> int | None:
        resp = self._send("HEAD", protocol.blob_path(sha256))
        if resp.status_code == 404:
            return None
        if resp.status_code == 200:
            size = resp.headers.get("X-Blob-Size", "")
            if size.isdigit():
                return int(size)
            raise NotTheHub(CAPTIVE_MESSAGE)  # a 200 without the hub's header: not the hub
        self._ok(resp)
        return None

    def put_blob(self, sha256: str, data: bytes) -> bool:
        """Upload bytes to their address; True if the hub did not hold them before."""
        resp = self._send(
            "PUT",
            protocol.blob_path(sha256),
            content=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        body = self._json(self._ok(resp))
        if not isinstance(body, dict) or body.get("sha256") != sha256:
            raise NotTheHub(CAPTIVE_MESSAGE)
        return resp.status_code == 201

    def put_submission(self, manifest: protocol.Manifest) -> protocol.SubmissionAnswer:
        body = protocol.canonical_json({"manifest": manifest.to_json()})
        resp = self._send(
            "PUT",
            protocol.submission_path(manifest.submission_id),
            content=body,
            headers={"Content-Type": protocol.JSON_TYPE},
        )
        data = self._json(self._ok(resp))
        try:
            return protocol.SubmissionAnswer.from_json(data)
        except protocol.ProtocolError:
            raise NotTheHub(CAPTIVE_MESSAGE) from None

    def reconcile(self, submission_ids: list[str]) -> tuple[list[protocol.ReconcileItem], list[str]]:
        items: list[protocol.ReconcileItem] = []
        unknown: list[str] = []
        for start in range(0, len(submission_ids), protocol.MAX_RECONCILE):
            chunk = submission_ids[start : start + protocol.MAX_RECONCILE]
            body = protocol.canonical_json({"submission_ids": chunk})
            resp = self._send(
                "POST",
                f"{protocol.API}/reconcile",
                content=body,
                headers={"Content-Type": protocol.JSON_TYPE},
            )
            try:
                found, missing = protocol.reconcile_answer_from_json(self._json(self._ok(resp)))
            except protocol.ProtocolError:
                raise NotTheHub(CAPTIVE_MESSAGE) from None
            items.extend(found)
            unknown.extend(missing)
        return items, unknown

    # ------------------------------------------------------------------ plumbing

    def _send(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        attempts: int | None = None,
    ) -> httpx.Response:
        tries = attempts or self.policy.attempts
        problem = "?"
        for attempt in range(tries):
            self.stats.requests += 1
            if content is not None:
                self.stats.bytes_up += len(content)
            try:
                resp = self._http.request(method, path, content=content, headers=headers)
            except httpx.TransportError as exc:  # connect/read/write timeouts, resets, refused
                problem = exc.__class__.__name__
                delay = self.policy.backoff(attempt, self.rng)
            else:
                if resp.status_code not in RETRY_STATUSES:
                    return resp
                problem = f"HTTP {resp.status_code}"
                delay = self.policy.backoff(attempt, self.rng)
                wanted = parse_retry_after(resp.headers.get("Retry-After"))
                if wanted is not None and resp.status_code in (429, 503):
                    if wanted > self.policy.max_retry_after_s:
                        raise HubBusy(
                            "Máy chủ của Sở đang quá tải và đề nghị gửi lại sau. "
                            "Học bạ sẽ được gửi ở lần sau."
                        )
                    delay = wanted + self.rng.uniform(0, min(1.0, wanted * 0.1))
            if attempt + 1 >= tries:
                break
            self.stats.retries += 1
            self.stats.waits_s += delay
            log.info("%s %s: %s; retry %d in %.1f s", method, path, problem, attempt + 1, delay)
            self.sleep(delay)
        log.warning("%s %s failed after %d tries (%s)", method, path, tries, problem)
        raise Offline(OFFLINE_MESSAGE)

    def _json(self, resp: httpx.Response) -> Any:
        if not resp.headers.get("content-type", "").startswith(protocol.JSON_TYPE):
            raise NotTheHub(CAPTIVE_MESSAGE)
        try:
            return resp.json()
        except ValueError:
            raise NotTheHub(CAPTIVE_MESSAGE) from None

    def _ok(self, resp: httpx.Response) -> httpx.Response:
        """The response if it is a success; else the protocol error it stands for."""
        if resp.status_code in (200, 201):
            return resp
        if 300 <= resp.status_code < 400:
            raise NotTheHub(CAPTIVE_MESSAGE)
        data = self._json(resp)
        code = data.get("error") if isinstance(data, dict) else None
        message = data.get("message") if isinstance(data, dict) else None
        message = (
            message if isinstance(message, str) and message else f"Máy chủ trả lời lỗi {resp.status_code}."
        )
        if resp.status_code == 401:
            raise Unauthorized(message)
        if code == protocol.ERR_UNSUPPORTED:
            raise Unsupported(message)
        if code == protocol.ERR_MISSING_BLOB:
            raise MissingBlob(message)
        if resp.status_code in (403, 409, 413, 422) and isinstance(code, str):
            raise Refused(message, code)
        raise Offline(f"{OFFLINE_MESSAGE} (máy chủ trả lời {resp.status_code})")
