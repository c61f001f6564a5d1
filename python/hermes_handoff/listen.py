"""Binding the handoff socket (docs/protocol.md section 2.2): a fresh path renamed over the socket, atomically."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Awaitable, Callable

from .files import ensure_private_dir, is_socket

ConnectionHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class AlreadyListening(Exception):
    """A live listener answers on the socket: a new blue never replaces it."""


async def socket_answers(path: str, timeout_s: float = 0.5) -> bool:
    """True when something accepts a connection at `path` within `timeout_s`."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_unix_connection(path), timeout_s)
    except (OSError, asyncio.TimeoutError):
        return False
    writer.transport.abort()
    return True


async def listen_at(socket_path: str, handler: ConnectionHandler, takeover: bool) -> asyncio.AbstractServer:
    """Listens on a fresh path beside `socket_path` (0600, in a 0700 directory) and renames it over `socket_path`.

    Because the listener was bound under its own name, closing it later never unlinks whoever owns
    `socket_path` by then. Without `takeover` it raises AlreadyListening when a live listener answers.
    """
    directory = os.path.dirname(socket_path) or "."
    ensure_private_dir(directory)
    if not takeover and is_socket(socket_path) and await socket_answers(socket_path):
        raise AlreadyListening(f"another process is already listening on {socket_path}")
    fresh = os.path.join(directory, f".hs.{os.getpid()}.{secrets.token_hex(3)}")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(fresh)
        os.chmod(fresh, 0o600)
        sock.listen(128)
        sock.setblocking(False)
        server = await asyncio.start_unix_server(handler, sock=sock)
    except BaseException:
        sock.close()
        try:
            os.unlink(fresh)
        except OSError:
            pass
        raise
    try:
        os.rename(fresh, socket_path)
    except BaseException:
        server.close()
        try:
            os.unlink(fresh)
        except OSError:
            pass
        raise
    return server
