"""A minimal HTTP/1.1 client on asyncio streams (keep-alive, cancellable): enough for the Bot API, no dependencies."""

from __future__ import annotations

import asyncio
import json
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

#: Largest response body read.
MAX_BODY = 16 << 20


@dataclass(frozen=True)
class Response:
    """A response: status and the body parsed as JSON (None when it is not JSON)."""

    status: int
    body: object
    raw: bytes


class HttpError(Exception):
    """The exchange failed below HTTP (connection, framing, size)."""


class _Conn:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def close(self) -> None:
        self.writer.transport.abort()


class HttpClient:
    """Sends JSON requests to one origin over kept-alive connections; cancelling a request drops its connection."""

    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"expected an http(s) URL, got {base_url!r}")
        self._tls = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._tls else 80)
        self._prefix = parts.path.rstrip("/")
        self._headers = headers or {}
        self._idle: list[_Conn] = []
        self._closed = False

    async def post_json(self, path: str, payload: object, timeout_s: float) -> Response:
        """POSTs `payload` as JSON to `path` under the base URL; raises HttpError or asyncio.TimeoutError."""
        return await self.request("POST", path, payload, timeout_s)

    async def get_json(self, path: str, timeout_s: float) -> Response:
        """GETs `path` under the base URL; raises HttpError or asyncio.TimeoutError."""
        return await self.request("GET", path, None, timeout_s)

    async def request(self, method: str, path: str, payload: object | None, timeout_s: float) -> Response:
        """One request (a JSON body unless `payload` is None); raises HttpError or asyncio.TimeoutError."""
        body = b"" if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        head = [
            f"{method} {self._prefix}{path} HTTP/1.1",
            f"Host: {self._host}:{self._port}",
            *(["Content-Type: application/json"] if payload is not None else []),
            f"Content-Length: {len(body)}",
            "Connection: keep-alive",
            *(f"{k}: {v}" for k, v in self._headers.items()),
        ]
        request = ("\r\n".join(head) + "\r\n\r\n").encode() + body
        # A kept-alive connection may have been closed by the server meanwhile: one retry on a fresh one.
        for attempt in (0, 1):
            conn = self._take() if attempt == 0 else None
            fresh = conn is None
            if conn is None:
                conn = await asyncio.wait_for(self._open(), timeout_s)
            try:
                conn.writer.write(request)
                resp, keep = await asyncio.wait_for(self._read(conn), timeout_s)
            except (ConnectionError, asyncio.IncompleteReadError, HttpError) as e:
                conn.close()
                if fresh:
                    raise HttpError(f"{method} {path}: {e or type(e).__name__}") from None
                continue
            except BaseException:
                # Cancelled (a paused poll) or timed out: the connection's state is unknown, drop it.
                conn.close()
                raise
            if keep and not self._closed:
                self._idle.append(conn)
            else:
                conn.close()
            return resp
        raise HttpError(f"{method} {path}: connection failed")

    def release(self) -> None:
        """Drops the kept-alive connections now; later requests open new ones (a standby holds none)."""
        for c in self._idle:
            c.close()
        self._idle.clear()

    def close(self) -> None:
        """Drops every kept-alive connection."""
        self._closed = True
        for c in self._idle:
            c.close()
        self._idle.clear()

    def _take(self) -> _Conn | None:
        while self._idle:
            c = self._idle.pop()
            if not c.writer.is_closing() and not c.reader.at_eof():
                return c
            c.close()
        return None

    async def _open(self) -> _Conn:
        ctx = ssl.create_default_context() if self._tls else None
        reader, writer = await asyncio.open_connection(self._host, self._port, ssl=ctx, limit=1 << 16)
        return _Conn(reader, writer)

    async def _read(self, conn: _Conn) -> tuple[Response, bool]:
        status_line = await conn.reader.readuntil(b"\r\n")
        parts = status_line.decode("latin-1").split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise HttpError(f"bad status line {status_line[:80]!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        while True:
            line = await conn.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            raw = await self._chunked(conn.reader)
        else:
            n = int(headers.get("content-length", "0"))
            if n > MAX_BODY:
                raise HttpError(f"response body of {n} bytes is over {MAX_BODY}")
            raw = await conn.reader.readexactly(n)
        keep = headers.get("connection", "").lower() != "close"
        try:
            body: object = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            body = None
        return Response(status, body, raw), keep

    @staticmethod
    async def _chunked(reader: asyncio.StreamReader) -> bytes:
        out = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return bytes(out)
            out += await reader.readexactly(size)
            await reader.readexactly(2)
            if len(out) > MAX_BODY:
                raise HttpError(f"response body over {MAX_BODY} bytes")
