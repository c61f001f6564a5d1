"""The standby's state machine (docs/protocol.md section 14.1): step(state, event) -> (state, effects). Pure.

After a promotion with an observation window the old blue watches green from a connection to green's socket
and takes back a green that dies, hangs or fails its health. The same machine as the Node standby
(`src/protocol/standby.ts`): both pass conformance/standby.json, which names the events and effects as this
module does (`WelcomeEv` is `welcome`, `KillGreen` is `kill_green`, ...). Frames inside effects carry no `v`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Literal, Union, cast

from .cursors import Cursors
from .fmt import duration, timestamp
from .frames import HandoffStopped, Health, ObservationOutcome, StandbyEnd, StandbyWelcome, TimelineEntry, VerdictRecord
from .health import Baseline, Breaches, judge_sample
from .limits import PROBE_MS, STANDBY_STATUS_MS, Thresholds
from .text import clip

#: How long the standby tries to attach to green at the start before it gives the window up.
STANDBY_ATTACH_MS = 5_000
#: Pause between two attach attempts.
STANDBY_RETRY_MS = 200

StandbyPhase = Literal["attaching", "observing", "waiting", "stopping", "served", "ended"]
#: How a window ends without a take-back.
EndOutcome = Literal["passed", "superseded", "standby-lost"]


@dataclass(frozen=True)
class StandbySetup:
    """What the standby starts from: the final promotion it observes and the window's terms (blue's StandBy effect)."""

    #: The standby's own pid (the old blue's).
    pid: int
    handoff_id: str
    #: The process the standby watches (a restarted green replaces it).
    green_pid: int
    #: The promoted release: a restarted green is taken as green only when its STANDBY_WELCOME reports it.
    release: str
    #: The promoted verdict record, final, its `observation` `observing`.
    record: VerdictRecord
    until: int
    #: The window's thresholds (RESERVE.observe_thresholds, completed).
    thresholds: Thresholds
    #: Blue's baseline from the RESERVE, for the latency limit.
    baseline: Baseline
    rollback_grace_ms: int
    restart_grace_ms: int
    #: Green's latest cursors from the bake: where blue resumes if green dies before its first HEALTH to the standby.
    cursors: Cursors | None


@dataclass(frozen=True)
class StandbyState:
    """Everything the standby knows, between two steps.

    `phase`: `attaching` (connecting to green's socket at the start), `observing` (attached, or re-attaching to
    a live green, judging its HEALTH), `waiting` (green's pid is gone; a restart may listen within
    restart_grace_ms), `stopping` (the take-back is decided and written, green is being stopped), `served`
    (blue serves again), `ended` (the window ended without a take-back; the standby leaves).
    """

    phase: StandbyPhase
    #: When the current phase times out (epoch ms), or None once over.
    deadline: int | None
    setup: StandbySetup
    #: When the window started (the promotion became final).
    started_at: int
    #: The green being watched or stopped; None while the take-back looks for a green that restarted meanwhile.
    green_pid: int | None
    #: A STANDBY_WELCOME came on the current connection.
    connected: bool
    #: An attach (connect, HELLO) is under way.
    attaching: bool
    #: The next attach goes out no earlier than this.
    retry_at: int
    #: The latest cursors: green's last HEALTH (on this connection or during the bake), or its HANDOFF_STOPPED.
    cursors: Cursors | None
    last_heartbeat_at: int
    breaches: Breaches
    next_status_at: int
    #: Why the last attach failed, in words.
    refused: str | None = None
    #: When green's pid was found gone (the start of `waiting`).
    exited_at: int | None = None
    #: What made the take-back, without its tail (`; blue resumed from its cursors`).
    trigger: str | None = None
    #: The record the take-back wrote.
    record: VerdictRecord | None = None


# --- events ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WelcomeEv:
    """The socket accepted the standby (STANDBY_WELCOME)."""

    now: int
    frame: StandbyWelcome


@dataclass(frozen=True)
class Refused:
    """An attach failed: nothing listens, or no STANDBY_WELCOME within PROBE_MS; `answered`: an ERROR answered the HELLO."""

    now: int
    why: str
    answered: bool


@dataclass(frozen=True)
class Closed:
    """The attached connection closed."""

    now: int


@dataclass(frozen=True)
class HealthEv:
    """Green's HEALTH on the standby's connection."""

    now: int
    frame: Health


@dataclass(frozen=True)
class EndEv:
    """STANDBY_END: a new handoff supersedes the window."""

    now: int
    frame: StandbyEnd


@dataclass(frozen=True)
class StoppedEv:
    """HANDOFF_STOPPED: green stopped after the standby's HANDOFF_ROLLBACK."""

    now: int
    frame: HandoffStopped


