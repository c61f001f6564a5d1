"""Faults the reference gateway can be started with; each fires at a defined protocol point (as examples/gateway/faults.ts)."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Callable
from typing import Literal, NoReturn

from hermes_handoff import GreenHooks

from .agent import MessageKey

GREEN_FAULTS = (
    "none", "crash-before-ack", "crash-after-ack", "crash-after-active", "crash-after-confirm",
    "crash-during-bake", "hang", "error-burst", "wrong-release", "exit-at-start", "crash-after-complete",
    "crash-after-promotion", "error-burst-after-promotion",
)
BLUE_FAULTS = ("none", "crash-before-init", "crash-after-ack", "crash-after-active", "crash-during-bake", "crash-late-bake")


def crash() -> NoReturn:
    """Dies at once, like a crash: no cleanup, no goodbye on any socket."""
    os.kill(os.getpid(), signal.SIGKILL)
    raise SystemExit(137)


def hang_forever() -> NoReturn:
    """Blocks this process's only event loop for good: no timers, no I/O, no signal handlers."""
    threading.Event().wait()
    raise SystemExit(1)


class ReplyGate:
    """Tracks replies between the agent's answer and the store's record of it, so bake-time faults fire outside
    that instant (a kill inside it is the protocol's honest limit of one duplicate, measured on its own)."""

    def __init__(self) -> None:
        self._in_flight: set[MessageKey] = set()
        self._armed: Callable[[], None] | None = None

    def begin(self, key: MessageKey) -> None:
        """The agent is answering message `key`."""
        self._in_flight.add(key)

    def end(self, key: MessageKey) -> None:
        """The answer to message `key` is recorded."""
        self._in_flight.discard(key)
        if not self._in_flight and self._armed is not None:
            # At once, in this same step: an await here would let another adapter send a reply first.
            self._armed()

    async def then_when_quiet(self, fn: Callable[[], None], max_wait_s: float = 2.0) -> None:
        """Runs `fn` (a crash, a hang) in the very step in which no reply is in flight (at the latest after `max_wait_s`)."""
        if not self._in_flight:
            fn()
            return
        self._armed = fn
        await asyncio.sleep(max_wait_s)
        fn()  # an abandoned reply is never recorded: do it anyway


def green_hooks(fault: str, errors: dict[str, bool], gate: ReplyGate) -> GreenHooks:
    """The green hooks that make `fault` happen; `errors["on"]` is switched on for error-burst."""

    async def do_crash() -> None:
        crash()

    async def at_second_beat(seq: int, then: Callable[[], NoReturn]) -> None:
        if seq == 2:
            await gate.then_when_quiet(then)

    async def burst() -> None:
        errors["on"] = True

    async def crash_quietly() -> None:
        await gate.then_when_quiet(crash)

    if fault == "crash-before-ack":
        return GreenHooks(before_ack=do_crash)
    if fault == "crash-after-ack":
        return GreenHooks(after_ack=do_crash)
    if fault == "crash-after-active":
        return GreenHooks(after_active=do_crash)
    if fault == "crash-after-confirm":
        return GreenHooks(after_confirm=do_crash)
    if fault == "crash-during-bake":
        return GreenHooks(before_heartbeat=lambda seq: at_second_beat(seq, crash))
    if fault == "hang":
        return GreenHooks(before_heartbeat=lambda seq: at_second_beat(seq, hang_forever))
    if fault == "error-burst":
        return GreenHooks(after_confirm=burst)
    if fault == "wrong-release":
        return GreenHooks(ack_release=lambda r: f"{r}-not")
    if fault == "crash-after-complete":
        # Promoted, but dead before it owns the socket: blue must take the socket back and resume.
        return GreenHooks(on_complete=crash_quietly)
    return GreenHooks()


#: How long after its promotion a green with a fault *-after-promotion serves well before the fault.
AFTER_PROMOTION_MS = 1_500


def after_promotion(fault: str, errors: dict[str, bool], gate: ReplyGate) -> Callable[[], None] | None:
    """What green does once it owns the socket and its promotion is final, inside the observation window:
    crash-after-promotion dies (outside a reply), error-burst-after-promotion answers every message with an
    error from then on; either way the standby takes back. None for every other fault."""
    loop = asyncio.get_running_loop()
    held: set[asyncio.Task[None]] = set()

    def crash_quietly() -> None:
        task = asyncio.ensure_future(gate.then_when_quiet(crash))
        held.add(task)  # the loop keeps only a weak reference to a task

    def burst() -> None:
        errors["on"] = True

    def arm(fn: Callable[[], None]) -> Callable[[], None]:
        def start() -> None:
            loop.call_later(AFTER_PROMOTION_MS / 1000, fn)

        return start

    if fault == "crash-after-promotion":
        return arm(crash_quietly)
    if fault == "error-burst-after-promotion":
        return arm(burst)
    return None


def blue_on_phase(fault: str) -> Callable[[str, Literal["before", "after"]], None] | None:
    """The phase hook that makes blue `fault` happen."""

    def hook(phase: str, when: Literal["before", "after"]) -> None:
        if fault == "crash-before-init" and phase == "init" and when == "before":
            crash()
        elif fault == "crash-after-ack" and phase == "draining" and when == "after":
            crash()
        elif fault == "crash-after-active" and phase == "active" and when == "after":
            crash()
        elif fault == "crash-during-bake" and phase == "baking" and when == "after":
            asyncio.get_running_loop().call_later(0.3, crash)
        elif fault == "crash-late-bake" and phase == "complete" and when == "before":
            # The end of the bake: blue has decided but has neither recorded nor sent it.
            crash()

    return None if fault == "none" else hook
