"""The clock, timers and operating system as the roles see them: a seam tests replace."""

from __future__ import annotations

import asyncio
import heapq
import os
import signal
import time
from collections.abc import Awaitable
from typing import Protocol, TypeVar

T = TypeVar("T")


class Clock(Protocol):
    """Time as the roles read and wait for it."""

    def now(self) -> int:
        """Milliseconds since the Unix epoch (the wire's time)."""
        ...

    def monotonic(self) -> float:
        """Milliseconds on a clock that never jumps, for measuring."""
        ...

    async def sleep(self, ms: float) -> None:
        """Waits `ms` milliseconds."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> int:
        """Milliseconds since the Unix epoch."""
        return time.time_ns() // 1_000_000

    def monotonic(self) -> float:
        """Milliseconds of time.monotonic()."""
        return time.monotonic() * 1000

    async def sleep(self, ms: float) -> None:
        """asyncio.sleep for `ms` milliseconds."""
        await asyncio.sleep(max(0.0, ms) / 1000)


class ManualClock:
    """A clock that moves only when a test calls advance(): deadlines without sleeping."""

    def __init__(self, start_ms: int = 1_800_000_000_000) -> None:
        self._now = start_ms
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = 0

    def now(self) -> int:
        """The manual time."""
        return self._now

    def monotonic(self) -> float:
        """The manual time, as a monotonic reading."""
        return float(self._now)

    async def sleep(self, ms: float) -> None:
        """Waits until advance() has moved the time `ms` forward."""
        if ms <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._seq += 1
        heapq.heappush(self._sleepers, (self._now + ms, self._seq, fut))
        await fut

    async def advance(self, ms: float, step_ms: float = 20) -> None:
        """Moves time forward in steps, waking every sleeper that falls due and letting the loop run after each."""
        end = self._now + ms
        while True:
            nxt = min(end, self._now + step_ms)
            self._now = int(nxt)
            while self._sleepers and self._sleepers[0][0] <= self._now:
                _, _, fut = heapq.heappop(self._sleepers)
                if not fut.done():
                    fut.set_result(None)
            for _ in range(5):
                await asyncio.sleep(0)
            if self._now >= end:
                return


class Timeout(Exception):
    """A bounded wait ran out."""


async def within(clock: Clock, ms: float, work: Awaitable[T]) -> T:
    """`work`'s result, or raises Timeout (cancelling it) when `ms` passes first on `clock`."""
    task = asyncio.ensure_future(work)
    timer = asyncio.ensure_future(clock.sleep(ms))
    try:
        await asyncio.wait((task, timer), return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:
        task.cancel()
        raise
    finally:
        timer.cancel()
    if task.done():
        return task.result()
    task.cancel()
    raise Timeout(f"no result within {ms:g} ms")


class PeerOs(Protocol):
    """Processes as the roles see them."""

    pid: int

    def is_alive(self, pid: int) -> bool:
        """True while `pid` exists and has not exited (a zombie counts as dead)."""
        ...

    def kill(self, pid: int, sig: int) -> None:
        """Sends `sig` to `pid`; a process already gone is ignored."""
        ...

    def rss_bytes(self) -> int:
        """This process's resident memory in bytes (0 where it cannot tell): what a standby reports it keeps."""
        ...


def is_zombie(pid: int) -> bool:
    """True when `pid` has exited but was not reaped yet (Linux /proc; False where there is none)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read().decode("latin-1")
    except OSError:
        return False
    # The state letter follows the command name, which is in parentheses and may contain anything.
    i = stat.rfind(")")
    return i >= 0 and stat[i + 2 : i + 3] in ("Z", "X")


class RealOs:
    """The real operating system: one host, one pid namespace (see docs/python.md for the assumptions)."""

    def __init__(self) -> None:
        self.pid = os.getpid()

    def is_alive(self, pid: int) -> bool:
        """Signal 0 succeeds (or EPERM: someone else's) and /proc does not show a zombie."""
        try:
            os.kill(pid, 0)
        except PermissionError:
            pass
        except OSError:
            return False
        return not is_zombie(pid)

    def kill(self, pid: int, sig: int) -> None:
        """os.kill, ignoring a process that is already gone."""
        try:
            os.kill(pid, sig)
        except OSError:
            pass

    def rss_bytes(self) -> int:
        """Resident pages from /proc/self/statm times the page size; 0 where there is no /proc."""
        try:
            with open("/proc/self/statm", "rb") as f:
                pages = int(f.read().split()[1])
        except (OSError, ValueError, IndexError):
            return 0
        return pages * os.sysconf("SC_PAGE_SIZE")


SIGTERM = signal.SIGTERM
SIGKILL = signal.SIGKILL


async def wait_gone(peer_os: PeerOs, clock: Clock, pid: int, ms: float) -> bool:
    """Waits until `pid` is gone or `ms` passes; True when it is gone."""
    end = clock.monotonic() + ms
    while peer_os.is_alive(pid):
        if clock.monotonic() >= end:
            return False
        await clock.sleep(5)
    return True
