"""Blue: serves the handoff socket and decides every handoff, running the pure machine in one loop."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Literal, cast

from . import machine as m
from .conn import FrameConn
from .cursors import Cursors
from .files import default_socket_path, ensure_token, verdict_on_file, write_verdict
from .fmt import duration
from .frames import PROTOCOL_VERSION, ErrorCode, Frame, ObservationOutcome, Phase, StoreRef, VerdictRecord
from .framing import Decoded, DecodeError, encode_frame
from .hooks import Gateway, Paused
from .ids import id_problem
from .listen import listen_at
from .limits import DEFAULT_DEADLINES
from .observer import welcome_pid
from .seam import SIGKILL, SIGTERM, Clock, PeerOs, RealOs, SystemClock, Timeout, wait_gone, within
from .standby import Standby
from .standby_machine import StandbySetup, StandbyState

#: How long blue keeps reading a dead green's still-open connection before it judges by the pid alone.
DEAD_GREEN_READ_MS = 1_000
#: After the standby's connection closed: how long the listener looks for its pid to disappear (crashed or detached).
STANDBY_CLOSE_LOOK_MS = 1_000
Log = Callable[[str], None]


@dataclass(frozen=True)
class BlueOutcome:
    """How serving ended; the gateway then stops its adapters and exits 0.

    `replaced`: the promotion is final and green serves (with an observation window: the window ended without a
    take-back, `observation` says how, and `verdict` is the record as the standby wrote it). `taken-back`: this
    listener's standby took its promotion back (`reason`): it stopped polling and handed its cursors back.
    `closed`: close() was called.
    """

    how: Literal["replaced", "taken-back", "closed"]
    verdict: VerdictRecord | None
    observation: ObservationOutcome | None = None
    reason: str | None = None


class _Client:
    def __init__(self) -> None:
        self.conn: FrameConn | None = None
        self.role: Literal["none", "observer", "green", "standby"] = "none"
        self.subscribed = False
        self.hello_timer: asyncio.Task[None] | None = None

    def send(self, frame: dict[str, object]) -> None:
        if self.conn is not None:
            self.conn.send(frame)

    def close(self, last: dict[str, object] | None = None) -> None:
        if self.hello_timer is not None:
            self.hello_timer.cancel()
        if self.conn is not None:
            self.conn.close(last)


def _error(code: ErrorCode, message: str, frame: str | None, fatal: bool) -> dict[str, object]:
    e: dict[str, object] = {"v": PROTOCOL_VERSION, "type": "ERROR", "code": code, "message": message, "fatal": fatal}
    if frame:
        e["frame"] = frame[:64]
    return e


def _digest(s: str) -> bytes:
    return hashlib.sha256(s.encode("utf-8", "surrogatepass")).digest()


class Blue:
    """Serves the handoff socket and decides every handoff; the gateway implements the hooks (see Gateway)."""

    def __init__(
        self,
        gateway: Gateway,
        *,
        home: str,
        release: str,
        runtime: str,
        store: StoreRef,
        socket_path: str | None = None,
        takeover: bool = False,
        last_verdict: VerdictRecord | None = None,
        clock: Clock | None = None,
        peer_os: PeerOs | None = None,
        log: Log | None = None,
        max_connections: int = 64,
        hello_ms: int = DEFAULT_DEADLINES["hello_ms"],
        tick_ms: float = 20,
        on_phase: Callable[[Phase, Literal["before", "after"]], None] | None = None,
        on_reclaim: Callable[[], None] | None = None,
    ) -> None:
        self._gw = gateway
        self._home = home
        self._socket_path = socket_path or default_socket_path(home)
        self._takeover = takeover
        self._clock = clock or SystemClock()
        self._os = peer_os or RealOs()
        self._log: Log = log or (lambda _msg: None)
        self._max_conns = max_connections
        self._hello_ms = hello_ms
        self._tick_ms = tick_ms
        self._on_phase = on_phase
        self._on_reclaim = on_reclaim
        self._state = m.initial_state(
            m.BlueSelf(self._os.pid, release, runtime, store["path"], store["schema"]), last_verdict
        )
        self._clients: set[_Client] = set()
        self._green: _Client | None = None
        self._server: asyncio.AbstractServer | None = None
        self._closed = False
        self._effects: asyncio.Queue[tuple[list[m.BlueEffect], _Client | None, Phase | None]] = asyncio.Queue()
        self._drain_task: asyncio.Task[None] | None = None
        self._killing: asyncio.Task[bool] | None = None
        self._judging_close = False
        self._close_judged: asyncio.Future[None] | None = None
        self._dead_while_open: float | None = None
        # The standby attached to this listener and its HEALTH task; this process as a standby after its own promotion.
        self._standby_client: _Client | None = None
        self._beat: asyncio.Task[None] | None = None
        self._standing: Standby | None = None
        self._runner: asyncio.Task[object] | None = None
        self._tasks: set[asyncio.Task[object]] = set()
        self._done: asyncio.Future[BlueOutcome] = asyncio.get_running_loop().create_future()
        self.token = ""

    # --- public --------------------------------------------------------------------------------

    async def start(self) -> None:
        """Writes or keeps the token, binds the socket (raises AlreadyListening unless taking over) and starts deciding."""
        self.token = ensure_token(self._socket_path)
        self._token_digest = _digest(self.token)
        self._server = await listen_at(self._socket_path, self._accept, self._takeover)
        self._runner = self._spawn(self._run_effects())
        self._spawn(self._ticker())
        me = self._state.self
        self._log(f"blue: listening on {self._socket_path} (pid {me.pid}, release {me.release}, runtime {me.runtime})")

    @property
    def state(self) -> m.BlueState:
        """The machine's current state (a snapshot)."""
        return self._state

    @property
    def standby_state(self) -> StandbyState | None:
        """The standby's state while this process stands by after its promotion of green, else None."""
        return self._standing.state if self._standing is not None else None

    @property
    def socket_path(self) -> str:
        """The socket this blue serves."""
        return self._socket_path

    async def wait(self) -> BlueOutcome:
        """Returns when serving ends: green took over after a promotion (the gateway then exits), or close() was called."""
        return await asyncio.shield(self._done)

    async def close(self) -> None:
        """Stops listening (or standing by) and closes every connection; the adapters are the gateway's to stop."""
        if self._standing is not None:
            self._standing.stop()
            self._standing = None
        await self._shutdown()
        self._finish(BlueOutcome("closed", None))

    # --- the loop ------------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[object, object, object]) -> asyncio.Task[object]:
        task: asyncio.Task[object] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _dispatch(self, ev: m.BlueEvent, sender: _Client | None) -> None:
        if self._closed:
            return
        before = self._state.phase
        r = m.step(self._state, ev)
        self._state = r.state
        changed = r.state.phase != before
        if changed and self._on_phase is not None:
            self._on_phase(r.state.phase, "before")
        if r.effects or changed:
            # Effects of one step run in order; steps' effects never interleave.
            self._effects.put_nowait((r.effects, sender, r.state.phase if changed else None))

    async def _run_effects(self) -> None:
        while True:
            effects, sender, phase = await self._effects.get()
            for fx in effects:
                # One failing effect (a full disk, a closed socket) must not skip the ones after it.
                try:
                    await self._effect(fx, sender)
                except asyncio.CancelledError:
                    raise
                except Exception as e:  # noqa: BLE001 - logged, and the loop carries on
                    self._log(f"blue: {type(fx).__name__} failed: {e}")
            if phase is not None and self._on_phase is not None:
                self._on_phase(phase, "after")

    async def _effect(self, fx: m.BlueEffect, sender: _Client | None) -> None:
        if isinstance(fx, m.Reply):
            if sender is not None:
                sender.send(fx.frame)
        elif isinstance(fx, m.ReplyClose):
            if sender is not None:
                sender.close(fx.frame)
                self._clients.discard(sender)
        elif isinstance(fx, m.ToGreen):
            if self._green is not None:
                self._green.send(fx.frame)
        elif isinstance(fx, m.AdoptGreen):
            if sender is not None:
                sender.role = "green"
            self._green = sender
        elif isinstance(fx, m.CloseGreen):
            if self._green is not None:
                self._green.close()
                self._clients.discard(self._green)
            self._green = None
        elif isinstance(fx, m.Drain):
            self._drain_task = asyncio.ensure_future(self._drain(fx.deadline_ms))
        elif isinstance(fx, m.Resume):
            await self._resume(fx.cursors)
        elif isinstance(fx, m.KillGreen):
            self._os.kill(fx.pid, SIGKILL)
            self._killing = asyncio.ensure_future(wait_gone(self._os, self._clock, fx.pid, 2_000))
        elif isinstance(fx, m.StopGreen):
            self._spawn(self._stop_later(fx.pid, fx.grace_ms))
        elif isinstance(fx, m.ReclaimSocket):
            await self._reclaim()
        elif isinstance(fx, m.Record):
            self._record(fx)
        elif isinstance(fx, m.Emit):
            frame = {"v": PROTOCOL_VERSION, "type": "EVENT", "event": fx.event}
            for c in list(self._clients):
                if c.subscribed:
                    c.send(frame)
        elif isinstance(fx, m.CheckTakeover):
            answered, detail = await welcome_pid(self._socket_path, self.token, self._clock, fx.timeout_ms)
            self._log(f"blue: the socket answers from {detail or f'pid {answered}'} (green is pid {fx.pid})")
            self._dispatch(m.TakeoverChecked(self._clock.now(), answered), None)
        elif isinstance(fx, m.Exit):
            verdict = self._state.last_verdict
            await self._shutdown()
            self._finish(BlueOutcome("replaced", verdict))
        elif isinstance(fx, m.StandBy):
            await self._stand_by(fx.setup)
        elif isinstance(fx, m.AdoptStandby):
            if sender is not None:
                sender.role = "standby"
            self._standby_client = sender
            self._start_beat(fx.heartbeat_ms)
        elif isinstance(fx, m.ToStandby):
            if self._standby_client is not None:
                self._standby_client.send(fx.frame)
        elif isinstance(fx, m.CloseStandby):
            self._close_standby()
        elif isinstance(fx, m.EndStandby):
            # Not awaited: the wait must not hold up the effects of other steps.
            self._spawn(self._end_standby(fx, sender))
        elif isinstance(fx, m.StopServing):
            await self._stop_serving(fx.handoff_id)

    async def _drain(self, limit_ms: int) -> None:
        try:
            paused = await within(self._clock, limit_ms, self._pause_and_flush())
        except Timeout:
            self._log(f"blue: the drain did not finish within {duration(limit_ms)}")  # the machine's deadline decides
            return
        except Exception as e:  # noqa: BLE001 - the drain deadline in the machine decides
            self._log(f"blue: drain failed: {e}")
            return
        # A green that died while blue drained must not get the cursors: its close, or its pid gone now,
        # is judged first (the drain then ends as failed, whatever raced).
        if self._close_judged is not None:
            await asyncio.shield(self._close_judged)
        h = self._state.handoff
        pid = h.green_pid if h is not None else None
        self._dispatch(m.Tick(self._clock.now(), pid is None or self._os.is_alive(pid)), None)
        self._dispatch(m.Drained(self._clock.now(), paused.cursors, paused.drained, paused.paused_at), None)

    async def _pause_and_flush(self) -> Paused:
        # Stop the polls and finish what is in flight, then make it durable: only then may the cursors go out.
        paused = await self._gw.pause()
        await self._gw.drain()
        return paused

    async def _resume(self, cursors: Cursors | None) -> None:
        if self._killing is not None:
            await self._killing
            self._killing = None
        # A drain still finishing holds the adapters (it is bounded by drain_ms).
        if self._drain_task is not None:
            await asyncio.gather(self._drain_task, return_exceptions=True)
        try:
            await self._gw.resume(cursors)
            self._log(f"blue: polling again{f' from {cursors}' if cursors else ''}")
        except Exception as e:  # noqa: BLE001
            self._log(f"blue: could not resume polling: {e}")

    def _record(self, fx: m.Record) -> None:
        error: str | None = None
        try:
            write_verdict(self._home, fx.record)
        except (OSError, ValueError) as e:
            error = f"could not write the verdict file: {e}"
            self._log(f"blue: {error}")
        self._dispatch(m.Recorded(self._clock.now(), fx.record["handoff_id"], error), None)

    async def _stop_later(self, pid: int, grace_ms: int) -> None:
        if await wait_gone(self._os, self._clock, pid, grace_ms):
            return
        self._log(f"blue: green pid {pid} still running {duration(grace_ms)} after the rollback: SIGTERM")
        self._os.kill(pid, SIGTERM)
        if await wait_gone(self._os, self._clock, pid, 2_000):
            return
        self._log(f"blue: green pid {pid} ignored SIGTERM: SIGKILL")
        self._os.kill(pid, SIGKILL)

    async def _reclaim(self) -> None:
        # Green may have renamed its own socket over ours before it died: publish ours again.
        old = self._server
        try:
            self._server = await listen_at(self._socket_path, self._accept, True)
        except OSError as e:
            self._log(f"blue: could not take the socket back: {e}")
            return
        if old is not None:
            old.close()
        if self._on_reclaim is not None:
            self._on_reclaim()
        self._log(f"blue: took the socket back at {self._socket_path}")

    async def _ticker(self) -> None:
        while not self._closed:
            await self._clock.sleep(self._tick_ms)
            h = self._state.handoff
            if h is None:
                continue
            pid = h.green_pid
            alive = True if self._judging_close or pid is None else self._os.is_alive(pid)
            # A green that wrote its last frames and died may still have them unread here: judge it on the
            # close, not now; but never wait long on a connection some other process may hold open.
            green_open = self._green is not None and self._green.conn is not None and not self._green.conn.is_closed
            if not alive and green_open:
                if self._dead_while_open is None:
                    self._dead_while_open = self._clock.monotonic()
                if self._clock.monotonic() - self._dead_while_open < DEAD_GREEN_READ_MS:
                    alive = True
            else:
                self._dead_while_open = None
            self._dispatch(m.Tick(self._clock.now(), alive), None)

    # --- connections ---------------------------------------------------------------------------

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._closed or len(self._clients) >= self._max_conns:
            writer.write(encode_frame(_error("too_many", f"more than {self._max_conns} connections", None, True)))
            transport = writer.transport
            writer.close()
            asyncio.get_running_loop().call_later(0.2, transport.abort)
            return
        c = _Client()
        self._clients.add(c)
        c.conn = FrameConn(reader, writer, lambda d: self._on_decoded(c, d))
        c.hello_timer = asyncio.ensure_future(self._hello_timeout(c))
        # The server's handler returns at once; this task follows the connection to its end.
        self._spawn(self._watch(c, c.conn))

    async def _watch(self, c: _Client, conn: FrameConn) -> None:
        await conn.wait_closed()
        if c.hello_timer is not None:
            c.hello_timer.cancel()
        self._clients.discard(c)
        if c is self._standby_client:
            self._standby_client = None
            self._stop_beat()
            st = self._state.standby
            if st is None:
                return
            # A standby that crashed closes its socket a moment before its pid goes: look for a while.
            alive = not await wait_gone(self._os, self._clock, st.pid, STANDBY_CLOSE_LOOK_MS)
            self._dispatch(m.StandbyClosed(self._clock.now(), st.pid, alive), None)
            return
        if c is self._green:
            self._green = None
            self._judging_close = True
            self._close_judged = asyncio.ensure_future(self._judge_close())

    async def _hello_timeout(self, c: _Client) -> None:
        await self._clock.sleep(self._hello_ms)
        if c.role == "none":
            c.close(_error("timeout", f"no HELLO within {duration(self._hello_ms)}", None, True))

    async def _judge_close(self) -> None:
        # A brief look for green's pid tells a crash from a close (a crash closes the socket a moment before the pid goes).
        h = self._state.handoff
        pid = h.green_pid if h else None
        alive = True if pid is None else not await wait_gone(self._os, self._clock, pid, 50)
        self._judging_close = False
        self._dispatch(m.GreenClosed(self._clock.now(), alive), None)

    def _on_decoded(self, c: _Client, d: Decoded) -> None:
        try:
            if isinstance(d, DecodeError):
                err = _error(d.code, d.message, d.frame, d.fatal)
                if d.fatal:
                    c.close(err)
                else:
                    c.send(err)
                return
            self._on_frame(c, d)
        except Exception as e:  # noqa: BLE001 - nothing a client sends may take blue down
            self._log(f"blue: internal error on a frame: {e}")
            c.close(_error("internal", "internal error", None, True))

    def _on_frame(self, c: _Client, f: Frame) -> None:
        now = self._clock.now()
        if c.role == "none":
            if f["type"] != "HELLO":
                return c.close(_error("unauthorized", "the first frame must be HELLO", f["type"], True))
            if not hmac.compare_digest(_digest(f["token"]), self._token_digest):
                return c.close(_error("unauthorized", "wrong token", "HELLO", True))
            # Decision 10: the id is looked at only once the token is right.
            given = f.get("handoff_id")
            if given is not None:
                problem = id_problem(given)
                if problem is not None:
                    return c.close(_error("bad_frame", f"HELLO: handoff_id: {problem}", "HELLO", True))
            if c.hello_timer is not None:
                c.hello_timer.cancel()
            if f["role"] == "observer":
                c.role = "observer"
                me = self._state.self
                c.send(
                    {
                        "v": PROTOCOL_VERSION,
                        "type": "WELCOME",
                        "server_pid": me.pid,
                        "phase": self._state.phase,
                        "release": me.release,
                        "runtime": me.runtime,
                        "versions": [PROTOCOL_VERSION],
                    }
                )
                return None
            if given is None:
                return c.close(_error("bad_frame", f"HELLO: a {f['role']} must give handoff_id", "HELLO", True))
            if f["role"] == "standby":
                return self._dispatch(m.StandbyHello(now, given, f["pid"]), c)
            return self._dispatch(m.GreenHello(now, given, f["pid"]), c)
        if c.role == "standby":
            if c is not self._standby_client:
                return c.close(_error("wrong_phase", "this standby no longer observes", f["type"], True))
            if f["type"] == "STANDBY_STATUS":
                return self._dispatch(m.StandbyStatusEv(now, f), c)
            if f["type"] == "HANDOFF_ROLLBACK":
                return self._dispatch(m.StandbyRollback(now, f), c)
            return c.send(_error("wrong_phase", f"{f['type']} is not a standby frame", f["type"], False))
        if c.role == "observer":
            if f["type"] == "RESERVE":
                self._dispatch(m.BaselineEv(now, self._gw.baseline()), c)
                existing = verdict_on_file(self._home, f["handoff_id"])
                return self._dispatch(m.ReserveEv(now, f, existing), c)
            if f["type"] == "STATUS" or f["type"] == "SUBSCRIBE":
                c.subscribed = c.subscribed or f["type"] == "SUBSCRIBE"
                return c.send(cast(dict[str, object], m.view(self._state)))
            if f["type"] == "ABORT":
                return self._dispatch(m.AbortEv(now, f["handoff_id"], f["reason"]), c)
            return c.send(_error("wrong_phase", f"{f['type']} is not an observer frame", f["type"], False))
        if c is not self._green:
            return c.close(_error("wrong_phase", "this green is no longer part of a handoff", f["type"], True))
        if f["type"] == "HANDOFF_ACK":
            return self._dispatch(m.AckEv(now, f), c)
        if f["type"] == "HANDOFF_CONFIRM":
            return self._dispatch(m.ConfirmEv(now, f), c)
        if f["type"] == "HEALTH":
            return self._dispatch(m.HealthEv(now, f), c)
        if f["type"] == "HANDOFF_ROLLBACK":
            return self._dispatch(m.GreenRollback(now, f), c)
        if f["type"] == "HANDOFF_STOPPED":
            return self._dispatch(m.StoppedEv(now, f), c)
        if f["type"] == "HANDOFF_COMPLETE":
            return self._dispatch(m.GreenComplete(now, f), c)
        return c.send(_error("wrong_phase", f"{f['type']} is not a green frame", f["type"], False))

    # --- ending --------------------------------------------------------------------------------

    async def _shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stop_beat()
        self._standby_client = None
        if self._server is not None:
            self._server.close()
        for c in list(self._clients):
            c.close()
        self._clients.clear()
        current = asyncio.current_task()
        for t in list(self._tasks):
            if t is not current:
                t.cancel()

    def _finish(self, outcome: BlueOutcome) -> None:
        if not self._done.done():
            self._done.set_result(outcome)

    # --- the observation window: this listener's standby ------------------------------------------

    def _start_beat(self, ms: int) -> None:
        self._stop_beat()
        self._beat = asyncio.ensure_future(self._beats(ms))

    def _stop_beat(self) -> None:
        if self._beat is not None:
            self._beat.cancel()
        self._beat = None

    async def _beats(self, ms: int) -> None:
        # HEALTH to the standby, as during the bake: this process's window since the last one, and its cursors.
        seq = 0
        while True:
            await self._clock.sleep(ms)
            st = self._state.standby
            c = self._standby_client
            if self._closed or c is None or st is None:
                continue
            seq += 1
            sample: dict[str, object] = {"seq": seq, "at": self._clock.now()}
            sample.update(self._gw.health())
            c.send({"v": PROTOCOL_VERSION, "type": "HEALTH", "handoff_id": st.handoff_id, "sample": sample, "cursors": self._gw.cursors()})

    def _close_standby(self) -> None:
        self._stop_beat()
        c, self._standby_client = self._standby_client, None
        if c is not None:
            c.close()
            self._clients.discard(c)

    async def _end_standby(self, fx: m.EndStandby, sender: _Client | None) -> None:
        # A new RESERVE supersedes the window: the standby goes first (SIGKILL after the bound), then the RESERVE is taken again.
        if self._standby_client is not None:
            self._standby_client.send(fx.frame)
        if not await wait_gone(self._os, self._clock, fx.pid, fx.timeout_ms):
            self._log(f"blue: the standby (pid {fx.pid}) did not leave within {duration(fx.timeout_ms)} of STANDBY_END: SIGKILL")
            self._os.kill(fx.pid, SIGKILL)
            await wait_gone(self._os, self._clock, fx.pid, 2_000)
        self._close_standby()
        self._dispatch(m.StandbyClosed(self._clock.now(), fx.pid, False), None)
        if sender is not None and sender.conn is not None and not sender.conn.is_closed:
            now = self._clock.now()
            self._dispatch(m.BaselineEv(now, self._gw.baseline()), sender)
            existing = verdict_on_file(self._home, fx.reserve["handoff_id"])
            self._dispatch(m.ReserveEv(now, fx.reserve, existing), sender)

    async def _stop_serving(self, handoff_id: str) -> None:
        # The standby takes back: stop polling (bounded by the default drain), hand the cursors back, stop listening, leave.
        self._stop_beat()
        try:
            paused = await within(self._clock, DEFAULT_DEADLINES["drain_ms"], self._pause_and_flush())
            cursors = paused.cursors
        except (Timeout, Exception) as e:  # noqa: BLE001 - report where polling stands even when the drain failed
            self._log(f"blue: pausing for the standby failed: {e}")
            cursors = self._gw.cursors()
        if self._standby_client is not None:
            self._standby_client.send({"v": PROTOCOL_VERSION, "type": "HANDOFF_STOPPED", "handoff_id": handoff_id, "cursors": cursors})
        reason = self._state.reverting or "the standby took back"
        self._log(f"blue: the standby takes handoff {handoff_id} back: {reason}; stopped")
        verdict = self._state.last_verdict
        await self._shutdown()
        self._finish(BlueOutcome("taken-back", verdict, reason=reason))

    async def _stand_by(self, setup: StandbySetup) -> None:
        # The promotion is final and a window was reserved: stop listening, release the adapters, watch green.
        await self._shutdown()
        release: Callable[[], Awaitable[None]] | None = getattr(self._gw, "release", None)
        if release is not None:
            try:
                await release()
            except Exception as e:  # noqa: BLE001 - a standby that keeps a connection open is still a standby
                self._log(f"blue: releasing the adapters failed: {e}")
        self._standing = Standby(
            setup,
            socket_path=self._socket_path,
            token=self.token,
            home=self._home,
            clock=self._clock,
            peer_os=self._os,
            log=self._log,
            reclaim=self._serve_again,
            resume=self._resume_after_take_back,
            leave=self._left,
        )
        self._standing.start()

    async def _serve_again(self, record: VerdictRecord) -> None:
        # The standby took back: this process listens and decides handoffs again, its last verdict the reversion.
        self._standing = None
        self._state = m.initial_state(self._state.self, record)
        self._green = None
        self._killing = None
        self._closed = False
        self._server = await listen_at(self._socket_path, self._accept, True)
        if self._runner is None or self._runner.done():
            self._runner = self._spawn(self._run_effects())
        self._spawn(self._ticker())
        if self._on_reclaim is not None:
            self._on_reclaim()
        self._log(f"blue: took the socket back at {self._socket_path}")

    async def _resume_after_take_back(self, cursors: Cursors | None) -> None:
        try:
            await self._gw.resume(cursors)
        except Exception as e:  # noqa: BLE001
            self._log(f"blue: could not resume polling: {e}")

    def _left(self, outcome: ObservationOutcome, record: VerdictRecord | None) -> None:
        self._standing = None
        self._finish(BlueOutcome("replaced", record or self._state.last_verdict, observation=outcome))
