"""Test helpers: an in-memory gateway, a fake process table, temp homes, a raw socket client."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field

from hermes_handoff import Baseline, Cursors, HealthWindow, Paused, telegram
from hermes_handoff.health import NO_BASELINE


class FakeOs:
    """A process table: pids in `alive` run; kill() records the signal and (for SIGKILL/SIGTERM) ends the pid."""

    def __init__(self, pid: int, alive: set[int]) -> None:
        self.pid = pid
        self.alive = alive
        self.alive.add(pid)
        self.signals: list[tuple[int, int]] = []

    def is_alive(self, pid: int) -> bool:
        return pid in self.alive

    def kill(self, pid: int, sig: int) -> None:
        self.signals.append((pid, sig))
        self.alive.discard(pid)

    def rss_bytes(self) -> int:
        return 40 << 20


@dataclass
class FakeGateway:
    """A gateway whose adapters are a counter: it 'answers' `per_window` messages per heartbeat window."""

    offset: int = 100
    per_window: int = 10
    errors: bool = False
    names: list[str] = field(default_factory=lambda: ["telegram"])
    polling: bool = False
    resumed_with: list[Cursors | None] = field(default_factory=list)
    pauses: int = 0
    drains: int = 0
    base: Baseline = NO_BASELINE
    pause_error: Exception | None = None
    pause_delay_s: float = 0.0
    resume_error: Exception | None = None

    def adapters(self) -> list[str]:
        return list(self.names)

    async def pause(self) -> Paused:
        self.pauses += 1
        if self.pause_delay_s:
            await asyncio.sleep(self.pause_delay_s)
        if self.pause_error is not None:
            raise self.pause_error
        self.polling = False
        return Paused(self.cursors(), 0, 1_000)

    async def drain(self) -> None:
        self.drains += 1

    async def resume(self, cursors: Cursors | None) -> int:
        self.resumed_with.append(cursors)
        if self.resume_error is not None:
            raise self.resume_error
        c = (cursors or {}).get("telegram")
        if c is not None and c["kind"] == "telegram":
            self.offset = c["offset"]
        self.polling = True
        return 1_005

    def cursors(self) -> Cursors:
        return {"telegram": telegram(self.offset)}

    def health(self) -> HealthWindow:
        if self.polling:
            self.offset += self.per_window
        n = self.per_window if self.polling else 0
        return {"handled": n, "errors": n if self.errors else 0, "latency_p50_ms": 1.0, "latency_p99_ms": 2.0}

    def baseline(self) -> Baseline:
        return self.base


class TempHome:
    """A short temporary HERMES_HOME (Unix socket paths are limited to about 100 bytes)."""

    def __init__(self) -> None:
        self.path = tempfile.mkdtemp(prefix="hhpy-", dir="/tmp")
        self.socket = os.path.join(self.path, "run", "handoff.sock")

    def cleanup(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class RawClient:
    """A client that writes raw bytes and reads raw frames, for checking what blue answers to anything."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, path: str) -> RawClient:
        reader, writer = await asyncio.open_unix_connection(path, limit=1 << 20)
        return cls(reader, writer)

    def send(self, frame: dict[str, object] | bytes) -> None:
        data = frame if isinstance(frame, bytes) else json.dumps(frame).encode() + b"\n"
        self.writer.write(data)

    async def frame(self, timeout: float = 5.0) -> dict[str, object] | None:
        """The next frame, or None at EOF."""
        line = await asyncio.wait_for(self.reader.readline(), timeout)
        if not line:
            return None
        out = json.loads(line)
        assert isinstance(out, dict)
        return out

    async def until(self, type_: str, timeout: float = 5.0) -> dict[str, object]:
        """Reads frames until one of `type_` (raises at EOF)."""
        while True:
            f = await self.frame(timeout)
            if f is None:
                raise AssertionError(f"connection closed before {type_}")
            if f.get("type") == type_:
                return f

    async def closed(self, timeout: float = 5.0) -> bool:
        """True when the peer closes within `timeout` (any frames before are skipped)."""
        try:
            while await asyncio.wait_for(self.reader.readline(), timeout):
                pass
        except asyncio.TimeoutError:
            return False
        return True

    def close(self) -> None:
        self.writer.transport.abort()


def hello(token: str, role: str = "observer", pid: int = 4242, **extra: object) -> dict[str, object]:
    return {"v": 1, "type": "HELLO", "role": role, "token": token, "pid": pid, **extra}
