"""The hermes_handoff.Gateway hooks over any set of the reference gateway's adapters (Telegram, Discord)."""

from __future__ import annotations

import asyncio
from typing import Union

from hermes_handoff import Baseline, Cursor, Cursors, DiscordCursor, HealthWindow, Paused, ReplyStats, TelegramCursor

from .discord import DiscordAdapter
from .store import TranscriptStore
from .telegram import TelegramAdapter

Adapter = Union[TelegramAdapter, DiscordAdapter]


def _kind(a: Adapter) -> str:
    return "telegram" if isinstance(a, TelegramAdapter) else "discord"


class AdapterSet:
    """Every adapter of the gateway behind the roles' hooks: started, paused and reported together."""

    def __init__(self, members: list[Adapter], store: TranscriptStore, stats: ReplyStats) -> None:
        self.members = members
        self._store = store
        self._stats = stats

    def adapters(self) -> list[str]:
        """The adapter names this gateway runs (HANDOFF_CONFIRM), in the order they were given."""
        return [a.name for a in self.members]

    async def warm(self) -> None:
        """Opens every platform connection ahead of the handover."""
        await asyncio.gather(*(a.warm() for a in self.members))

    async def pause(self) -> Paused:
        """Pauses every adapter at once; paused_at is when the last of them stopped."""
        results = await asyncio.gather(*(a.pause() for a in self.members))
        drained = sum(r[0] for r in results)
        paused_at = max((r[1] for r in results), default=0)
        return Paused(self.cursors(), drained, paused_at)

    async def drain(self) -> None:
        """Makes every recorded answer durable."""
        self._store.flush()

    async def resume(self, cursors: Cursors | None) -> int:
        """Starts every adapter from its cursor (absent: its own position); returns when the last one's first poll went out."""
        given = cursors or {}
        for a in self.members:
            c = given.get(a.name)
            if c is not None and c["kind"] != _kind(a):
                raise ValueError(f"adapter {a.name} is a {_kind(a)} adapter, handed a {c['kind']} cursor")
        started: list[Adapter] = []

        async def one(a: Adapter) -> int:
            at = await _start(a, given.get(a.name))
            started.append(a)
            return at

        try:
            firsts = await asyncio.gather(*(one(a) for a in self.members))
        except BaseException:
            # Start none or all: whatever started stops again.
            await asyncio.gather(*(a.pause() for a in started), return_exceptions=True)
            raise
        return max(firsts, default=0)

    def cursors(self) -> Cursors:
        """Where every adapter with a known position stands."""
        out: Cursors = {}
        for a in self.members:
            c = a.cursor()
            if c is not None:
                out[a.name] = c
        return out

    def health(self) -> HealthWindow:
        """The heartbeat window's counters."""
        return self._stats.sample()

    def baseline(self) -> Baseline:
        """This process's recent reply latency."""
        return self._stats.baseline()

    def handover_notes(self, paused_at: int | None) -> list[str]:
        """What the last resume() could not do as handed over (a Discord session identified afresh)."""
        return [n for a in self.members if isinstance(a, DiscordAdapter) for n in a.handover_notes(paused_at)]

    async def release(self) -> None:
        """This process became the standby of an observation window (its adapters are paused): drops the platform
        connections and caches and closes the store; resume() opens what it needs again after a take-back."""
        for a in self.members:
            a.release()
        self._store.release()

    def close(self) -> None:
        """Stops every adapter at once and drops the platform connections."""
        for a in self.members:
            a.close()


async def _start(a: Adapter, c: Cursor | None) -> int:
    if isinstance(a, TelegramAdapter):
        tc: TelegramCursor | None = c if c is not None and c["kind"] == "telegram" else None
        return await a.start(tc)
    dc: DiscordCursor | None = c if c is not None and c["kind"] == "discord" else None
    return await a.start(dc)