@dataclass(frozen=True)
class Tick:
    """The periodic check: whether the watched pid lives (True when none is watched), and the standby's resident memory."""

    now: int
    green_alive: bool
    rss_bytes: int


StandbyEvent = Union[WelcomeEv, Refused, Closed, HealthEv, EndEv, StoppedEv, Tick]

# --- effects -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attach:
    """Connect to the socket and send HELLO {role: standby}; report WelcomeEv or Refused, then frames and Closed."""


@dataclass(frozen=True)
class Send:
    """Send `frame` on the attached connection."""

    frame: dict[str, object]


@dataclass(frozen=True)
class Close:
    """Close the current connection (no Closed event follows)."""


@dataclass(frozen=True)
class KillGreen:
    """SIGKILL green and wait (up to 2 s) until it is gone."""

    pid: int


@dataclass(frozen=True)
class Record:
    """Write the verdict file."""

    record: VerdictRecord


@dataclass(frozen=True)
class Reclaim:
    """Bind a fresh path, rename it over the socket, serve as blue with `record` as the last verdict."""

    record: VerdictRecord


@dataclass(frozen=True)
class Resume:
    """Start every adapter from `cursors` (None: from the store's own position)."""

    cursors: Cursors | None


@dataclass(frozen=True)
class Leave:
    """The window ended without a take-back: the process leaves."""

    outcome: ObservationOutcome


StandbyEffect = Union[Attach, Send, Close, KillGreen, Record, Reclaim, Resume, Leave]


@dataclass
class StandbyStep:
    """The next state and the effects to run, in order."""

    state: StandbyState
    effects: list[StandbyEffect] = field(default_factory=list)


def standby_start(setup: StandbySetup, now: int) -> StandbyStep:
    """The standby as the window starts: attaching to green."""
    state = StandbyState(
        phase="attaching",
        deadline=now + STANDBY_ATTACH_MS,
        setup=setup,
        started_at=now,
        green_pid=setup.green_pid,
        connected=False,
        attaching=True,
        retry_at=now,
        cursors=setup.cursors,
        last_heartbeat_at=now,
        breaches=Breaches(),
        next_status_at=now,
    )
    return StandbyStep(state, [Attach()])


