"""The reference gateway's hand-written websocket client against a scripted server speaking raw RFC 6455 frames."""

from __future__ import annotations

import asyncio
import struct
import sys
import os
import unittest
from collections.abc import Awaitable, Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples"))

from refgw.websocket import WebSocket, WebSocketError, accept_key, encode_frame, mask  # noqa: E402

Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """One frame from the client: opcode, unmasked payload, and whether it was masked."""
    b0, b1 = await reader.readexactly(2)
    n = b1 & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", await reader.readexactly(2))
    elif n == 127:
        (n,) = struct.unpack("!Q", await reader.readexactly(8))
    masked = bool(b1 & 0x80)
    key = await reader.readexactly(4) if masked else b""
    payload = await reader.readexactly(n)
    return b0 & 0x0F, mask(payload, key) if masked else payload, masked


class Server:
    """Accepts one client: answers its handshake (or not), then runs `script`."""

    def __init__(self, script: Script, accept: Callable[[str], str] = accept_key, status: str = "101 Switching Protocols") -> None:
        self.script = script
        self.accept = accept
        self.status = status
        self.request = b""
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def start(self) -> str:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"ws://127.0.0.1:{port}/discord/gateway?v=10&encoding=json"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            self.request = await reader.readuntil(b"\r\n\r\n")
            key = next(line.split(b":", 1)[1].strip().decode() for line in self.request.split(b"\r\n") if line.lower().startswith(b"sec-websocket-key:"))
            writer.write(f"HTTP/1.1 {self.status}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {self.accept(key)}\r\n\r\n".encode())
            await self.script(reader, writer)
            if not self.done.done():
                self.done.set_result(None)
        except BaseException as e:  # noqa: BLE001 - handed to the test
            if not self.done.done():
                self.done.set_exception(e)
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    async def close(self) -> None:
        self.server.close()
        await self.server.wait_closed()


class WebSocketClient(unittest.IsolatedAsyncioTestCase):
    async def test_handshake_masked_text_fragments_ping_and_the_peers_close_code(self) -> None:
        seen: dict[str, object] = {}

        async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            op, payload, masked = await read_frame(reader)
            seen["first"] = (op, payload, masked)
            writer.write(encode_frame(0x1, b'{"op":10}', None))
            # A message in two fragments, with a ping between them (control frames may interleave).
            writer.write(bytes([0x01, 5]) + b'{"op"')
            writer.write(encode_frame(0x9, b"are you there", None))
            writer.write(bytes([0x80, 4]) + b":11}")
            writer.write(encode_frame(0x1, "é" .encode() * 40_000, None))  # a 64-bit length
            seen["pong"] = await read_frame(reader)
            writer.write(encode_frame(0x8, struct.pack("!H", 4000) + b"resumed elsewhere", None))
            seen["echo"] = await read_frame(reader)

        srv = Server(script)
        url = await srv.start()
        try:
            ws = await WebSocket.connect(url, 5)
            await ws.send('{"op":2}')
            self.assertEqual(await ws.recv(), '{"op":10}')
            self.assertEqual(await ws.recv(), '{"op":11}')
            self.assertEqual(await ws.recv(), "é" * 40_000)
            self.assertIsNone(await ws.recv())
            self.assertEqual((ws.close_code, ws.close_reason), (4000, "resumed elsewhere"))
            await asyncio.wait_for(srv.done, 5)
        finally:
            await srv.close()
        self.assertIn(b"GET /discord/gateway?v=10&encoding=json HTTP/1.1", srv.request)
        self.assertIn(b"Sec-WebSocket-Version: 13", srv.request)
        self.assertEqual(seen["first"], (0x1, b'{"op":2}', True))
        self.assertEqual(seen["pong"], (0xA, b"are you there", True))
        self.assertEqual(seen["echo"], (0x8, struct.pack("!H", 4000), True))

    async def test_a_close_with_a_resumable_code_waits_for_the_peers_close(self) -> None:
        got: list[tuple[int, bytes, bool]] = []

        async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            got.append(await read_frame(reader))
            writer.write(encode_frame(0x8, got[0][1][:2], None))
            await writer.drain()

        srv = Server(script)
        url = await srv.start()
        try:
            ws = await WebSocket.connect(url, 5)
            reading = asyncio.ensure_future(ws.recv())  # the adapter's reader is always waiting
            await asyncio.sleep(0.01)
            await ws.close(4000, "handover")
            self.assertIsNone(await asyncio.wait_for(reading, 5))
            self.assertEqual(ws.close_code, 4000)
            await asyncio.wait_for(srv.done, 5)
        finally:
            await srv.close()
        self.assertEqual(got, [(0x8, struct.pack("!H", 4000) + b"handover", True)])

    async def test_a_wrong_accept_key_or_status_fails_the_handshake(self) -> None:
        async def nothing(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(0)

        for srv in (Server(nothing, accept=lambda _k: "d3Jvbmc="), Server(nothing, status="403 Forbidden")):
            url = await srv.start()
            try:
                with self.assertRaises(WebSocketError):
                    await WebSocket.connect(url, 5)
            finally:
                await srv.close()

    async def test_protocol_errors_close_with_1002_and_a_drop_is_1006(self) -> None:
        async def masked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(encode_frame(0x1, b"masked by the server", b"abcd"))
            self.assertEqual((await read_frame(reader))[0], 0x8)

        async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.transport.abort()

        for script, code in ((masked, 1002), (drop, 1006)):
            srv = Server(script)
            url = await srv.start()
            try:
                ws = await WebSocket.connect(url, 5)
                self.assertIsNone(await asyncio.wait_for(ws.recv(), 5))
                self.assertEqual(ws.close_code, code)
                await asyncio.wait_for(srv.done, 5)
            finally:
                await srv.close()

    def test_masking_is_its_own_inverse_and_frames_encode_their_length(self) -> None:
        data = bytes(range(256)) * 3 + b"xyz"
        self.assertEqual(mask(mask(data, b"\x01\x02\x03\x04"), b"\x01\x02\x03\x04"), data)
        self.assertEqual(mask(b"ab", b"\xff\x00\xff\x00"), bytes([ord("a") ^ 0xFF, ord("b")]))
        self.assertEqual(encode_frame(0x1, b"x" * 125, None)[:2], bytes([0x81, 125]))
        self.assertEqual(encode_frame(0x1, b"x" * 126, None)[:4], bytes([0x81, 126, 0, 126]))
        self.assertEqual(encode_frame(0x1, b"x" * 70_000, b"kkkk")[:2], bytes([0x81, 0x80 | 127]))
        # RFC 6455 section 1.3's example.
        self.assertEqual(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")


if __name__ == "__main__":
    unittest.main()
