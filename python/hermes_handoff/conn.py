"""A protocol connection over an asyncio stream: NDJSON frames in, frames out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from .framing import Decoded, FrameDecoder, encode_frame

#: A peer that lets more than this pile up unread loses its connection (it cannot make blue hold memory).
MAX_UNSENT = 8 << 20


class FrameConn:
    """One connection: `on_decoded` gets every frame or decode error in order; send() and close() never raise."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_decoded: Callable[[Decoded], None],
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._on_decoded = on_decoded
        self._decoder = FrameDecoder()
        self._closed = asyncio.get_running_loop().create_future()
        self._reading = asyncio.ensure_future(self._read())

    @property
    def is_closed(self) -> bool:
        """True once either side closed the connection."""
        return self._closed.done()

    async def wait_closed(self) -> None:
        """Returns when the connection is closed."""
        await asyncio.shield(self._closed)

    def send(self, frame: Mapping[str, object]) -> bool:
        """Sends one frame; False (and nothing sent) on a closed connection."""
        if self.is_closed or self._writer.is_closing():
            return False
        self._writer.write(encode_frame(frame))
        if self._writer.transport.get_write_buffer_size() > MAX_UNSENT:
            self.destroy()
            return False
        return True

    def close(self, last: Mapping[str, object] | None = None) -> None:
        """Sends `last` (if any), then closes once it is flushed; a peer that does not read is cut off after 1 s."""
        if self.is_closed:
            return
        if last is not None:
            self.send(last)
        self._mark_closed()
        transport = self._writer.transport
        self._writer.close()
        asyncio.get_running_loop().call_later(1.0, transport.abort)

    def destroy(self) -> None:
        """Drops the connection at once."""
        self._mark_closed()
        self._writer.transport.abort()

    async def _read(self) -> None:
        try:
            while not self.is_closed:
                chunk = await self._reader.read(65536)
                if not chunk:
                    break
                for d in self._decoder.push(chunk):
                    if self.is_closed:
                        return
                    self._on_decoded(d)
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            # What was already queued for the peer still goes out (a reply to its last frame).
            self.close()

    def _mark_closed(self) -> None:
        if not self._closed.done():
            self._closed.set_result(None)
