"""Green: one handoff from HELLO to serving or stopping, step by step or all at once with run()."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from typing import Literal, NoReturn, Union

from .blue import Blue
from .conn import FrameConn
from .cursors import Cursors
from .files import default_socket_path, read_token, read_verdict, write_pid_file, write_verdict
from .fmt import duration
from .frames import PROTOCOL_VERSION, Frame, HandoffInit, StoreRef, TimelineEntry, VerdictRecord
from .framing import Decoded, DecodeError
from .hooks import Gateway
from .ids import parse_handoff_id
from .limits import DEFAULT_DEADLINES, Deadlines
from .listen import socket_answers
from .observer import PROBE_MS, welcome_pid
from .text import clip
from .seam import Clock, PeerOs, RealOs, SystemClock, Timeout, wait_gone, within

Hook = Callable[[], Awaitable[None]]
Log = Callable[[str], None]
#: Timeline step names green writes, in order (a fixed set).
GREEN_STEPS = ("green-started", "init", "ack", "active", "complete", "taken-over")


@dataclass(frozen=True)
class GreenHooks:
    """Points where a test or fault injection can step in; each runs at the named protocol point."""

    before_ack: Hook | None = None
    after_ack: Hook | None = None
    #: After the adapters started from blue's cursors, before HANDOFF_CONFIRM.
    after_active: Hook | None = None
    after_confirm: Hook | None = None
    #: Before each HEALTH (seq from 1).
    before_heartbeat: Callable[[int], Awaitable[None]] | None = None
    #: On HANDOFF_COMPLETE, before green takes the socket over.
    on_complete: Hook | None = None
    #: The release green reports in HANDOFF_ACK (a fault may misreport it).
    ack_release: Callable[[str], str] | None = None


@dataclass(frozen=True)
class Serving:
    """Green serves from now on: it owns the socket (`blue` is its listener) and `verdict` is how its handoff ended."""

    verdict: VerdictRecord
    how: Literal["complete", "blue-died"]
    blue: Blue


@dataclass(frozen=True)
class Stopped:
    """Green's part ended without serving; the gateway stops its adapters (already paused) and exits.

    `decided_by` is `blue` when blue ended it (a refusal or HANDOFF_ROLLBACK: blue records the verdict),
    `green` when green gave up on its own (a deadline, standing down, no token).
    """

    verdict: Literal["rolled-back", "failed"]
    reason: str
    decided_by: Literal["blue", "green"] = "green"


GreenResult = Union[Serving, Stopped]


class GreenEnded(Exception):
    """Raised by a step when green's handoff has ended; `result` says how."""

    def __init__(self, result: GreenResult) -> None:
        super().__init__(result.reason if isinstance(result, Stopped) else result.verdict["reason"])
        self.result = result


def socket_path_from_env(home: str, env: dict[str, str] | None = None) -> str:
    """The handoff socket: HERMES_HANDOFF_SOCKET when the deployment moved it, else `$HERMES_HOME/run/handoff.sock`."""
    e = os.environ if env is None else env
    return e.get("HERMES_HANDOFF_SOCKET") or default_socket_path(home)


@dataclass
class _Flow:
    deadlines: Deadlines = field(default_factory=lambda: DEFAULT_DEADLINES.copy())
    bake_ms: int = 0
    blue_pid: int | None = None
    init: HandoffInit | None = None
    adapters_started: bool = False
    paused_at: int | None = None
    polling_at: int | None = None


def handover_notes(gateway: Gateway, paused_at: int | None) -> list[str]:
    """The gateway's optional `handover_notes(paused_at)`: what its last resume() could not do as handed over (HANDOFF_CONFIRM.notes)."""
    notes: Callable[[int | None], list[str]] | None = getattr(gateway, "handover_notes", None)
    return [clip(str(n), 1024) for n in notes(paused_at)] if notes is not None else []


