"""A small RFC 6455 websocket client on asyncio streams: the handshake, masked text frames out, text messages in
(fragments joined), ping answered with pong, the close handshake with its code.

Hand-written because the reference gateway is standard library only (the package's rule: no PyPI) and the
standard library has no websocket client. It does what a Discord gateway session needs and no more: no
extensions (no compression), no subprotocols, text messages only (a binary one closes with 1003).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import ssl
import struct
from urllib.parse import urlsplit

#: The GUID of RFC 6455 section 1.3, appended to the key to make Sec-WebSocket-Accept.
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
#: Largest message accepted (a Discord READY for a large bot is a few MiB).
MAX_MESSAGE = 8 << 20
#: Close codes of RFC 6455 section 7.4.1 used here.
PROTOCOL_ERROR = 1002
UNSUPPORTED = 1003
NO_STATUS = 1005
ABNORMAL = 1006
BAD_DATA = 1007
TOO_BIG = 1009

_CONT, _TEXT, _BINARY, _CLOSE, _PING, _PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class WebSocketError(Exception):
    """The handshake failed, or the peer broke the protocol."""


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + _GUID).encode("ascii")).digest()).decode("ascii")


def mask(payload: bytes, key: bytes) -> bytes:
    """`payload` XORed with the 4-byte `key` repeated (masking and unmasking are the same)."""
    n = len(payload)
    if n == 0:
        return payload
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(stream, "little")).to_bytes(n, "little")


def encode_frame(opcode: int, payload: bytes, key: bytes | None) -> bytes:
    """One final frame; masked with `key` when given (a client always masks)."""
    n = len(payload)
    head = bytes([0x80 | opcode])
    mask_bit = 0x80 if key is not None else 0
    if n < 126:
        head += bytes([mask_bit | n])
    elif n < 1 << 16:
        head += bytes([mask_bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([mask_bit | 127]) + struct.pack("!Q", n)
    if key is None:
        return head + payload
    return head + key + mask(payload, key)


class WebSocket:
    """One client connection. recv() returns text messages until the connection closes (then None; see close_code)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        #: The close code the peer sent (NO_STATUS when its close frame had none), ABNORMAL when the connection just
        #: dropped, or None while open.
        self.close_code: int | None = None
        self.close_reason = ""
        self._closing = False
        self._closed_event = asyncio.Event()
        # One reader at a time: close() waits for a recv() under way to see the peer's close frame.
        self._reading = False

    @classmethod
    async def connect(cls, url: str, timeout_s: float = 10) -> WebSocket:
        """Opens `url` (ws:// or wss://) and completes the opening handshake within `timeout_s`."""
        parts = urlsplit(url)
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise WebSocketError(f"expected a ws:// or wss:// URL, got {url!r}")
        tls = parts.scheme == "wss"
        port = parts.port or (443 if tls else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        key = base64.b64encode(os.urandom(16)).decode("ascii")

        async def handshake() -> WebSocket:
            ctx = ssl.create_default_context() if tls else None
            reader, writer = await asyncio.open_connection(parts.hostname, port, ssl=ctx, limit=1 << 16)
            try:
                host = parts.hostname if port == (443 if tls else 80) else f"{parts.hostname}:{port}"
                writer.write(
                    (
                        f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
                    ).encode("latin-1")
                )
                status = (await reader.readuntil(b"\r\n")).decode("latin-1")
                headers: dict[str, str] = {}
                while True:
                    line = await reader.readuntil(b"\r\n")
                    if line == b"\r\n":
                        break
                    k, _, v = line.decode("latin-1").partition(":")
                    headers[k.strip().lower()] = v.strip()
                code = status.split(" ", 2)
                if len(code) < 2 or code[1] != "101":
                    raise WebSocketError(f"the server did not switch protocols: {status.strip()[:100]}")
                if headers.get("upgrade", "").lower() != "websocket" or "upgrade" not in headers.get("connection", "").lower():
                    raise WebSocketError("the server's 101 lacks Upgrade: websocket / Connection: Upgrade")
                if headers.get("sec-websocket-accept") != accept_key(key):
                    raise WebSocketError("Sec-WebSocket-Accept does not match the key sent")
                if headers.get("sec-websocket-extensions"):
                    raise WebSocketError("the server chose an extension this client did not offer")
            except BaseException:
                writer.transport.abort()
                raise
            return cls(reader, writer)

        try:
            return await asyncio.wait_for(handshake(), timeout_s)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
            raise WebSocketError(f"the handshake failed: {type(e).__name__}") from None

    @property
    def open(self) -> bool:
        """True until a close frame was sent or received, or the connection dropped."""
        return self.close_code is None and not self._closing

    async def send(self, text: str) -> None:
        """Sends one text message (masked); a no-op once closing."""
        if not self.open:
            return
        self._write(_TEXT, text.encode("utf-8"))
        await self._writer.drain()

    async def recv(self) -> str | None:
        """The next text message, or None once the connection is closed (close_code says how)."""
        self._reading = True
        try:
            return await self._recv()
        finally:
            self._reading = False

    async def _recv(self) -> str | None:
        parts: list[bytes] = []
        size = 0
        while self.close_code is None:
            try:
                fin, opcode, payload = await self._frame()
            except (asyncio.IncompleteReadError, ConnectionError, OSError):
                self._dropped()
                return None
            except WebSocketError as e:
                await self._fail(PROTOCOL_ERROR, str(e))
                return None
            if opcode >= 0x8:
                await self._control(opcode, payload)
                continue
            if opcode == _BINARY or (opcode == _CONT and not parts) or (opcode == _TEXT and parts):
                await self._fail(UNSUPPORTED if opcode == _BINARY else PROTOCOL_ERROR, "unexpected data frame")
                return None
            size += len(payload)
            if size > MAX_MESSAGE:
                await self._fail(TOO_BIG, "message too big")
                return None
            parts.append(payload)
            if fin:
                try:
                    return b"".join(parts).decode("utf-8")
                except UnicodeDecodeError:
                    await self._fail(BAD_DATA, "a text message that is not UTF-8")
                    return None
        return None

    async def close(self, code: int = 1000, reason: str = "", timeout_s: float = 2) -> None:
        """Sends a close frame with `code` and waits (bounded) for the peer's, then drops the connection."""
        if self.close_code is None and not self._closing:
            self._closing = True
            self._write(_CLOSE, struct.pack("!H", code) + reason.encode("utf-8")[:123])
            try:
                await asyncio.wait_for(self._writer.drain(), timeout_s)
                # The peer's close frame arrives on the reading side: a recv() under way sees it, else read it here.
                wait = self._closed_event.wait() if self._reading else self._read_until_closed()
                await asyncio.wait_for(wait, timeout_s)
            except (asyncio.TimeoutError, ConnectionError, OSError):
                pass
        self.abort()

    def abort(self) -> None:
        """Drops the connection at once, without a close frame."""
        if self.close_code is None:
            self.close_code = ABNORMAL
        self._writer.transport.abort()
        self._closed_event.set()

    # --- internals ---------------------------------------------------------------------------

    def _write(self, opcode: int, payload: bytes) -> None:
        if not self._writer.is_closing():
            self._writer.write(encode_frame(opcode, payload, os.urandom(4)))

    async def _frame(self) -> tuple[bool, int, bytes]:
        b0, b1 = await self._reader.readexactly(2)
        fin, rsv, opcode = bool(b0 & 0x80), b0 & 0x70, b0 & 0x0F
        if rsv:
            raise WebSocketError("reserved bits set without an extension")
        if b1 & 0x80:
            raise WebSocketError("a masked frame from the server")
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", await self._reader.readexactly(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", await self._reader.readexactly(8))
        if opcode not in (_CONT, _TEXT, _BINARY, _CLOSE, _PING, _PONG):
            raise WebSocketError(f"unknown opcode {opcode}")
        if opcode >= 0x8 and (not fin or n > 125):
            raise WebSocketError("a fragmented or oversized control frame")
        if n > MAX_MESSAGE:
            raise WebSocketError("frame too big")
        return fin, opcode, await self._reader.readexactly(n)

    async def _control(self, opcode: int, payload: bytes) -> None:
        if opcode == _PING:
            self._write(_PONG, payload)
            await self._writer.drain()
        elif opcode == _CLOSE:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else NO_STATUS
            self.close_reason = payload[2:].decode("utf-8", "replace")
            if not self._closing:
                # Echo the close (RFC 6455 section 5.5.1), then the server closes the TCP connection.
                self._closing = True
                self._write(_CLOSE, payload[:2])
            self.close_code = code
            self._writer.transport.close()
            self._closed_event.set()

    async def _read_until_closed(self) -> None:
        while self.close_code is None:
            try:
                _, opcode, payload = await self._frame()
            except (asyncio.IncompleteReadError, ConnectionError, OSError, WebSocketError):
                self._dropped()
                return
            if opcode >= 0x8:
                await self._control(opcode, payload)

    async def _fail(self, code: int, why: str) -> None:
        # The peer broke the protocol: close with `code`, as RFC 6455 section 7.1.7 says.
        self._closing = True
        self._write(_CLOSE, struct.pack("!H", code) + why.encode("utf-8")[:123])
        self.close_code = code
        self.close_reason = why
        self.abort()

    def _dropped(self) -> None:
        if self.close_code is None:
            self.close_code = ABNORMAL
        self._closed_event.set()
