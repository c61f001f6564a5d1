"""The reference gateway's Telegram adapter: long-polls getUpdates from an offset, answers each update once
(checking the shared store first), records it, and only then moves the offset past it."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from hermes_handoff import ReplyStats, TelegramCursor

from .agent import Agent, AgentReply, OnRecorded
from .bot_api import BotApi, BotApiError, Reply, Update
from .store import TranscriptStore

#: The adapter's name in cursors and store records.
TELEGRAM = "telegram"
_BACKOFF_MIN_MS = 50
_BACKOFF_MAX_MS = 2000
_MAX_TEXT = 4096


@dataclass
class _Run:
    """One start()..pause() stretch of polling."""

    stopping: bool = False
    #: pause() gave up waiting: send nothing more, move no offset.
    abandoned: bool = False
    poll: asyncio.Task[list[Update]] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    drained: int = 0
    task: asyncio.Task[None] | None = None
    #: When the last poll returned (epoch ms): with none in flight, the moment polling stopped.
    poll_ended_at: int | None = None


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class TelegramAdapter:
    """One bot on one Telegram-like platform, under adapter name `name`. Does nothing until start()."""

    def __init__(
        self,
        api: BotApi,
        store: TranscriptStore,
        agent: Agent,
        stats: ReplyStats,
        *,
        name: str = TELEGRAM,
        poll_timeout_s: float = 25,
        log: Callable[[str], None] = lambda _m: None,
        on_recorded: OnRecorded = lambda _k: None,
    ) -> None:
        self.name = name
        self._api = api
        self._store = store
        self._agent = agent
        self._stats = stats
        self._poll_timeout_s = poll_timeout_s
        self._log = log
        self._on_recorded = on_recorded
        self._offset: int | None = None
        self._run: _Run | None = None
        self._reload_first = False

    async def warm(self) -> None:
        """Opens the platform connection ahead of start(), so the handover does not wait for it."""
        await self._api.get_me()

    async def start(self, cursor: TelegramCursor | None) -> int:
        """Polls from `cursor` (None: the store's own position); returns the epoch ms of the first poll."""
        if self._run is not None:
            raise RuntimeError(f"{self.name} adapter: start() while already polling; pause() first")
        # The other process may have answered since we last looked. With a handed-over cursor the first poll
        # goes out first and the log is re-read before anything is answered.
        if cursor is None:
            self._store.reload()
        else:
            self._reload_first = True
        self._offset = cursor["offset"] if cursor is not None else self._store.next_offset(self.name)
        first: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def sent(at: int) -> None:
            if not first.done():
                first.set_result(at)

        r = _Run()
        self._run = r
        r.task = asyncio.ensure_future(self._loop(r, sent))
        await asyncio.wait((first, r.task), return_when=asyncio.FIRST_COMPLETED)
        if not first.done():
            raise RuntimeError(f"{self.name} adapter: stopped before its first poll went out")
        return first.result()

    async def pause(self) -> tuple[int, int]:
        """Ends the in-flight poll, finishes the batch in hand, flushes; returns (drained, paused_at). Cancelling it abandons the batch."""
        r = self._run
        if r is None:
            return 0, _now_ms()
        # The dark window starts when the last poll ended: now if one is in flight, else when the batch in hand arrived.
        in_flight = r.poll is not None and not r.poll.done()
        paused_at = _now_ms() if in_flight or r.poll_ended_at is None else r.poll_ended_at
        r.stopping = True
        if r.poll is not None:
            r.poll.cancel()
        r.wake.set()
        try:
            assert r.task is not None
            await asyncio.shield(r.task)
        except asyncio.CancelledError:
            # The drain ran out of time: the unanswered updates stay unconfirmed for the next poller.
            r.abandoned = True
            r.wake.set()
            raise
        finally:
            if self._run is r:
                self._run = None
        self._store.flush()
        return r.drained, paused_at

    def cursor(self) -> TelegramCursor | None:
        """Where polling stands: every update below the offset is answered and recorded."""
        return None if self._offset is None else {"kind": "telegram", "offset": self._offset}

    def release(self) -> None:
        """Paused for good (a standby): drops the platform connections; start() opens them again."""
        self._api.release()

    def close(self) -> None:
        """Stops at once (no drain) and drops the platform connections."""
        r = self._run
        if r is not None:
            r.abandoned = r.stopping = True
            if r.task is not None:
                r.task.cancel()
        self._run = None
        self._api.close()

    async def _loop(self, r: _Run, on_sent: Callable[[int], None]) -> None:
        backoff = 0
        while not r.stopping and not r.abandoned:
            r.poll = asyncio.ensure_future(self._api.get_updates(self._offset, self._poll_timeout_s, on_sent))
            try:
                updates = await r.poll
            except asyncio.CancelledError:
                if r.stopping and r.poll.cancelled():
                    break  # pause() ended the poll
                raise
            except (BotApiError, OSError, asyncio.TimeoutError) as e:
                if r.stopping:
                    break
                backoff = min(_BACKOFF_MAX_MS, max(_BACKOFF_MIN_MS, backoff * 2))
                self._log(f"{self.name}: getUpdates failed ({e}); retrying in {backoff} ms")
                await self._sleep(r, backoff)
                continue
            finally:
                r.poll = None
                r.poll_ended_at = _now_ms()
            backoff = 0
            if not updates:
                continue
            try:
                # Even when pause() came during the response, these were delivered to us: answer them.
                await self._answer_batch(r, updates, time.monotonic())
            except (BotApiError, OSError) as e:
                backoff = min(_BACKOFF_MAX_MS, max(_BACKOFF_MIN_MS, backoff * 2))
                self._log(f"{self.name}: answering a batch failed ({e}); polling again from offset {self._offset} in {backoff} ms")
                await self._sleep(r, backoff)

    async def _answer_batch(self, r: _Run, updates: list[Update], received_at: float) -> None:
        if self._reload_first:
            self._reload_first = False
            self._store.reload()
        answered = False
        try:
            for u in updates:
                if self._store.has(self.name, u["update_id"]):
                    continue  # answered already, by this process or the other
                answered = True
                if not await self._answer(r, u, received_at):
                    return
        finally:
            if answered:
                self._store.flush()
        if not r.abandoned:
            self._offset = max(self._offset or 0, updates[-1]["update_id"] + 1)

    async def _answer(self, r: _Run, u: Update, received_at: float) -> bool:
        msg = u.get("message")
        if msg is None or "chat" not in msg or "message_id" not in msg:
            return True  # not a message: nothing to answer
        key = (self.name, u["update_id"])
        try:
            reply = await self._agent(key, msg.get("text", ""))
        except Exception as e:  # noqa: BLE001 - a failed agent run is answered as an error
            reply = AgentReply(f"Sorry, that failed: {e}", True)
        text = (reply.text or "(no answer)")[:_MAX_TEXT]
        error = reply.error
        backoff = 0
        while True:
            if r.abandoned:
                return False
            try:
                await self._api.send_message(Reply(msg["chat"]["id"], text, msg["message_id"], u["update_id"]))
                break
            except BotApiError as e:
                if 400 <= e.status < 500 and e.status not in (409, 429):
                    # The platform will never take this reply: record it, or the offset could never move past it.
                    self._log(f"{self.name}: sendMessage for update {u['update_id']} refused ({e.description}); not retried")
                    error = True
                    break
                backoff = min(_BACKOFF_MAX_MS, max(_BACKOFF_MIN_MS, backoff * 2))
                self._log(f"{self.name}: sendMessage for update {u['update_id']} failed ({e}); retrying in {backoff} ms")
                await self._sleep(r, backoff)
        self._store.record(self.name, u["update_id"], os.getpid(), text)
        self._on_recorded(key)
        # Reply latency: from the poll that carried the message to the platform accepting the reply.
        self._stats.reply((time.monotonic() - received_at) * 1000, error)
        if r.stopping:
            r.drained += 1
        return True

    @staticmethod
    async def _sleep(r: _Run, ms: int) -> None:
        try:
            await asyncio.wait_for(r.wake.wait(), ms / 1000)
        except asyncio.TimeoutError:
            pass