class Green:
    """Plays green in one handoff: connect(), ack() once initialised, active() -> cursors, confirm(), bake(), take_over().

    Each step raises GreenEnded when the handoff ends for green (refused, rolled back, blue gone: then
    green serves or stands down by docs/protocol.md section 15). run() does all the steps in order.
    """

    def __init__(
        self,
        gateway: Gateway,
        *,
        home: str,
        handoff_id: str,
        release: str,
        runtime: str,
        store: StoreRef,
        readable_schemas: Collection[int] | None = None,
        socket_path: str | None = None,
        blue_pid: int | None = None,
        clock: Clock | None = None,
        peer_os: PeerOs | None = None,
        log: Log | None = None,
        hooks: GreenHooks | None = None,
    ) -> None:
        self._gw = gateway
        self._home = home
        self._id = parse_handoff_id(handoff_id)
        self._release = release
        self._runtime = runtime
        self._store = store
        self._readable = set(readable_schemas) if readable_schemas is not None else {store["schema"]}
        self._socket_path = socket_path or default_socket_path(home)
        self._clock = clock or SystemClock()
        self._os = peer_os or RealOs()
        self._log: Log = log or (lambda _msg: None)
        self._hooks = hooks or GreenHooks()
        self._flow = _Flow(blue_pid=blue_pid)
        self._conn: FrameConn | None = None
        self._frames: asyncio.Queue[Frame] = asyncio.Queue()
        self._token = ""
        self.timeline: list[TimelineEntry] = [{"phase": "green-started", "at": self._clock.now()}]

    # --- the steps -----------------------------------------------------------------------------

    async def connect(self) -> HandoffInit | None:
        """HELLO as green; returns HANDOFF_INIT, or None when blue could not be reached (judged after start-up)."""
        token = read_token(self._socket_path)
        if token is None:
            raise GreenEnded(Stopped("failed", f"no token beside {self._socket_path}"))
        self._token = token
        hello_ms = self._flow.deadlines["hello_ms"]
        try:
            reader, writer = await within(self._clock, hello_ms, self._open())
        except (Timeout, OSError) as e:
            self._log(f"green: cannot reach blue at {self._socket_path}: {e}")
            return None
        self._conn = FrameConn(reader, writer, self._on_decoded)
        self._conn.send(
            {
                "v": PROTOCOL_VERSION,
                "type": "HELLO",
                "role": "green",
                "token": token,
                "pid": self._os.pid,
                "handoff_id": self._id,
                "client": f"green-py/{self._runtime}",
            }
        )
        n = await self._next(hello_ms)
        if n == "timeout":
            self._stop("failed", f"blue sent no HANDOFF_INIT within {duration(hello_ms)}")
        if n == "closed":
            return None
        assert not isinstance(n, str)
        if n["type"] == "ERROR":
            self._stop("failed", f"blue refused green: {n['code']}: {n['message']}", "blue")
        if n["type"] != "HANDOFF_INIT":
            self._stop("failed", f"expected HANDOFF_INIT, got {n['type']}")
        assert n["type"] == "HANDOFF_INIT"
        f = self._flow
        f.init, f.blue_pid, f.deadlines, f.bake_ms = n, n["blue_pid"], n["deadlines"], n["bake_ms"]
        self._mark("init")
        theirs = n["store"]["schema"]
        if theirs not in self._readable:
            # Roll back before ACK rather than misread blue's store (protocol section 17).
            reason = f"cannot read store schema {theirs} at {n['store']['path']}"
            self._send({"type": "HANDOFF_ROLLBACK", "handoff_id": self._id, "reason": reason})
            self._stop("failed", reason)
        return n

    async def ack(self, init_ms: int) -> None:
        """Tells blue green is fully initialised (call it after the whole start-up); blue then drains."""
        if self._flow.init is None or (self._closed() and self._frames.empty()):
            await self._blue_gone("start-up")
        if self._hooks.before_ack is not None:
            await self._hooks.before_ack()
        release = self._hooks.ack_release(self._release) if self._hooks.ack_release else self._release
        assert self._flow.init is not None
        self._send(
            {
                "type": "HANDOFF_ACK",
                "handoff_id": self._id,
                "pid": self._os.pid,
                "runtime": self._runtime,
                "release": release,
                "store_schema": self._flow.init["store"]["schema"],
                "init_ms": max(0, int(init_ms)),
            }
        )
        self._mark("ack")
        if self._hooks.after_ack is not None:
            await self._hooks.after_ack()

    async def active(self) -> Cursors:
        """Waits for HANDOFF_ACTIVE and returns the cursors to start every adapter from."""
        limit = self._flow.deadlines["drain_ms"] + self._flow.deadlines["hello_ms"]
        a = await self._next(limit)
        if a == "closed":
            await self._blue_gone("the drain")
        if a == "timeout":
            self._send({"type": "HANDOFF_ROLLBACK", "handoff_id": self._id, "reason": f"no HANDOFF_ACTIVE within {duration(limit)}"})
            self._stop("failed", "blue did not hand over in time")
        assert not isinstance(a, str)
        if a["type"] == "HANDOFF_ROLLBACK":
            self._stop("failed", f"blue rolled back: {a['reason']}", "blue")
        if a["type"] != "HANDOFF_ACTIVE":
            self._stop("failed", f"expected HANDOFF_ACTIVE, got {a['type']}")
        assert a["type"] == "HANDOFF_ACTIVE"
        self._flow.paused_at = a["paused_at"]
        return a["cursors"]

    async def start_adapters(self, cursors: Cursors | None) -> int:
        """Starts the gateway's adapters from `cursors` (gateway.resume); one that cannot start (a cursor of another kind) rolls back."""
        try:
            polling_at = await self._gw.resume(cursors)
        except Exception as e:  # noqa: BLE001 - poll nothing, give the cursors back
            reason = f"could not start the adapters: {e}"
            self._log(f"green: {reason}")
            if self._conn is not None:
                await self._stop_adapters()  # whatever did start stops again
                self._send({"type": "HANDOFF_ROLLBACK", "handoff_id": self._id, "reason": reason})
                self._stop("rolled-back", reason)
            raise
        self._flow.adapters_started = True
        self._flow.polling_at = polling_at
        return polling_at

    async def confirm(self, polling_at: int) -> None:
        """Tells blue green is polling (HANDOFF_CONFIRM with every adapter it started)."""
        self._mark("active")
        if self._hooks.after_active is not None:
            await self._hooks.after_active()
        confirm: dict[str, object] = {"type": "HANDOFF_CONFIRM", "handoff_id": self._id, "adapters": self._gw.adapters(), "polling_at": polling_at}
        notes = handover_notes(self._gw, self._flow.paused_at)
        if notes:
            confirm["notes"] = notes[:8]
        self._send(confirm)
        if self._hooks.after_confirm is not None:
            await self._hooks.after_confirm()

    async def bake(self) -> VerdictRecord:
        """Sends HEALTH every heartbeat_ms until blue decides; returns the promoted record on HANDOFF_COMPLETE."""
        beat = asyncio.ensure_future(self._heartbeats())
        try:
            f = self._flow
            limit = f.bake_ms + f.deadlines["rollback_grace_ms"] + 30_000
            end = self._clock.monotonic() + limit
            while True:
                n = await self._next(max(1.0, end - self._clock.monotonic()))
                if n == "closed":
                    beat.cancel()
                    await self._blue_gone("the bake")
                if n == "timeout":
                    beat.cancel()
                    await self.rollback(f"no verdict from blue within {duration(limit)}")
                    self._stop("rolled-back", "blue gave no verdict in time")
                assert not isinstance(n, str)
                if n["type"] == "HANDOFF_COMPLETE":
                    beat.cancel()
                    self._mark("complete")
                    if self._hooks.on_complete is not None:
                        await self._hooks.on_complete()
                    return read_verdict(self._home, self._id) or self._fallback_verdict(n["reason"])
                if n["type"] == "HANDOFF_ROLLBACK":
                    beat.cancel()
                    cursors = await self._stop_adapters()
                    self._send({"type": "HANDOFF_STOPPED", "handoff_id": self._id, "cursors": cursors})
                    self._stop("rolled-back", n["reason"], "blue")
                if n["type"] == "ERROR":
                    # Anything else (an ERROR about a frame, a newer type) does not end the bake.
                    self._log(f"green: blue said {n['code']}: {n['message']}")
        finally:
            beat.cancel()

    async def take_over(self, verdict: VerdictRecord, how: Literal["complete", "blue-died"]) -> Serving:
        """Becomes the next blue: rewrites gateway.pid, renames its listener over the socket, then answers HANDOFF_COMPLETE."""
        write_pid_file(self._home, self._os.pid)
        blue = Blue(
            self._gw,
            home=self._home,
            release=self._release,
            runtime=self._runtime,
            store=self._store,
            socket_path=self._socket_path,
            takeover=True,
            last_verdict=verdict,
            clock=self._clock,
            peer_os=self._os,
            log=self._log,
        )
        await blue.start()
        if how == "complete":
            # Only now, with green's listener in place, may blue leave.
            self._send({"type": "HANDOFF_COMPLETE", "handoff_id": self._id, "reason": "green owns the socket"})
        if self._conn is not None:
            self._conn.close()
        return Serving(verdict, how, blue)

    async def rollback(self, reason: str) -> None:
        """Green rolls itself back: stops polling first (if it started), then HANDOFF_ROLLBACK with where it stopped."""
        frame: dict[str, object] = {"type": "HANDOFF_ROLLBACK", "handoff_id": self._id, "reason": reason}
        if self._flow.adapters_started:
            frame["cursors"] = await self._stop_adapters()
        self._send(frame)

    async def run(self, init: Callable[[], Awaitable[None]]) -> GreenResult:
        """The whole handoff: connect, `init` (the gateway's full start-up), ack, start from the cursors, confirm, bake, take over."""
        try:
            await self.connect()
            t0 = self._clock.monotonic()
            await init()
            await self.ack(int(self._clock.monotonic() - t0))
            cursors = await self.active()
            polling_at = await self.start_adapters(cursors)
            await self.confirm(polling_at)
            verdict = await self.bake()
            return await self.take_over(verdict, "complete")
        except GreenEnded as e:
            return e.result

    # --- blue gone (section 15, decision 4) ------------------------------------------------------

    async def _blue_gone(self, phase: str) -> NoReturn:
        f = self._flow
        grace = f.deadlines["rollback_grace_ms"]
        how = "exited"
        if f.blue_pid is not None:
            # A blue that is stopping may take a moment to exit: wait up to the grace period before judging it alive.
            if not await wait_gone(self._os, self._clock, f.blue_pid, grace):
                answered, _ = await welcome_pid(self._socket_path, self._token, self._clock, PROBE_MS)
                if answered == f.blue_pid:
                    await self._stand_down(f"blue (pid {f.blue_pid}) closed the handoff connection during {phase} and is still running")
                # Alive by its pid but not serving the socket: a reused pid, or a blue that lost its listener.
                who = "no process" if answered is None else f"pid {answered}"
                how = f"left the socket (its pid runs, the socket answers from {who})"
        elif await socket_answers(self._socket_path, PROBE_MS / 1000):
            await self._stand_down(f"cannot tell whether blue is alive (no pid) and something listens on {self._socket_path}")
        if not f.adapters_started:
            await self.start_adapters(None)
        who = f"blue (pid {f.blue_pid})" if f.blue_pid is not None else "blue"
        reason = f"{who} {how} during {phase}; green took over"
        entry: TimelineEntry = {"phase": "taken-over", "at": self._clock.now(), "note": reason}
        self.timeline.append(entry)
        record: VerdictRecord = {
            "v": PROTOCOL_VERSION,
            "handoff_id": self._id,
            "verdict": "promoted",
            "reason": reason,
            "release": self._release,
            "runtime": self._runtime,
            "blue_pid": f.blue_pid,
            "green_pid": self._os.pid,
            "decided_by": "green",
            "decided_at": self._clock.now(),
            "dark_window_ms": self._dark_window(),
            "timeline": list(self.timeline[-256:]),
            "health": [],
        }
        try:
            write_verdict(self._home, record)
        except (OSError, ValueError) as e:
            record["record_error"] = f"could not write the verdict file: {e}"
        self._log(f"green: {reason}")
        raise GreenEnded(await self.take_over(record, "blue-died"))

    async def _stand_down(self, reason: str) -> NoReturn:
        if self._flow.adapters_started:
            await self._stop_adapters()
        self._stop("failed", reason)

    # --- helpers -------------------------------------------------------------------------------

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        # Blue may be mid-restart or not bound yet: retry every 100 ms while the socket is missing or refuses.
        while True:
            try:
                return await asyncio.open_unix_connection(self._socket_path)
            except (FileNotFoundError, ConnectionRefusedError):
                await self._clock.sleep(100)

    async def _stop_adapters(self) -> Cursors:
        try:
            paused = await within(self._clock, self._flow.deadlines["drain_ms"], self._gw.pause())
            await within(self._clock, self._flow.deadlines["drain_ms"], self._gw.drain())
            return paused.cursors
        except (Timeout, Exception) as e:  # noqa: BLE001 - report where polling stands even when the drain failed
            self._log(f"green: stopping the adapters failed: {e}")
            return self._gw.cursors()

    async def _heartbeats(self) -> None:
        seq = 0
        while True:
            await self._clock.sleep(self._flow.deadlines["heartbeat_ms"])
            if self._closed():
                return
            seq += 1
            if self._hooks.before_heartbeat is not None:
                await self._hooks.before_heartbeat(seq)
            w = self._gw.health()
            sample: dict[str, object] = {"seq": seq, "at": self._clock.now()}
            sample.update(w)
            self._send({"type": "HEALTH", "handoff_id": self._id, "sample": sample, "cursors": self._gw.cursors()})

    def _dark_window(self) -> int | None:
        f = self._flow
        return max(0, f.polling_at - f.paused_at) if f.paused_at is not None and f.polling_at is not None else None

    def _fallback_verdict(self, reason: str) -> VerdictRecord:
        # Blue could not write the verdict file: green keeps its own account, without writing it.
        return {
            "v": PROTOCOL_VERSION,
            "handoff_id": self._id,
            "verdict": "promoted",
            "reason": reason,
            "release": self._release,
            "runtime": self._runtime,
            "blue_pid": self._flow.blue_pid,
            "green_pid": self._os.pid,
            "decided_by": "blue",
            "decided_at": self._clock.now(),
            "dark_window_ms": self._dark_window(),
            "timeline": list(self.timeline[-256:]),
            "health": [],
            "record_error": "blue could not write the verdict file; this is green's account",
        }

    def _mark(self, step: str) -> None:
        self.timeline.append({"phase": step, "at": self._clock.now()})

    def _send(self, frame: dict[str, object]) -> None:
        if self._conn is not None:
            self._conn.send({"v": PROTOCOL_VERSION, **frame})

    def _stop(self, verdict: Literal["rolled-back", "failed"], reason: str, by: Literal["blue", "green"] = "green") -> NoReturn:
        if self._conn is not None:
            self._conn.close()
        raise GreenEnded(Stopped(verdict, reason, by))

    def _closed(self) -> bool:
        return self._conn is None or self._conn.is_closed

    def _on_decoded(self, d: Decoded) -> None:
        if isinstance(d, DecodeError):
            self._log(f"green: bad frame from blue: {d.message}")
        else:
            self._frames.put_nowait(d)

    async def _next(self, ms: float) -> Frame | Literal["closed", "timeout"]:
        if not self._frames.empty():
            return self._frames.get_nowait()
        conn = self._conn
        if conn is None or conn.is_closed:
            return "closed"
        get = asyncio.ensure_future(self._frames.get())
        closed = asyncio.ensure_future(conn.wait_closed())
        timer = asyncio.ensure_future(self._clock.sleep(ms))
        try:
            await asyncio.wait((get, closed, timer), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in (closed, timer):
                t.cancel()
            if not get.done():
                get.cancel()
        if get.done() and not get.cancelled():
            return get.result()
        if closed.done() and not closed.cancelled():
            # Frames written just before the close were queued first.
            return self._frames.get_nowait() if not self._frames.empty() else "closed"
        return "timeout"