class _Stepper:
    """One step in progress: the state being built and the effects so far."""

    def __init__(self, state: StandbyState, now: int) -> None:
        self.s = state
        self.now = now
        self.fx: list[StandbyEffect] = []

    @property
    def su(self) -> StandbySetup:
        return self.s.setup

    def set(self, **changes: object) -> None:
        self.s = dataclasses.replace(self.s, **changes)

    def since_promotion(self, at: int) -> str:
        return f"{duration(at - self.su.record['decided_at'])} after promotion"

    def close(self) -> None:
        if self.s.connected or self.s.attaching:
            self.fx.append(Close())
        self.set(connected=False, attaching=False)

    def attach(self) -> None:
        self.set(attaching=True)
        self.fx.append(Attach())

    def timeline(self, last: TimelineEntry) -> list[TimelineEntry]:
        observing: TimelineEntry = {"phase": "observing", "at": self.s.started_at, "note": f"until {timestamp(self.su.until)}"}
        return [*self.su.record["timeline"], observing, last][-256:]

    def base(self) -> dict[str, object]:
        out: dict[str, object] = dict(self.su.record)
        out.pop("record_error", None)
        return out

    def end(self, outcome: EndOutcome, long_reason: str | None = None) -> None:
        """The window ended without a take-back: record how, and leave."""
        reason = None if long_reason is None else clip(long_reason, 1024)
        self.close()
        note = "passed" if outcome == "passed" else f"{outcome}: {reason}"
        observation: dict[str, object] = {"until": self.su.until, "ended_at": self.now, "outcome": outcome}
        if reason:
            observation["reason"] = reason
        record = cast(VerdictRecord, {
            **self.base(),
            "timeline": self.timeline({"phase": "observed", "at": self.now, "note": clip(note, 4096)}),
            "observation": observation,
        })
        self.fx += [Record(record), Leave(outcome)]
        self.set(phase="ended", deadline=None)

    def reverted_record(self, reason: str) -> VerdictRecord:
        return cast(VerdictRecord, {
            **self.base(),
            "verdict": "reverted",
            "reason": reason,
            "decided_by": "blue",
            "decided_at": self.now,
            "timeline": self.timeline({"phase": "reverted", "at": self.now, "note": reason}),
            "observation": {"until": self.su.until, "ended_at": self.now, "outcome": "reverted"},
        })

    def take_back(self, trigger: str, green_alive: bool) -> None:
        """Green failed: write the reversion first (a restart of green from now on exits at once), then stop green."""
        short = clip(trigger, 900)
        record = self.reverted_record(f"{short}; blue resumed from its cursors")
        self.set(trigger=short, record=record, phase="stopping")
        self.fx.append(Record(record))
        pid = self.s.green_pid
        if pid is not None and green_alive and self.s.connected:
            self.fx.append(Send({"type": "HANDOFF_ROLLBACK", "handoff_id": self.su.handoff_id, "reason": record["reason"]}))
            self.set(deadline=self.now + self.su.rollback_grace_ms)
        elif pid is not None and green_alive:
            # Nothing to tell it on: it goes the hard way.
            self.close()
            self.fx.append(KillGreen(pid))
            self.finish(None, killed=True)
        else:
            # Green is gone; a restart may have bound the socket after the last attach: look once more, and stop it too.
            self.close()
            self.set(green_pid=None, deadline=self.now + PROBE_MS)
            self.attach()

    def finish(self, cursors: Cursors | None, killed: bool = False) -> None:
        """Green is stopped or gone: take the socket back, poll again."""
        record = self.s.record
        assert record is not None
        if killed:
            grace = duration(self.su.rollback_grace_ms)
            record = self.reverted_record(f"{self.s.trigger}; green did not stop within {grace} and was killed; blue resumed from its cursors")
            self.set(record=record)
            self.fx.append(Record(record))
        self.close()
        self.fx += [Reclaim(record), Resume(cursors if cursors is not None else self.s.cursors)]
        self.set(phase="served", deadline=None, green_pid=None)

    def to_waiting(self) -> None:
        self.close()
        self.set(phase="waiting", exited_at=self.now, deadline=self.now + self.su.restart_grace_ms, retry_at=self.now)

    def observe_from(self, pid: int) -> None:
        self.set(green_pid=pid, connected=True, phase="observing", deadline=self.su.until, next_status_at=self.now)


def standby_step(state: StandbyState, ev: StandbyEvent) -> StandbyStep:
    """The standby's state machine: (state, event) -> (state, effects). Pure; never raises on any event."""
    x = _Stepper(state, ev.now)
    if state.phase in ("served", "ended"):
        return StandbyStep(x.s, x.fx)
    if isinstance(ev, WelcomeEv):
        _welcome(x, state, ev)
    elif isinstance(ev, Refused):
        x.set(attaching=False, connected=False, refused=clip(ev.why, 512), retry_at=ev.now + STANDBY_RETRY_MS)
        if x.s.phase == "stopping" and x.s.green_pid is None:
            x.finish(None)
        elif x.s.phase == "observing" and ev.answered:
            # A live green that refuses its standby (a new handoff closed its window): the window is over, green serves on.
            x.end("standby-lost", f"green (pid {x.s.green_pid}) refused the standby {x.since_promotion(ev.now)}: {x.s.refused}")
    elif isinstance(ev, Closed):
        x.set(connected=False, attaching=False, retry_at=ev.now + STANDBY_RETRY_MS)
    elif isinstance(ev, HealthEv):
        _health(x, ev)
    elif isinstance(ev, EndEv):
        if ev.frame["handoff_id"] == x.su.handoff_id and x.s.phase in ("observing", "attaching"):
            x.end("superseded", ev.frame["reason"])
    elif isinstance(ev, StoppedEv):
        s = x.s
        if s.phase == "stopping" and s.green_pid is not None and s.connected and ev.frame["handoff_id"] == x.su.handoff_id:
            x.finish(ev.frame["cursors"])
    elif isinstance(ev, Tick):
        _tick(x, ev)
    return StandbyStep(x.s, x.fx)


