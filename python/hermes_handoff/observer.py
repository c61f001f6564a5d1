"""The observer role: HELLO, then RESERVE, STATUS, SUBSCRIBE and ABORT over one connection, one request at a time."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from typing import cast

from .conn import FrameConn
from .frames import PROTOCOL_VERSION, Aborting, Event, Frame, Reserved, State, Welcome
from .framing import Decoded, DecodeError
from .seam import Clock, SystemClock, Timeout, within


class PeerError(Exception):
    """Blue refused (its ERROR code and message), or the connection failed (`closed`, `timeout`, `bad_frame`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Observer:
    """A client of the handoff socket that reserves, watches and aborts; it never serves."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._conn: FrameConn | None = None
        self._pending: tuple[str, asyncio.Future[Frame]] | None = None
        self._lock = asyncio.Lock()
        self._on_event: Callable[[Event], None] | None = None
        #: The WELCOME blue answered the HELLO with.
        self.welcome: Welcome | None = None

    @classmethod
    async def connect(
        cls,
        socket_path: str,
        token: str,
        *,
        timeout_ms: float = 5_000,
        client: str = "hermes-handoff-py",
        clock: Clock | None = None,
    ) -> Observer:
        """Connects and says HELLO as an observer; returns once WELCOME arrived (raises PeerError otherwise)."""
        self = cls(clock or SystemClock())
        try:
            reader, writer = await within(self._clock, timeout_ms, asyncio.open_unix_connection(socket_path))
        except Timeout:
            raise PeerError("timeout", f"no connection to {socket_path} within {timeout_ms:g} ms") from None
        except OSError as e:
            raise PeerError("closed", f"cannot connect to {socket_path}: {e.strerror or e}") from None
        self._conn = FrameConn(reader, writer, self._on_decoded)
        asyncio.ensure_future(self._watch_close(self._conn))
        hello = {"v": PROTOCOL_VERSION, "type": "HELLO", "role": "observer", "token": token, "pid": os.getpid(), "client": client}
        try:
            self.welcome = cast(Welcome, await self._request(hello, "WELCOME", timeout_ms))
        except BaseException:
            self.close()
            raise
        return self

    @property
    def closed(self) -> bool:
        """True once the connection is closed."""
        return self._conn is None or self._conn.is_closed

    async def status(self, timeout_ms: float = 5_000) -> State:
        """One STATE frame."""
        return cast(State, await self._request({"v": PROTOCOL_VERSION, "type": "STATUS"}, "STATE", timeout_ms))

    async def subscribe(self, on_event: Callable[[Event], None], timeout_ms: float = 5_000) -> State:
        """The current STATE; every later EVENT goes to `on_event`."""
        self._on_event = on_event
        return cast(State, await self._request({"v": PROTOCOL_VERSION, "type": "SUBSCRIBE"}, "STATE", timeout_ms))

    async def reserve(
        self,
        handoff_id: str,
        release: str,
        runtime: str,
        bake_ms: int,
        *,
        thresholds: Mapping[str, object] | None = None,
        deadlines: Mapping[str, object] | None = None,
        observe_ms: int | None = None,
        observe_thresholds: Mapping[str, object] | None = None,
        timeout_ms: float = 5_000,
    ) -> Reserved:
        """Reserves a handoff (with an observation window of `observe_ms` after a promotion when > 0); raises
        PeerError("busy") when one is under way, ("exists") when the id already has a verdict."""
        frame: dict[str, object] = {
            "v": PROTOCOL_VERSION,
            "type": "RESERVE",
            "handoff_id": handoff_id,
            "release": release,
            "runtime": runtime,
            "bake_ms": bake_ms,
        }
        if thresholds is not None:
            frame["thresholds"] = dict(thresholds)
        if deadlines is not None:
            frame["deadlines"] = dict(deadlines)
        if observe_ms is not None:
            frame["observe_ms"] = observe_ms
        if observe_thresholds is not None:
            frame["observe_thresholds"] = dict(observe_thresholds)
        return cast(Reserved, await self._request(frame, "RESERVED", timeout_ms))

    async def abort(self, handoff_id: str, reason: str, timeout_ms: float = 5_000) -> Aborting:
        """Asks blue to end handoff `handoff_id` (release a reservation, or roll back)."""
        frame = {"v": PROTOCOL_VERSION, "type": "ABORT", "handoff_id": handoff_id, "reason": reason}
        return cast(Aborting, await self._request(frame, "ABORTING", timeout_ms))

    def close(self) -> None:
        """Closes the connection."""
        if self._conn is not None:
            self._conn.destroy()

    async def _request(self, frame: Mapping[str, object], expect: str, timeout_ms: float) -> Frame:
        async with self._lock:
            conn = self._conn
            if conn is None or conn.is_closed:
                raise PeerError("closed", "the handoff socket closed")
            fut: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
            self._pending = (expect, fut)
            conn.send(frame)
            try:
                return await within(self._clock, timeout_ms, asyncio.shield(fut))
            except Timeout:
                raise PeerError("timeout", f"no {expect} within {timeout_ms:g} ms") from None
            finally:
                self._pending = None

    def _on_decoded(self, d: Decoded) -> None:
        if isinstance(d, DecodeError):
            if d.fatal:
                self._fail(PeerError(d.code, f"bad frame from blue: {d.message}"))
            return  # a type from a newer version: not ours to answer
        if d["type"] == "EVENT":
            if self._on_event is not None:
                self._on_event(d["event"])
            return
        pending = self._pending
        if pending is None or pending[1].done():
            return
        if d["type"] == "ERROR":
            pending[1].set_exception(PeerError(d["code"], d["message"]))
        elif d["type"] == pending[0]:
            pending[1].set_result(d)

    def _fail(self, e: PeerError) -> None:
        if self._pending is not None and not self._pending[1].done():
            self._pending[1].set_exception(e)

    async def _watch_close(self, conn: FrameConn) -> None:
        await conn.wait_closed()
        self._fail(PeerError("closed", "the handoff socket closed"))


#: How long a probe waits for a WELCOME (blue checking green's takeover, green checking whether blue still serves).
PROBE_MS = 2_000


async def welcome_pid(socket_path: str, token: str, clock: Clock, timeout_ms: float = PROBE_MS) -> tuple[int | None, str]:
    """Whose WELCOME the socket answers with: (server_pid, "") or (None, why not), within `timeout_ms`."""
    try:
        obs = await Observer.connect(socket_path, token, timeout_ms=timeout_ms, clock=clock, client="hermes-handoff-py/probe")
    except PeerError as e:
        return None, f"nobody ({e.message})"
    pid = obs.welcome["server_pid"] if obs.welcome else None
    obs.close()
    return pid, ""
