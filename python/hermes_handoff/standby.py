"""The standby role: the old blue after a promotion with an observation window (docs/protocol.md section 14.1).

It runs the pure standby machine (`standby_machine`) in one loop and carries out its effects: attaching to
green's socket, the take-back (verdict file, stopping green, the socket, the adapters), leaving.
"""

from __future__ import annotations

import asyncio
import errno
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from . import standby_machine as sm
from .conn import FrameConn
from .cursors import Cursors
from .files import write_verdict
from .fmt import duration, timestamp
from .frames import PROTOCOL_VERSION, Frame, ObservationOutcome, VerdictRecord
from .framing import Decoded, DecodeError
from .limits import PROBE_MS
from .seam import SIGKILL, Clock, PeerOs, Timeout, wait_gone, within

#: How often the standby checks green's pid, the heartbeat age and the deadlines.
STANDBY_TICK_MS = 200
#: How long the standby keeps reading a dead green's still-open connection (its HANDOFF_STOPPED) before it judges by the pid.
DEAD_GREEN_READ_MS = 1_000

Log = Callable[[str], None]


@dataclass
class _Attached:
    """One connection to the socket, and whether a STANDBY_WELCOME came on it."""

    conn: FrameConn | None = None
    welcomed: bool = False


class Standby:
    """Watches green through the observation window and takes it back when it fails; start() begins, stop() ends it."""

    def __init__(
        self,
        setup: sm.StandbySetup,
        *,
        socket_path: str,
        token: str,
        home: str,
        clock: Clock,
        peer_os: PeerOs,
        log: Log,
        reclaim: Callable[[VerdictRecord], Awaitable[None]],
        resume: Callable[[Cursors | None], Awaitable[None]],
        leave: Callable[[ObservationOutcome, VerdictRecord | None], None],
    ) -> None:
        self._setup = setup
        self._socket_path = socket_path
        self._token = token
        self._home = home
        self._clock = clock
        self._os = peer_os
        self._log = log
        self._reclaim = reclaim
        self._resume = resume
        self._leave = leave
        self._state: sm.StandbyState | None = None
        self._stopped = False
        self._current: _Attached | None = None
        self._effects: asyncio.Queue[list[sm.StandbyEffect]] = asyncio.Queue()
        self._tasks: set[asyncio.Task[object]] = set()
        self._dead_while_open: float | None = None
        #: The last record this standby wrote (how the window ended).
        self._written: VerdictRecord | None = None

    @property
    def state(self) -> sm.StandbyState:
        """The machine's current state (a snapshot)."""
        assert self._state is not None
        return self._state

    def start(self) -> None:
        """Starts observing: attaches to green's socket and checks every STANDBY_TICK_MS."""
        r = sm.standby_start(self._setup, self._clock.now())
        self._state = r.state
        su = self._setup
        self._log(f"standby: observing handoff {su.handoff_id} (green pid {su.green_pid}) until {timestamp(su.until)}")
        self._spawn(self._run_effects())
        self._spawn(self._ticker())
        self._effects.put_nowait(r.effects)

    def stop(self) -> None:
        """Stops the loop and closes the connection (the process is stopping); green is left alone."""
        if self._stopped:
            return
        self._stopped = True
        self._close_current()
        current = asyncio.current_task()
        for t in list(self._tasks):
            if t is not current:
                t.cancel()

    # --- the loop ------------------------------------------------------------------------------

    def _spawn(self, coro: Awaitable[object]) -> None:
        task: asyncio.Task[object] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _dispatch(self, ev: sm.StandbyEvent) -> None:
        if self._stopped or self._state is None:
            return
        before = self._state.phase
        r = sm.standby_step(self._state, ev)
        self._state = r.state
        if r.state.phase != before:
            why = f": {r.state.trigger}" if r.state.phase == "stopping" and r.state.trigger else ""
            self._log(f"standby: {before} -> {r.state.phase}{why}")
        if r.effects:
            self._effects.put_nowait(r.effects)

    async def _run_effects(self) -> None:
        # Until the machine is done (it took back or the window ended) and its last effects ran.
        while not (self._stopped and self._effects.empty()):
            effects = await self._effects.get()
            for fx in effects:
                # One failing effect must not skip the ones after it.
                try:
                    await self._effect(fx)
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # noqa: BLE001 - logged, the loop carries on
                    self._log(f"standby: {type(fx).__name__} failed: {e}")

    async def _effect(self, fx: sm.StandbyEffect) -> None:
        if isinstance(fx, sm.Attach):
            await self._attach()
        elif isinstance(fx, sm.Send):
            if self._current is not None and self._current.conn is not None:
                self._current.conn.send({"v": PROTOCOL_VERSION, **fx.frame})
        elif isinstance(fx, sm.Close):
            self._close_current()
        elif isinstance(fx, sm.KillGreen):
            self._log(f"standby: green (pid {fx.pid}) did not stop: SIGKILL")
            self._os.kill(fx.pid, SIGKILL)
            await wait_gone(self._os, self._clock, fx.pid, 2_000)
        elif isinstance(fx, sm.Record):
            self._written = fx.record
            try:
                write_verdict(self._home, fx.record)
            except (OSError, ValueError) as e:
                self._log(f"standby: could not write the verdict file: {e}")
        elif isinstance(fx, sm.Reclaim):
            self._halt()
            self._log(f"standby: taking back: {fx.record['reason']}")
            await self._reclaim(fx.record)
        elif isinstance(fx, sm.Resume):
            await self._resume(fx.cursors)
            self._log(f"standby: polling again{f' from {json.dumps(fx.cursors)}' if fx.cursors else ''}")
        elif isinstance(fx, sm.Leave):
            self._halt()
            self._log(f"standby: the observation window ended ({fx.outcome}); leaving")
            self._leave(fx.outcome, self._written)

    def _halt(self) -> None:
        # The machine is done (served or ended): no more ticks or connections; this effect loop finishes its list.
        self._stopped = True
        self._close_current()
        current = asyncio.current_task()
        for t in list(self._tasks):
            if t is not current:
                t.cancel()

    async def _ticker(self) -> None:
        while not self._stopped:
            await self._clock.sleep(STANDBY_TICK_MS)
            if self._state is None:
                continue
            pid = self._state.green_pid
            alive = True if pid is None else self._os.is_alive(pid)
            # A green that wrote HANDOFF_STOPPED and exited: read the frame before judging by the pid.
            c = self._current
            if not alive and c is not None and c.welcomed and c.conn is not None and not c.conn.is_closed:
                if self._dead_while_open is None:
                    self._dead_while_open = self._clock.monotonic()
                if self._clock.monotonic() - self._dead_while_open < DEAD_GREEN_READ_MS:
                    alive = True
            else:
                self._dead_while_open = None
            self._dispatch(sm.Tick(self._clock.now(), alive, self._os.rss_bytes()))

    # --- the connection to green's socket ------------------------------------------------------

    def _close_current(self) -> None:
        c, self._current = self._current, None
        if c is not None and c.conn is not None:
            c.conn.close()

    async def _attach(self) -> None:
        try:
            reader, writer = await within(self._clock, PROBE_MS, asyncio.open_unix_connection(self._socket_path))
        except Timeout:
            self._dispatch(sm.Refused(self._clock.now(), f"no connection to {self._socket_path} within {duration(PROBE_MS)}", False))
            return
        except OSError as e:
            code = errno.errorcode.get(e.errno or 0) or str(e)
            self._dispatch(sm.Refused(self._clock.now(), f"cannot connect to {self._socket_path}: {code}", False))
            return
        mine = _Attached()
        mine.conn = FrameConn(reader, writer, lambda d: self._on_decoded(mine, d))
        self._close_current()
        self._current = mine
        self._spawn(self._welcome_within(mine))
        self._spawn(self._watch(mine, mine.conn))
        mine.conn.send(
            {
                "v": PROTOCOL_VERSION,
                "type": "HELLO",
                "role": "standby",
                "token": self._token,
                "pid": self._os.pid,
                "handoff_id": self._setup.handoff_id,
                "client": "standby-py",
            }
        )

    async def _welcome_within(self, mine: _Attached) -> None:
        await self._clock.sleep(PROBE_MS)
        if self._current is not mine or mine.welcomed:
            return
        self._current = None
        if mine.conn is not None:
            mine.conn.destroy()
        self._dispatch(sm.Refused(self._clock.now(), f"no STANDBY_WELCOME within {duration(PROBE_MS)}", False))

    async def _watch(self, mine: _Attached, conn: FrameConn) -> None:
        await conn.wait_closed()
        if self._current is not mine:
            return
        self._current = None
        if mine.welcomed:
            self._dispatch(sm.Closed(self._clock.now()))
        else:
            self._dispatch(sm.Refused(self._clock.now(), "the socket closed the connection before STANDBY_WELCOME", False))

    def _on_decoded(self, mine: _Attached, d: Decoded) -> None:
        if isinstance(d, DecodeError):
            self._log(f"standby: bad frame from green: {d.message}")
            return
        if self._current is not mine:
            return
        self._on_frame(mine, d)

    def _on_frame(self, mine: _Attached, f: Frame) -> None:
        now = self._clock.now()
        if f["type"] == "STANDBY_WELCOME":
            mine.welcomed = True
            self._dispatch(sm.WelcomeEv(now, f))
        elif f["type"] == "ERROR":
            if mine.welcomed:
                self._log(f"standby: green said {f['code']}: {f['message']}")
                return
            self._current = None
            if mine.conn is not None:
                mine.conn.destroy()
            self._dispatch(sm.Refused(now, f"{f['code']}: {f['message']}", True))
        elif f["type"] == "HEALTH":
            self._dispatch(sm.HealthEv(now, f))
        elif f["type"] == "STANDBY_END":
            self._dispatch(sm.EndEv(now, f))
        elif f["type"] == "HANDOFF_STOPPED":
            self._dispatch(sm.StoppedEv(now, f))
        else:
            self._log(f"standby: ignored {f['type']} from green")
