"""The reference gateway's Discord adapter: a Gateway v10 session over the hand-written websocket client.

It processes dispatches one at a time, in order; a message is answered once (the store is checked first),
recorded with the dispatch that carried it, and only then does the session's `seq` move past it. Handed a
session (a cursor), it RESUMEs it and never IDENTIFYs unless the platform answers INVALID_SESSION. Paused,
it stops processing (what still arrives is ignored: a RESUME replays it) and closes with 4000, which keeps
the session resumable (break-before-make; protocol section 12.6).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hermes_handoff import DiscordCursor, ReplyStats, duration

from .agent import Agent, AgentReply, OnRecorded
from .discord_api import DiscordApi, DiscordApiError
from .store import Session, TranscriptStore
from .websocket import WebSocket, WebSocketError

#: GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT.
INTENTS = 1 | (1 << 9) | (1 << 15)
#: The close code of a handover: any but 1000 and 1001 keeps the session resumable.
HANDOVER_CLOSE = 4000
_QUERY = "?v=10&encoding=json"
#: Close codes after which reconnecting cannot help (authentication, sharding, intents).
_FATAL = {4004, 4010, 4011, 4012, 4013, 4014}
#: Close codes after which the session is gone: identify afresh.
_NEW_SESSION = {1000, 1001, 4007}
_START_MS = 15_000
_BACKOFF_MIN_MS = 100
_BACKOFF_MAX_MS = 2_000
#: How often the store is flushed (and the reported seq moved) while dispatches keep coming: an fsync per
#: message would hold up the event loop that every adapter shares.
_FLUSH_MS = 100


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass
class _Dispatch:
    session_id: str
    s: int
    t: str
    d: Any
    received: float


@dataclass
class _Run:
    """One start()..pause() stretch of the session."""

    stopping: bool = False
    abandoned: bool = False
    ws: WebSocket | None = None
    queue: asyncio.Queue[_Dispatch] = field(default_factory=asyncio.Queue)
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    drained: int = 0
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    first: asyncio.Future[int] | None = None


class DiscordAdapter:
    """One bot on one Discord-like platform. Does nothing until start()."""

    def __init__(
        self,
        name: str,
        api: DiscordApi,
        token: str,
        store: TranscriptStore,
        agent: Agent,
        stats: ReplyStats,
        *,
        log: Callable[[str], None] = lambda _m: None,
        on_recorded: OnRecorded = lambda _k: None,
    ) -> None:
        self.name = name
        self._api = api
        self._token = token
        self._store = store
        self._agent = agent
        self._stats = stats
        self._log = log
        self._on_recorded = on_recorded
        self._gateway: str | None = None
        #: The session held: its id, where to resume it, and the last dispatch processed and recorded (flushed).
        self._session: Session | None = None
        self._processed = 0
        self._run: _Run | None = None
        self._notes: list[tuple[str, int]] = []

    async def warm(self) -> None:
        """Learns the gateway URL and opens the REST connection ahead of start()."""
        self._gateway = await self._api.gateway_url()

    async def start(self, cursor: DiscordCursor | None) -> int:
        """Resumes the handed-over session (None: this adapter's own, else the store's last; none: IDENTIFY).

        Returns, once RESUMED (or READY) arrived, the epoch ms at which the RESUME (or IDENTIFY) went out.
        """
        if self._run is not None:
            raise RuntimeError(f"{self.name} adapter: start() while running; pause() first")
        self._notes = []
        handed = cursor is not None
        if cursor is not None:
            session: Session | None = Session(session_id=cursor["session_id"], seq=cursor["seq"], resume_gateway_url=cursor["resume_gateway_url"])
        else:
            session = self._session or self._store.session_of(self.name)
        self._session = session
        self._processed = session["seq"] if session else 0
        if session is not None:
            self._store.reload()  # the other process may have answered what a RESUME replays
        r = _Run()
        r.idle.set()
        r.first = asyncio.get_running_loop().create_future()
        self._run = r
        r.tasks = [asyncio.ensure_future(self._connection(r, handed)), asyncio.ensure_future(self._work(r)), asyncio.ensure_future(self._flusher())]
        try:
            return await asyncio.wait_for(asyncio.shield(r.first), _START_MS / 1000)
        except BaseException:
            r.stopping = r.abandoned = True
            if r.ws is not None:
                r.ws.abort()
            self._stop_tasks(r)
            self._run = None
            raise

    async def pause(self) -> tuple[int, int]:
        """Stops processing, finishes the dispatch in hand, flushes, closes with 4000; returns (drained, paused_at)."""
        r = self._run
        if r is None:
            return 0, _now_ms()
        paused_at = _now_ms()
        r.stopping = True
        try:
            await asyncio.shield(r.idle.wait())
        except asyncio.CancelledError:
            r.abandoned = True  # the drain ran out of time: move no cursor, send nothing more
            raise
        finally:
            if self._run is r:
                self._run = None
        self._flush()
        if r.ws is not None:
            await r.ws.close(HANDOVER_CLOSE, "handover")
        self._stop_tasks(r)
        return r.drained, paused_at

    def cursor(self) -> DiscordCursor | None:
        """The session to RESUME and the last dispatch processed and recorded; None before any session."""
        s = self._session
        if s is None:
            return None
        return {"kind": "discord", "session_id": s["session_id"], "seq": s["seq"], "resume_gateway_url": s["resume_gateway_url"]}

    def handover_notes(self, paused_at: int | None) -> list[str]:
        """What the last start() could not do as handed over: a session that had expired and was identified afresh."""
        out = []
        for old, ready_at in self._notes:
            gap = f"re-identified {duration(ready_at - paused_at)} after blue paused" if paused_at is not None else "re-identified"
            out.append(f"{self.name} session {old} expired before green resumed; {gap}: messages sent in between may be missed")
        return out

    def release(self) -> None:
        """Paused for good (a standby): drops the REST connections and the cached gateway URL; start() gets them again."""
        self._api.release()
        self._gateway = None

    def close(self) -> None:
        """Stops at once (no drain, no close frame) and drops the platform connections."""
        r = self._run
        if r is not None:
            r.stopping = r.abandoned = True
            if r.ws is not None:
                r.ws.abort()
            self._stop_tasks(r)
        self._run = None
        self._api.close()

    # --- the session ----------------------------------------------------------------------------

    async def _connection(self, r: _Run, handed: bool) -> None:
        backoff = 0
        while not r.stopping:
            session = self._session
            url = (session["resume_gateway_url"] if session else await self._gateway_url()) + _QUERY
            try:
                ws = await WebSocket.connect(url, 10)
            except (WebSocketError, OSError, asyncio.TimeoutError) as e:
                backoff = min(_BACKOFF_MAX_MS, max(_BACKOFF_MIN_MS, backoff * 2))
                self._log(f"{self.name}: cannot connect to the gateway ({e}); again in {backoff} ms")
                await asyncio.sleep(backoff / 1000)
                continue
            r.ws = ws
            code = await self._session_on(r, ws, handed)
            handed = False
            r.ws = None
            if r.stopping:
                return
            if code in _FATAL:
                self._log(f"{self.name}: the gateway closed with {code}; not reconnecting")
                if r.first is not None and not r.first.done():
                    r.first.set_exception(RuntimeError(f"the gateway closed with {code}"))
                return
            if code in _NEW_SESSION:
                self._new_session(r)
            backoff = min(_BACKOFF_MAX_MS, max(_BACKOFF_MIN_MS, backoff * 2)) if code != HANDOVER_CLOSE else 0
            self._log(f"{self.name}: the gateway connection closed ({code}); {'resuming' if self._session else 'identifying'} in {backoff} ms")
            await asyncio.sleep(backoff / 1000)

    async def _session_on(self, r: _Run, ws: WebSocket, handed: bool) -> int | None:
        """Runs one connection: HELLO, heartbeats, RESUME or IDENTIFY, dispatches; returns its close code."""
        beat: asyncio.Task[None] | None = None
        acked = [True]
        last = [self._processed]
        try:
            hello = await asyncio.wait_for(ws.recv(), 10)
            payload = json.loads(hello) if hello else None
            if not isinstance(payload, dict) or payload.get("op") != 10:
                await ws.close(4002, "expected HELLO")
                return ws.close_code
            interval = float(payload["d"]["heartbeat_interval"])
            beat = asyncio.ensure_future(self._heartbeat(ws, interval, acked, last))
            sent_at = await self._hello_back(ws)
            while True:
                text = await ws.recv()
                if text is None:
                    return ws.close_code
                msg = json.loads(text)
                op = msg.get("op") if isinstance(msg, dict) else None
                if op == 0:
                    last[0] = msg["s"]
                    self._dispatch(r, msg, sent_at)
                elif op == 11:
                    acked[0] = True
                elif op == 1:
                    await ws.send(json.dumps({"op": 1, "d": last[0]}))
                elif op == 7:
                    await ws.close(HANDOVER_CLOSE, "reconnect")
                elif op == 9:
                    if msg.get("d") is True:
                        await ws.close(HANDOVER_CLOSE, "resumable")
                        continue
                    # The session is gone: only now identify afresh (on this connection, which stays open).
                    old = self._session["session_id"] if self._session else None
                    if handed and old is not None:
                        self._notes.append((old, 0))
                    self._log(f"{self.name}: INVALID_SESSION for {old}; identifying afresh")
                    self._new_session(r)
                    sent_at = await self._hello_back(ws)
        except (ValueError, KeyError, TypeError, asyncio.TimeoutError, WebSocketError) as e:
            self._log(f"{self.name}: the gateway connection failed: {e}")
            ws.abort()
            return ws.close_code
        finally:
            if beat is not None:
                beat.cancel()

    async def _hello_back(self, ws: WebSocket) -> int:
        s = self._session
        if s is not None:
            payload: dict[str, object] = {"op": 6, "d": {"token": self._token, "session_id": s["session_id"], "seq": s["seq"]}}
        else:
            props = {"os": "linux", "browser": "hermes-refgw", "device": "hermes-refgw"}
            payload = {"op": 2, "d": {"token": self._token, "intents": INTENTS, "properties": props}}
        at = _now_ms()
        await ws.send(json.dumps(payload))
        return at

    def _dispatch(self, r: _Run, msg: dict[str, Any], sent_at: int) -> None:
        t, s = msg.get("t"), msg["s"]
        d: Any = msg.get("d")
        if t == "READY":
            self._session = Session(session_id=d["session_id"], seq=s, resume_gateway_url=d["resume_gateway_url"])
            self._processed = s
            self._store.record_session(self.name, self._session)
            self._store.flush()
            if self._notes and self._notes[-1][1] == 0:
                self._notes[-1] = (self._notes[-1][0], _now_ms())
            self._started(r, sent_at)
            return
        if self._session is None:
            return
        if t == "RESUMED":
            self._started(r, sent_at)
        if not r.stopping:
            # Paused: what still arrives is not processed (the cursor stays before it; a RESUME replays it).
            r.queue.put_nowait(_Dispatch(self._session["session_id"], s, str(t), d, time.monotonic()))

    def _started(self, r: _Run, sent_at: int) -> None:
        if r.first is not None and not r.first.done():
            r.first.set_result(sent_at)

    def _new_session(self, r: _Run) -> None:
        self._session = None
        self._processed = 0
        while not r.queue.empty():
            r.queue.get_nowait()

    async def _heartbeat(self, ws: WebSocket, interval_ms: float, acked: list[bool], last: list[int]) -> None:
        await asyncio.sleep(interval_ms * random.random() / 1000)
        while ws.open:
            if not acked[0]:
                # No ACK since the last one: a zombie connection. Close it (resumable) and resume on a new one.
                self._log(f"{self.name}: no heartbeat ACK; reconnecting")
                await ws.close(HANDOVER_CLOSE, "zombie")
                return
            acked[0] = False
            await ws.send(json.dumps({"op": 1, "d": last[0]}))
            await asyncio.sleep(interval_ms / 1000)

    # --- processing -----------------------------------------------------------------------------

    async def _flusher(self) -> None:
        while True:
            await asyncio.sleep(_FLUSH_MS / 1000)
            if self._session is not None and self._processed > self._session["seq"]:
                self._flush()

    async def _work(self, r: _Run) -> None:
        while True:
            if r.queue.empty():
                r.idle.set()
            item = await r.queue.get()
            if r.stopping:
                r.idle.set()
                continue
            r.idle.clear()
            s = self._session
            if s is None or item.session_id != s["session_id"] or item.s <= self._processed:
                continue  # another session's, or replayed and already processed
            if item.t == "MESSAGE_CREATE" and isinstance(item.d, dict) and not (item.d.get("author") or {}).get("bot"):
                if not await self._answer(r, item):
                    r.idle.set()
                    return
                if r.stopping:
                    r.drained += 1
            if self._session is not s:
                continue  # the session changed while this one was answered: its seq means nothing now
            self._processed = item.s

    async def _answer(self, r: _Run, item: _Dispatch) -> bool:
        d = item.d
        message_id, channel_id = str(d["id"]), str(d["channel_id"])
        if self._store.has(self.name, message_id):
            return True  # answered already, by this process or the other
        key = (self.name, message_id)
        try:
            reply = await self._agent(key, str(d.get("content", "")))
        except Exception as e:  # noqa: BLE001 - a failed agent run is answered as an error
            reply = AgentReply(f"Sorry, that failed: {e}", True)
        error = reply.error
        backoff = 0
        while True:
            if r.abandoned:
                return False
            try:
                await self._api.reply(channel_id, message_id, reply.text)
                break
            except DiscordApiError as e:
                if 400 <= e.status < 500 and e.status != 429:
                    # The platform will never take this reply: record it, or the seq could never move past it.
                    self._log(f"{self.name}: the reply to {message_id} was refused ({e}); not retried")
                    error = True
                    break
                wait = int(e.retry_after_s * 1000) if e.retry_after_s is not None else min(_BACKOFF_MAX_MS, max(_BACKOFF_MIN_MS, backoff * 2))
                backoff = wait
                self._log(f"{self.name}: the reply to {message_id} failed ({e}); retrying in {wait} ms")
                await asyncio.sleep(wait / 1000)
        self._store.record(self.name, message_id, os.getpid(), reply.text, (item.session_id, item.s))
        self._on_recorded(key)
        # Reply latency: from the dispatch that carried the message to the platform accepting the reply.
        self._stats.reply((time.monotonic() - item.received) * 1000, error)
        return True

    def _flush(self) -> None:
        # The reported seq moves only past what is durable in the store.
        self._store.flush()
        s = self._session
        if s is not None and self._processed > s["seq"]:
            s["seq"] = self._processed

    async def _gateway_url(self) -> str:
        if self._gateway is None:
            self._gateway = await self._api.gateway_url()
        return self._gateway

    @staticmethod
    def _stop_tasks(r: _Run) -> None:
        current = asyncio.current_task()
        for t in r.tasks:
            if t is not current:
                t.cancel()