def _welcome(x: _Stepper, before: StandbyState, ev: WelcomeEv) -> None:
    x.set(attaching=False)
    f = ev.frame
    ours = f["handoff_id"] == x.su.handoff_id
    phase = x.s.phase
    if phase in ("attaching", "observing"):
        if ours and f["server_pid"] == x.s.green_pid:
            x.observe_from(f["server_pid"])
            # The heartbeat age runs from the last HEALTH; the first attach starts it.
            if before.phase == "attaching":
                x.set(last_heartbeat_at=ev.now)
        else:
            x.set(refused=f"the socket answers from pid {f['server_pid']}, not green (pid {x.s.green_pid})", retry_at=ev.now + STANDBY_RETRY_MS)
            x.fx.append(Close())
    elif phase == "waiting":
        if ours and f["release"] == x.su.release:
            # Green's supervisor started it again: observe the new process.
            x.observe_from(f["server_pid"])
            x.set(last_heartbeat_at=ev.now, breaches=Breaches(), exited_at=None)
        else:
            x.set(
                refused=f"the socket answers from pid {f['server_pid']} with release {f['release']}, not {x.su.release}",
                retry_at=ev.now + STANDBY_RETRY_MS,
            )
            x.fx.append(Close())
    elif phase == "stopping" and x.s.green_pid is None and x.s.record is not None:
        # Something listens on the socket after green died: a restart that came too late. It is stopped like green.
        x.set(green_pid=f["server_pid"], connected=True, deadline=ev.now + x.su.rollback_grace_ms)
        x.fx.append(Send({"type": "HANDOFF_ROLLBACK", "handoff_id": x.su.handoff_id, "reason": x.s.record["reason"]}))
    else:
        x.fx.append(Close())


def _health(x: _Stepper, ev: HealthEv) -> None:
    f = ev.frame
    if f["handoff_id"] != x.su.handoff_id or not x.s.connected:
        return
    if x.s.phase == "stopping":
        # Green may poll until it stops: blue resumes from where it got to.
        x.set(cursors=f["cursors"])
        return
    if x.s.phase != "observing":
        return
    x.set(last_heartbeat_at=ev.now, cursors=f["cursors"])
    j = judge_sample(f["sample"], x.su.baseline, x.su.thresholds, x.s.breaches)
    x.set(breaches=j.breaches)
    if j.reason is not None:
        x.take_back(f"green (pid {x.s.green_pid}): {j.reason}, {x.since_promotion(ev.now)}", True)


def _tick(x: _Stepper, ev: Tick) -> None:
    s = x.s
    su = x.su
    now = ev.now
    due = s.deadline is not None and now >= s.deadline

    def retry() -> None:
        if not x.s.connected and not x.s.attaching and now >= x.s.retry_at:
            x.attach()

    if s.phase == "attaching":
        if not ev.green_alive:
            x.to_waiting()
        elif now >= su.until:
            x.end("passed")
        elif due:
            took = duration(now - s.started_at)
            x.end("standby-lost", f"green (pid {s.green_pid}) did not accept the standby within {took}: {s.refused or 'no answer'}")
        else:
            retry()
    elif s.phase == "observing":
        age = now - s.last_heartbeat_at
        limit = su.thresholds["max_heartbeat_age_ms"]
        if not ev.green_alive:
            x.to_waiting()
        elif age > limit:
            x.take_back(
                f"no HEALTH from green (pid {s.green_pid}) for {duration(age, limit)} (limit {duration(limit)}), {x.since_promotion(now)}",
                True,
            )
        elif now >= su.until:
            x.end("passed")
        else:
            if s.connected and now >= s.next_status_at:
                x.fx.append(Send({"type": "STANDBY_STATUS", "rss_bytes": max(0, int(ev.rss_bytes + 0.5)), "until": su.until}))
                x.set(next_status_at=now + STANDBY_STATUS_MS)
            retry()
    elif s.phase == "waiting":
        # Green's pid went inside the window: the wait decides, even when the window's end comes meanwhile.
        if due:
            x.take_back(f"green (pid {s.green_pid}) exited {x.since_promotion(s.exited_at if s.exited_at is not None else now)}", False)
        else:
            retry()
    elif s.phase == "stopping":
        if s.green_pid is None:
            if due:
                x.finish(None)
        elif not ev.green_alive:
            x.finish(None)
        elif due:
            x.fx.append(KillGreen(s.green_pid))
            x.finish(None, killed=True)
