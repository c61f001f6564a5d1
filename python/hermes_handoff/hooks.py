"""What the roles need from the gateway: the hooks a gateway implements around its platform adapters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .cursors import Cursors
from .health import Baseline, HealthWindow


@dataclass(frozen=True)
class Paused:
    """Where the adapters stopped: the cursors to hand over, how many in-flight messages were finished, and when the polls ended."""

    cursors: Cursors
    drained: int
    paused_at: int


class Gateway(Protocol):
    """The gateway's side of a handoff. Blue calls pause, drain, resume, baseline; green calls resume, cursors, health, pause, drain.

    Optional (looked up by name, so a gateway without them still fits): `handover_notes(paused_at)` (see
    resume), and `async release()`: called once when this process becomes the standby of an observation
    window (its adapters are paused for good): close the platform connections, drop caches, close the
    store. resume() must open again what release() closed: the standby resumes after a take-back.
    """

    def adapters(self) -> list[str]:
        """Names of the adapters this gateway runs (HANDOFF_CONFIRM), e.g. ["telegram", "discord"]."""
        ...

    async def pause(self) -> Paused:
        """Stops taking messages: ends every in-flight poll and starts none, finishes answering what was received, records it; returns where it stopped."""
        ...

    async def drain(self) -> None:
        """Flushes in-memory state to the shared store and makes it durable (the plan's `_async_flush_memories`)."""
        ...

    async def resume(self, cursors: Cursors | None) -> int:
        """Starts every adapter from `cursors` (None, or an absent adapter: the store's own position); returns, once all are live, the epoch ms of the last adapter's first poll.

        A handed-over Discord session is RESUMEd, never identified afresh (unless the platform answers
        INVALID_SESSION). A gateway may also define `handover_notes(paused_at) -> list[str]`: what this
        resume could not do as handed over, in words, for HANDOFF_CONFIRM.notes (protocol section 12.6;
        `paused_at` is HANDOFF_ACTIVE's, for the gap a re-identified Discord session left).
        """
        ...

    def cursors(self) -> Cursors:
        """Where polling stands now: past every message answered and recorded, never past one that is not."""
        ...

    def health(self) -> HealthWindow:
        """Reply counters since the previous call, which resets them (a HEALTH sample's window)."""
        ...

    def baseline(self) -> Baseline:
        """This process's own recent reply latency (ReplyStats.baseline() computes it by the protocol's rule)."""
        ...
