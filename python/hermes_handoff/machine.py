"""Blue's handoff state machine: step(state, event) -> (state, effects). Pure: no I/O, no clock, never raises.

The same machine as the Node blue (`src/protocol/machine.ts`): both pass conformance/blue-*.json, which
name the events and effects as this module does (`ReserveEv` is `reserve`, `ToGreen` is `to_green`, ...).
Frames inside effects carry no `v`: the encoder adds it.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Union, cast

from . import schema as s
from .cursors import Cursors
from .fmt import duration
from .frames import (
    PROTOCOL_VERSION,
    ErrorCode,
    ErrorFrame,
    Event,
    Frame,
    HandoffAck,
    HandoffComplete,
    HandoffConfirm,
    HandoffRollback,
    HandoffStopped,
    Health,
    HealthSample,
    Phase,
    PhaseEvent,
    Reserve,
    StandbyStatus,
    StandbyView,
    State,
    TimelineEntry,
    Verdict,
    VerdictRecord,
)
from .framing import MAX_LINE_BYTES
from .health import NO_BASELINE, Baseline, Breaches, bake_end, judge_sample, promotion_reason
from .limits import (
    DEADLINE_FIELDS,
    PROBE_MS,
    STANDBY_END_MS,
    STANDBY_HEARTBEAT_MS,
    THRESHOLD_FIELDS,
    DEFAULT_OBSERVE_THRESHOLDS,
    Deadlines,
    Thresholds,
    complete_deadlines,
    complete_observe_thresholds,
    complete_thresholds,
)
from .standby_machine import StandbySetup
from .text import MAX_SAFE_INTEGER
from .text import clip as clip_units
from .text import slice_units

#: Longest reason or note the machine writes; what peers send may be longer, frames must stay valid.
MAX_REASON = 1024
#: Most bytes a verdict record may take, so EVENT and STATE frames carrying it fit one line.
RECORD_BYTES = 40 * 1024


@dataclass(frozen=True)
class BlueSelf:
    """Who blue is: fixed for the life of the process."""

    pid: int
    release: str
    runtime: str
    store_path: str
    store_schema: int


@dataclass(frozen=True)
class Handoff:
    """The handoff blue is running, from RESERVE to its verdict."""

    id: str
    release: str
    runtime: str
    bake_ms: int
    thresholds: Thresholds
    deadlines: Deadlines
    started_at: int
    #: The observation window after the promotion (0: none).
    observe_ms: int = 0
    #: What the standby judges green by during the window.
    observe_thresholds: Thresholds = field(default_factory=lambda: DEFAULT_OBSERVE_THRESHOLDS.copy())
    green_pid: int | None = None
    #: The cursors sent in HANDOFF_ACTIVE (what CONFIRM must cover).
    handed: Cursors | None = None
    #: The latest cursors blue knows: its own from the drain, then green's from each HEALTH.
    cursors: Cursors | None = None
    paused_at: int | None = None
    polling_at: int | None = None
    bake_started_at: int | None = None
    last_heartbeat_at: int | None = None
    breaches: Breaches = Breaches()
    #: HEALTH samples judged at or after the bake's deadline while a breach run stayed open.
    late: int = 0
    health: tuple[HealthSample, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    rollback_reason: str | None = None
    #: The promoted record, written and sent with COMPLETE; final once green's takeover is checked.
    pending: VerdictRecord | None = None
    #: Green answered HANDOFF_COMPLETE and blue is checking that the socket answers from green.
    verifying: bool = False
    #: Green's notes from HANDOFF_CONFIRM, for the timeline and the promotion's reason.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Window:
    """The observation window this listener serves under (its own promotion's), while a standby may attach."""

    handoff_id: str
    until: int


@dataclass(frozen=True)
class StandbyCtx:
    """The standby observing this listener (a green promoted with an observation window)."""

    pid: int
    handoff_id: str
    until: int
    #: From its last STANDBY_STATUS; None before the first.
    rss_bytes: int | None
    #: STANDBY_END went out (a RESERVE supersedes the window): the listener waits for the standby to go.
    ending: bool = False


@dataclass(frozen=True)
class BlueState:
    """Everything blue's loop knows."""

    phase: Phase
    #: When the current phase times out (epoch ms), or None.
    deadline: int | None
    self: BlueSelf
    baseline: Baseline
    handoff: Handoff | None
    last_verdict: VerdictRecord | None
    #: Records sent to be written whose outcome (a Recorded event) has not come back yet, oldest first.
    unrecorded: tuple[VerdictRecord, ...] = ()
    #: The observation window this listener serves under (from its last verdict), while a standby may attach.
    window: Window | None = None
    #: The standby attached to this listener, or None.
    standby: StandbyCtx | None = None
    #: The standby is taking this listener's promotion back (its HANDOFF_ROLLBACK's reason): it stops and leaves.
    reverting: str | None = None


def initial_state(me: BlueSelf, last: VerdictRecord | None = None) -> BlueState:
    """The state of a blue that has just started serving; a promoted `last` still under observation opens its window to the standby."""
    o = last.get("observation") if last is not None and last["verdict"] == "promoted" else None
    window = Window(last["handoff_id"], o["until"]) if last is not None and o is not None and o["outcome"] == "observing" else None
    return BlueState("idle", None, me, NO_BASELINE, None, last, window=window)


# --- events ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReserveEv:
    """An observer's RESERVE; `existing` is what its id's verdict file holds (its verdict, `unreadable`), or None."""

    now: int
    frame: Reserve
    existing: str | None = None


@dataclass(frozen=True)
class GreenHello:
    """A HELLO with role green and a valid token."""

    now: int
    handoff_id: str
    pid: int


@dataclass(frozen=True)
class AckEv:
    """Green's HANDOFF_ACK."""

    now: int
    frame: HandoffAck


@dataclass(frozen=True)
class Drained:
    """Blue's drain finished: where it stopped."""

    now: int
    cursors: Cursors
    drained: int
    paused_at: int


@dataclass(frozen=True)
class ConfirmEv:
    """Green's HANDOFF_CONFIRM."""

    now: int
    frame: HandoffConfirm


@dataclass(frozen=True)
class HealthEv:
    """Green's HEALTH."""

    now: int
    frame: Health


@dataclass(frozen=True)
class GreenRollback:
    """Green's own HANDOFF_ROLLBACK."""

    now: int
    frame: HandoffRollback


@dataclass(frozen=True)
class StoppedEv:
    """Green's HANDOFF_STOPPED."""

    now: int
    frame: HandoffStopped


@dataclass(frozen=True)
class GreenComplete:
    """Green's answer HANDOFF_COMPLETE: it says it owns the socket."""

    now: int
    frame: HandoffComplete


@dataclass(frozen=True)
class TakeoverChecked:
    """The outcome of CheckTakeover: the pid whose WELCOME answered on the socket, or None when none did."""

    now: int
    server_pid: int | None


@dataclass(frozen=True)
class Recorded:
    """The outcome of a Record effect: `error` says why the verdict file could not be written (None: written)."""

    now: int
    handoff_id: str
    error: str | None


@dataclass(frozen=True)
class GreenClosed:
    """Green's connection closed; `green_alive` is whether its pid still ran when judged."""

    now: int
    green_alive: bool


@dataclass(frozen=True)
class AbortEv:
    """An observer's ABORT."""

    now: int
    handoff_id: str
    reason: str


@dataclass(frozen=True)
class BaselineEv:
    """Blue's own recent behaviour, taken just before a RESERVE."""

    now: int
    baseline: Baseline


@dataclass(frozen=True)
class Tick:
    """The periodic check: the time, and whether green's pid is alive."""

    now: int
    green_alive: bool


@dataclass(frozen=True)
class StandbyHello:
    """A HELLO with role standby and a valid token (this blue is a promoted green)."""

    now: int
    handoff_id: str
    pid: int


@dataclass(frozen=True)
class StandbyStatusEv:
    """The standby's STANDBY_STATUS."""

    now: int
    frame: StandbyStatus


@dataclass(frozen=True)
class StandbyRollback:
    """HANDOFF_ROLLBACK on the standby's connection: the standby takes back."""

    now: int
    frame: HandoffRollback


@dataclass(frozen=True)
class StandbyClosed:
    """The standby's connection closed; `standby_alive` is whether its pid still ran when judged."""

    now: int
    pid: int
    standby_alive: bool


BlueEvent = Union[
    ReserveEv, GreenHello, AckEv, Drained, ConfirmEv, HealthEv, GreenRollback, StoppedEv,
    GreenComplete, TakeoverChecked, Recorded, GreenClosed, AbortEv, BaselineEv, Tick,
    StandbyHello, StandbyStatusEv, StandbyRollback, StandbyClosed,
]

# --- effects -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """Send `frame` on the connection that caused the event."""

    frame: dict[str, object]


@dataclass(frozen=True)
class ReplyClose:
    """Send `frame` on that connection, then close it."""

    frame: dict[str, object]


@dataclass(frozen=True)
class ToGreen:
    """Send `frame` to green."""

    frame: dict[str, object]


@dataclass(frozen=True)
class AdoptGreen:
    """The connection that sent the event is green's from now on."""


@dataclass(frozen=True)
class CloseGreen:
    """Close green's connection."""


@dataclass(frozen=True)
class Drain:
    """Stop polling, finish in-flight work, flush, bounded by `deadline_ms`; then report Drained."""

    deadline_ms: int


@dataclass(frozen=True)
class Resume:
    """Poll again, from `cursors` when given, else from blue's own position."""

    cursors: Cursors | None


@dataclass(frozen=True)
class StopGreen:
    """Wait `grace_ms` for green's pid to go, then SIGTERM, wait 2 s, then SIGKILL."""

    pid: int
    grace_ms: int


@dataclass(frozen=True)
class KillGreen:
    """SIGKILL green now; the next Resume waits (up to 2 s) until it is gone."""

    pid: int


@dataclass(frozen=True)
class ReclaimSocket:
    """Bind a fresh path and rename it over the socket again (green may have taken it)."""


@dataclass(frozen=True)
class Record:
    """Write the verdict file, then report Recorded."""

    record: VerdictRecord


@dataclass(frozen=True)
class Emit:
    """Send `event` to every subscriber."""

    event: Event


@dataclass(frozen=True)
class CheckTakeover:
    """Connect to the socket as an observer (waiting up to `timeout_ms`) and report whose WELCOME answers (TakeoverChecked)."""

    pid: int
    timeout_ms: int


@dataclass(frozen=True)
class Exit:
    """The promotion is final: blue stops listening and leaves."""


@dataclass(frozen=True)
class StandBy:
    """The promotion is final and a window was reserved: stop listening, release the adapters, observe green (standby_machine)."""

    setup: StandbySetup


@dataclass(frozen=True)
class AdoptStandby:
    """The connection that sent the event is the standby's: send it HEALTH every `heartbeat_ms`."""

    heartbeat_ms: int


@dataclass(frozen=True)
class ToStandby:
    """Send `frame` to the standby."""

    frame: dict[str, object]


@dataclass(frozen=True)
class CloseStandby:
    """Close the standby's connection."""


@dataclass(frozen=True)
class EndStandby:
    """Send `frame` (STANDBY_END); wait up to `timeout_ms` for the standby's pid to go (then SIGKILL, and up to 2 s more);
    report StandbyClosed; then take `reserve` again, as from the same connection."""

    pid: int
    frame: dict[str, object]
    timeout_ms: int
    reserve: Reserve


@dataclass(frozen=True)
class StopServing:
    """The standby takes back: pause the adapters, send HANDOFF_STOPPED with their cursors to the standby, stop listening, leave."""

    handoff_id: str


BlueEffect = Union[
    Reply, ReplyClose, ToGreen, AdoptGreen, CloseGreen, Drain, Resume, StopGreen, KillGreen, ReclaimSocket,
    Record, Emit, CheckTakeover, Exit, StandBy, AdoptStandby, ToStandby, CloseStandby, EndStandby, StopServing,
]


@dataclass
class Step:
    """The next state and the effects to run, in order."""

    state: BlueState
    effects: list[BlueEffect] = field(default_factory=list)


# --- helpers -----------------------------------------------------------------------------------


def _clip(text: str) -> str:
    return clip_units(text, MAX_REASON)


def json_bytes(value: object) -> int:
    """Bytes of `value` as a frame encodes it."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "backslashreplace"))


def thin(items: list[HealthSample], max_bytes: int) -> list[HealthSample]:
    """Evenly spaced items (the last always among them) whose JSON takes at most `max_bytes`."""
    total = json_bytes(items)
    if total <= max_bytes:
        return list(items)
    n = (len(items) * max_bytes) // total
    while True:
        if n <= 0:
            return []
        if n == 1:
            picked = [items[-1]]
        else:
            picked = [items[int((i * (len(items) - 1)) / (n - 1) + 0.5)] for i in range(n)]
        if json_bytes(picked) <= max_bytes:
            return picked
        n = int(n * 0.9)


def fit_record(r: VerdictRecord) -> VerdictRecord:
    """The record with its samples thinned, when needed, to fit RECORD_BYTES."""
    out: dict[str, object] = dict(r)
    out["health"] = []
    rest = json_bytes(out)
    out["health"] = thin(r["health"], max(0, RECORD_BYTES - rest))
    return cast(VerdictRecord, out)


def error_frame(code: ErrorCode, message: str, frame: str | None = None, fatal: bool = False) -> dict[str, object]:
    """The one way to build an ERROR frame: the message cut to fit a frame, `frame` to 64 characters."""
    e: dict[str, object] = {"type": "ERROR", "code": code, "message": clip_units(message, MAX_REASON), "fatal": fatal}
    if frame:
        e["frame"] = slice_units(frame, 64)
    return e


_err = error_frame


def _frame(f: Frame) -> dict[str, object]:
    return cast(dict[str, object], f)


class _Stepper:
    """One step in progress: the state being built and the effects so far."""

    def __init__(self, state: BlueState, now: int) -> None:
        self.s = state
        self.now = now
        self.fx: list[BlueEffect] = []

    @property
    def h(self) -> Handoff:
        assert self.s.handoff is not None
        return self.s.handoff

    def set_h(self, **changes: object) -> None:
        self.s = dataclasses.replace(self.s, handoff=dataclasses.replace(self.h, **changes))

    def enter(self, phase: Phase, deadline: int | None, long_note: str | None = None) -> None:
        note = None if long_note is None else _clip(long_note)
        self.s = dataclasses.replace(self.s, phase=phase, deadline=deadline)
        if self.s.handoff is not None:
            entry: TimelineEntry = {"phase": phase, "at": self.now}
            if note:
                entry["note"] = note
            self.set_h(timeline=self.h.timeline + (entry,))
            ev: PhaseEvent = {"kind": "phase", "handoff_id": self.h.id, "phase": phase, "at": self.now}
            if note:
                ev["note"] = note
            self.fx.append(Emit(ev))

    def decide(self, verdict: Verdict, long_reason: str) -> None:
        """Ends the handoff with a verdict; blue serves again unless promoted."""
        reason = _clip(long_reason)
        self.enter("complete" if verdict == "promoted" else "idle", None, f"{verdict}: {reason}")
        h = self.h
        # The dark window ends with the next poller's first poll: green's, or blue's own resume when green never confirmed.
        end = h.polling_at if h.polling_at is not None else (self.now if h.handed is not None and verdict != "promoted" else None)
        dark = max(0, end - h.paused_at) if h.paused_at is not None and end is not None else None
        full: VerdictRecord = {
            "v": PROTOCOL_VERSION,
            "handoff_id": h.id,
            "verdict": verdict,
            "reason": reason,
            "release": h.release,
            "runtime": h.runtime,
            "blue_pid": self.s.self.pid,
            "green_pid": h.green_pid,
            "decided_by": "blue",
            "decided_at": self.now,
            "dark_window_ms": dark,
            "timeline": list(h.timeline[-256:]),
            "health": list(h.health[-4096:]),
        }
        if verdict == "promoted" and h.observe_ms > 0:
            # The window runs observe_ms from this decision; green reads it with its verdict (section 14.1).
            full["observation"] = {"until": self.now + h.observe_ms, "ended_at": None, "outcome": "observing"}
        record = fit_record(full)
        self.s = dataclasses.replace(self.s, unrecorded=self.s.unrecorded + (record,))
        if verdict == "promoted":
            # Not final yet: blue stays, paused, until green answers that it owns the socket (or is gone).
            self.set_h(pending=record)
            self.s = dataclasses.replace(self.s, deadline=self.now + h.deadlines["takeover_ms"])
            self.fx += [Record(record), ToGreen({"type": "HANDOFF_COMPLETE", "handoff_id": h.id, "reason": reason})]
        else:
            # EVENT verdict waits for the write's outcome (Recorded), so it carries record_error when there is one.
            self.fx.append(Record(record))
            self.s = dataclasses.replace(self.s, last_verdict=record, handoff=None)

    def rollback_frame(self, reason: str) -> ToGreen:
        return ToGreen({"type": "HANDOFF_ROLLBACK", "handoff_id": self.h.id, "reason": reason})

    def fail_before_handover(self, long_reason: str, resume: bool) -> None:
        """Green never got cursors: tell it to go, make sure it goes, decide failed."""
        reason = _clip(long_reason)
        h = self.h
        self.fx += [self.rollback_frame(reason), CloseGreen()]
        if h.green_pid is not None:
            self.fx.append(StopGreen(h.green_pid, h.deadlines["rollback_grace_ms"]))
        if resume:
            self.fx.append(Resume(None))
        self.decide("failed", reason)

    def begin_rollback(self, long_reason: str) -> None:
        """Green may be polling: ask it to stop and wait for it (bounded by the grace period)."""
        reason = _clip(long_reason)
        self.set_h(rollback_reason=reason)
        self.fx.append(self.rollback_frame(reason))
        self.enter("rolling-back", self.now + self.h.deadlines["rollback_grace_ms"], reason)

    def finish_rollback(self, cursors: Cursors | None, extra: str | None = None) -> None:
        h = self.h
        self.fx += [Resume(cursors if cursors is not None else h.cursors), CloseGreen()]
        reason = h.rollback_reason or "rolled back"
        self.decide("rolled-back", f"{reason}; {extra}" if extra else reason)

    def take_back(self, reason: str, kill: bool) -> None:
        """After COMPLETE, with no (true) answer from green: kill it if need be, take the socket back, resume, decide."""
        h = self.h
        if kill and h.green_pid is not None:
            self.fx.append(KillGreen(h.green_pid))
        self.fx += [CloseGreen(), ReclaimSocket(), Resume(h.cursors)]
        self.set_h(pending=None, verifying=False)
        self.decide("rolled-back", reason)

    def reply(self, frame: dict[str, object]) -> None:
        self.fx.append(Reply(frame))

    def unknown_handoff(self, frame: str, id_: str) -> None:
        current = self.s.handoff.id if self.s.handoff else "undefined"
        self.reply(_err("unknown_handoff", f"{frame} names handoff {id_}; the current handoff is {current}", frame))

    def wrong_phase(self, frame: str) -> None:
        h = self.s.handoff
        where = f"handoff {h.id} is {self.s.phase}" if h else f"blue is {self.s.phase}"
        self.reply(_err("wrong_phase", f"{frame} is not accepted now: {where}", frame))

    def done(self) -> Step:
        return Step(self.s, self.fx)


def _exited(alive: bool, closed: str) -> str:
    return closed if alive else "exited"


# --- the step ----------------------------------------------------------------------------------


def step(state: BlueState, ev: BlueEvent) -> Step:
    """The handoff state machine of blue: (state, event) -> (state, effects). Pure; never raises on any event."""
    x = _Stepper(state, ev.now)
    if isinstance(ev, Tick):
        _tick(x, ev)
    elif isinstance(ev, BaselineEv):
        # Only between handoffs: a refused RESERVE must not move the yardstick of the bake under way.
        if x.s.phase == "idle":
            x.s = dataclasses.replace(x.s, baseline=ev.baseline)
    elif isinstance(ev, ReserveEv):
        _reserve(x, ev)
    elif isinstance(ev, GreenHello):
        _green_hello(x, ev)
    elif isinstance(ev, AckEv):
        _ack(x, ev)
    elif isinstance(ev, Drained):
        _drained(x, ev)
    elif isinstance(ev, ConfirmEv):
        _confirm(x, ev)
    elif isinstance(ev, HealthEv):
        _health(x, ev)
    elif isinstance(ev, GreenRollback):
        _green_rollback(x, ev)
    elif isinstance(ev, StoppedEv):
        _stopped(x, ev)
    elif isinstance(ev, GreenComplete):
        _green_complete(x, ev)
    elif isinstance(ev, TakeoverChecked):
        _takeover_checked(x, ev)
    elif isinstance(ev, Recorded):
        _recorded(x, ev)
    elif isinstance(ev, GreenClosed):
        _green_closed(x, ev)
    elif isinstance(ev, AbortEv):
        _abort(x, ev)
    elif isinstance(ev, StandbyHello):
        _standby_hello(x, ev)
    elif isinstance(ev, StandbyStatusEv):
        if x.s.standby is not None:
            x.s = dataclasses.replace(x.s, standby=dataclasses.replace(x.s.standby, rss_bytes=ev.frame["rss_bytes"]))
    elif isinstance(ev, StandbyRollback):
        _standby_rollback(x, ev)
    elif isinstance(ev, StandbyClosed):
        _standby_closed(x, ev)
    return x.done()


def _parse_reserve(f: Reserve) -> tuple[Deadlines, Thresholds, Thresholds, int]:
    """The RESERVE's deadlines, thresholds, window thresholds and window, completed; raises Invalid as the Node blue words it."""
    problems: list[s.Invalid] = []

    def parsed(fields: dict[str, s.Schema], name: str) -> dict[str, object]:
        try:
            out = s.partial(fields)(f.get(name, {}), (name,))
            assert isinstance(out, dict)
            return out
        except s.Invalid as e:
            problems.append(e)
            return {}

    dl = parsed(DEADLINE_FIELDS, "deadlines")
    deadlines_ok = not problems
    th = parsed(THRESHOLD_FIELDS, "thresholds")
    ot = parsed(THRESHOLD_FIELDS, "observe_thresholds")
    deadlines = complete_deadlines(dl)
    # An inconsistent set of deadlines is named first (green's rollback drain is bounded by drain_ms).
    if deadlines_ok and deadlines["rollback_grace_ms"] < deadlines["drain_ms"]:
        raise s.Invalid(("deadlines", "rollback_grace_ms"), f"must be at least drain_ms ({deadlines['drain_ms']})")
    if problems:
        raise problems[0]
    observe_ms = f.get("observe_ms", 0)
    if isinstance(observe_ms, bool) or not isinstance(observe_ms, int) or not 0 <= observe_ms <= MAX_SAFE_INTEGER:
        raise s.Invalid(("observe_ms",), "expected a whole number of milliseconds >= 0")
    return deadlines, complete_thresholds(th), complete_observe_thresholds(ot), observe_ms


def _reserve(x: _Stepper, ev: ReserveEv) -> None:
    f = ev.frame
    h = x.s.handoff
    # 1. Invalid fields (validated on the wire already; an event built by hand may not be, and step never raises).
    try:
        deadlines, thresholds, observe_thresholds, observe_ms = _parse_reserve(f)
    except s.Invalid as e:
        x.fx.append(ReplyClose(_err("bad_frame", f"RESERVE: {e.where()}: {e.message}", "RESERVE", True)))
        return
    # 2. One handoff at a time.
    if x.s.phase != "idle" or h is not None:
        what = f"handoff {h.id} is {x.s.phase}" if h else f"blue is {x.s.phase}"
        x.reply(_err("busy", f"{what}; one handoff at a time", "RESERVE"))
        return
    # 3. Ids are never reused: a verdict on file, or one this blue decided (written or not yet).
    known = next((r["verdict"] for r in (x.s.last_verdict, *x.s.unrecorded) if r is not None and r["handoff_id"] == f["handoff_id"]), None)
    existing = ev.existing if ev.existing is not None else known
    if existing is not None:
        x.reply(_err("exists", f"handoff {f['handoff_id']} already has a verdict ({existing}); mint a new id", "RESERVE"))
        return
    # 4. The standby is taking this listener's promotion back: it is about to stop.
    st = x.s.standby
    if x.s.reverting is not None:
        taking = st.handoff_id if st is not None else ""
        x.reply(_err("busy", f"blue is stopping: its standby takes handoff {taking} back; one handoff at a time", "RESERVE"))
        return
    # 5. One standby at a time: the window of the handoff that promoted this listener ends before a new one starts.
    if st is not None:
        if st.ending:
            x.reply(_err("busy", f"the observation of handoff {st.handoff_id} is ending for another handoff; one handoff at a time", "RESERVE"))
            return
        x.s = dataclasses.replace(x.s, standby=dataclasses.replace(st, ending=True), window=None)
        end: dict[str, object] = {"type": "STANDBY_END", "handoff_id": st.handoff_id, "reason": f"superseded by handoff {f['handoff_id']}"}
        x.fx.append(EndStandby(st.pid, end, STANDBY_END_MS, f))
        return
    # 6. A window nobody observes any more ends with this handoff too.
    x.s = dataclasses.replace(
        x.s,
        window=None,
        handoff=Handoff(
            id=f["handoff_id"],
            release=f["release"],
            runtime=f["runtime"],
            bake_ms=f["bake_ms"],
            thresholds=thresholds,
            deadlines=deadlines,
            started_at=ev.now,
            observe_ms=observe_ms,
            observe_thresholds=observe_thresholds,
        ),
    )
    x.enter("reserved", ev.now + deadlines["claim_ms"], f"release {f['release']}, runtime {f['runtime']}")
    x.reply(
        {
            "type": "RESERVED",
            "handoff_id": f["handoff_id"],
            "expires_at": ev.now + deadlines["claim_ms"],
            "thresholds": dict(thresholds),
            "deadlines": dict(deadlines),
            "observe_ms": observe_ms,
            "observe_thresholds": dict(observe_thresholds),
        }
    )


def _green_hello(x: _Stepper, ev: GreenHello) -> None:
    h = x.s.handoff
    if x.s.phase != "reserved" or h is None or h.id != ev.handoff_id:
        if h is None:
            why = "no handoff is reserved"
        elif h.id != ev.handoff_id:
            why = f"no reservation for handoff {ev.handoff_id}"
        else:
            why = f"handoff {h.id} is already claimed ({x.s.phase})"
        x.fx.append(ReplyClose(_err("busy", why, "HELLO", True)))
        return
    x.set_h(green_pid=ev.pid)
    me = x.s.self
    init: dict[str, object] = {
        "type": "HANDOFF_INIT",
        "handoff_id": h.id,
        "blue_pid": me.pid,
        "release": me.release,
        "runtime": me.runtime,
        "store": {"path": me.store_path, "schema": me.store_schema},
        "bake_ms": h.bake_ms,
        "deadlines": dict(h.deadlines),
    }
    x.fx += [AdoptGreen(), ToGreen(init)]
    x.enter("init", ev.now + h.deadlines["ack_ms"], f"green pid {ev.pid}")


def _ack(x: _Stepper, ev: AckEv) -> None:
    f = ev.frame
    h = x.s.handoff
    if h is not None and f["handoff_id"] != h.id:
        return x.unknown_handoff("HANDOFF_ACK", f["handoff_id"])
    if h is None or x.s.phase != "init":
        return x.wrong_phase("HANDOFF_ACK")
    schema = x.s.self.store_schema
    if f["release"] != h.release:
        x.fail_before_handover(f"green reports release {f['release']}, expected {h.release}", False)
    elif f["runtime"] != h.runtime:
        x.fail_before_handover(f"green reports runtime {f['runtime']}, expected {h.runtime}", False)
    elif f["store_schema"] != schema:
        # Decision 2: blue never paused, so nothing to resume.
        x.fail_before_handover(f"green reads store schema {f['store_schema']}; blue's store is schema {schema}", False)
    else:
        x.set_h(green_pid=f["pid"])
        x.enter("draining", ev.now + h.deadlines["drain_ms"], f"green ready after {duration(f['init_ms'])}")
        x.fx.append(Drain(h.deadlines["drain_ms"]))


def _drained(x: _Stepper, ev: Drained) -> None:
    h = x.s.handoff
    if h is None or x.s.phase != "draining":
        return  # late: the drain was abandoned
    x.set_h(cursors=ev.cursors, handed=ev.cursors, paused_at=ev.paused_at)
    active: dict[str, object] = {
        "type": "HANDOFF_ACTIVE",
        "handoff_id": h.id,
        "cursors": dict(ev.cursors),
        "drained": ev.drained,
        "paused_at": ev.paused_at,
    }
    x.fx.append(ToGreen(active))
    x.enter("active", ev.now + h.deadlines["confirm_ms"], f"{ev.drained} in-flight finished")


def _names(names: list[str]) -> str:
    return ("adapter " if len(names) == 1 else "adapters ") + ", ".join(names)


def _confirm(x: _Stepper, ev: ConfirmEv) -> None:
    f = ev.frame
    h = x.s.handoff
    if h is not None and f["handoff_id"] != h.id:
        return x.unknown_handoff("HANDOFF_CONFIRM", f["handoff_id"])
    if h is None or x.s.phase != "active":
        return x.wrong_phase("HANDOFF_CONFIRM")
    notes = tuple(_clip(n) for n in f.get("notes", []))
    x.set_h(polling_at=f["polling_at"], bake_started_at=ev.now, last_heartbeat_at=ev.now, notes=notes)
    handed = list(h.handed or {})
    missing = [n for n in handed if n not in f["adapters"]]
    if missing:
        # A platform handed over and not started would go unanswered.
        x.begin_rollback(f"green did not start {_names(missing)} handed over in HANDOFF_ACTIVE")
        return
    extra = [n for n in f["adapters"] if n not in handed]
    dark = f" after a {duration(max(0, f['polling_at'] - h.paused_at))} dark window" if h.paused_at is not None else ""
    also = f"; green also started {', '.join(extra)}" if extra else ""
    x.enter("baking", ev.now + h.bake_ms, "; ".join([f"green polling{dark}{also}", *notes]))


def _health(x: _Stepper, ev: HealthEv) -> None:
    f = ev.frame
    h = x.s.handoff
    # Heartbeats still count while rolling back: green may poll until it stops, and blue resumes from its latest cursors.
    if h is None or x.s.phase not in ("baking", "active", "rolling-back") or f["handoff_id"] != h.id:
        return
    x.set_h(last_heartbeat_at=ev.now, cursors=f["cursors"], health=(h.health + (f["sample"],))[-4096:])
    x.fx.append(Emit({"kind": "health", "handoff_id": h.id, "sample": f["sample"]}))
    if x.s.phase != "baking":
        return
    h = x.h
    j = judge_sample(f["sample"], x.s.baseline, h.thresholds, h.breaches)
    x.set_h(breaches=j.breaches)
    if j.reason is not None:
        x.begin_rollback(j.reason)
    elif x.s.deadline is not None and ev.now >= x.s.deadline:
        # The bake is over and this heartbeat proves green alive now: promote, unless it is failing as the bake ends.
        x.set_h(late=h.late + 1)
        h = x.h
        end = bake_end(h.health, h.breaches, h.late, x.s.baseline, h.thresholds)
        if end.kind == "promote":
            x.decide("promoted", promotion_reason(h.bake_ms, h.health, h.thresholds, h.notes))
        elif end.reason is not None:
            x.begin_rollback(end.reason)


def _green_rollback(x: _Stepper, ev: GreenRollback) -> None:
    f = ev.frame
    h = x.s.handoff
    if h is not None and f["handoff_id"] != h.id:
        return x.unknown_handoff("HANDOFF_ROLLBACK", f["handoff_id"])
    if h is None or x.s.phase not in ("init", "draining", "active", "baking", "rolling-back"):
        return x.wrong_phase("HANDOFF_ROLLBACK")
    reason = f"green rolled back: {f['reason']}"
    if h.green_pid is not None:
        x.fx.append(StopGreen(h.green_pid, h.deadlines["rollback_grace_ms"]))
    if h.handed is None:
        x.fx.append(CloseGreen())
        if x.s.phase == "draining":
            x.fx.append(Resume(None))
        x.decide("failed", reason)
    else:
        if h.rollback_reason is None:
            x.set_h(rollback_reason=_clip(reason))
        x.finish_rollback(f.get("cursors"))


def _stopped(x: _Stepper, ev: StoppedEv) -> None:
    f = ev.frame
    h = x.s.handoff
    if h is not None and f["handoff_id"] != h.id:
        return x.unknown_handoff("HANDOFF_STOPPED", f["handoff_id"])
    if h is None or x.s.phase != "rolling-back":
        return x.wrong_phase("HANDOFF_STOPPED")
    if h.green_pid is not None:
        x.fx.append(StopGreen(h.green_pid, h.deadlines["rollback_grace_ms"]))
    x.finish_rollback(f["cursors"])


def _green_complete(x: _Stepper, ev: GreenComplete) -> None:
    f = ev.frame
    h = x.s.handoff
    if h is not None and f["handoff_id"] != h.id:
        return x.unknown_handoff("HANDOFF_COMPLETE", f["handoff_id"])
    if h is None or x.s.phase != "complete" or h.pending is None or h.verifying or h.green_pid is None:
        return x.wrong_phase("HANDOFF_COMPLETE")
    # Green says it owns the socket: see for ourselves before leaving (nothing may be listening otherwise).
    x.set_h(verifying=True)
    x.fx.append(CheckTakeover(h.green_pid, PROBE_MS))


def _takeover_checked(x: _Stepper, ev: TakeoverChecked) -> None:
    h = x.s.handoff
    if h is None or x.s.phase != "complete" or not h.verifying or h.pending is None:
        return
    x.set_h(verifying=False)
    if ev.server_pid is not None and ev.server_pid == h.green_pid:
        # Green serves on the socket: the promotion is final; blue leaves, or stands by for the window.
        record = h.pending
        x.set_h(pending=None)
        x.s = dataclasses.replace(x.s, deadline=None, last_verdict=record)
        x.fx += [Emit({"kind": "verdict", "record": record}), CloseGreen()]
        o = record.get("observation")
        if h.observe_ms > 0 and o is not None:
            setup = StandbySetup(
                pid=x.s.self.pid,
                handoff_id=h.id,
                green_pid=h.green_pid,
                release=h.release,
                record=record,
                until=o["until"],
                thresholds=h.observe_thresholds,
                baseline=x.s.baseline,
                rollback_grace_ms=h.deadlines["rollback_grace_ms"],
                restart_grace_ms=h.deadlines["restart_grace_ms"],
                cursors=h.cursors,
            )
            x.fx.append(StandBy(setup))
        else:
            x.fx.append(Exit())
        return
    if ev.server_pid is None:
        who = "no process"
    else:
        who = f"pid {ev.server_pid}{' (blue)' if ev.server_pid == x.s.self.pid else ''}"
    x.take_back(f"green (pid {h.green_pid}) answered HANDOFF_COMPLETE but the socket answers from {who}", True)


def _recorded(x: _Stepper, ev: Recorded) -> None:
    # A verdict file was written (or not): annotate the record, and send a final verdict to the subscribers.
    i = next((k for k, r in enumerate(x.s.unrecorded) if r["handoff_id"] == ev.handoff_id), -1)
    if i < 0:
        return
    written = x.s.unrecorded[i]
    x.s = dataclasses.replace(x.s, unrecorded=x.s.unrecorded[:i] + x.s.unrecorded[i + 1 :])
    record = written
    if ev.error is not None:
        record = cast(VerdictRecord, {**written, "record_error": _clip(ev.error)})

    def same(r: VerdictRecord | None) -> bool:
        return (
            r is not None
            and r["handoff_id"] == ev.handoff_id
            and r["decided_at"] == written["decided_at"]
            and r["verdict"] == written["verdict"]
        )

    if written["verdict"] == "promoted":
        # Provisional until green answers; the EVENT goes out then. A take-back may already have replaced it.
        if x.s.handoff is not None and same(x.s.handoff.pending):
            x.set_h(pending=record)
        return
    if same(x.s.last_verdict):
        x.s = dataclasses.replace(x.s, last_verdict=record)
    x.fx.append(Emit({"kind": "verdict", "record": record}))


def _green_closed(x: _Stepper, ev: GreenClosed) -> None:
    h = x.s.handoff
    if h is None:
        return
    pid = h.green_pid
    alive = ev.green_alive
    # Decision 7: one reason per crash in every phase, by whether the pid is gone when judged.
    if x.s.phase == "init":
        x.fail_before_handover(f"green (pid {pid}) {_exited(alive, 'closed the connection')} before HANDOFF_ACK", False)
    elif x.s.phase == "draining":
        x.fail_before_handover(f"green (pid {pid}) {_exited(alive, 'closed the connection')} while blue was draining", True)
    elif x.s.phase in ("active", "baking"):
        when = "the handover" if x.s.phase == "active" else "the bake"
        x.begin_rollback(f"green (pid {pid}) {_exited(alive, 'closed the handoff connection')} during {when}")


def _abort(x: _Stepper, ev: AbortEv) -> None:
    h = x.s.handoff
    if h is None or h.id != ev.handoff_id:
        msg = f"the current handoff is {h.id}" if h else "no handoff is under way"
        x.reply(_err("unknown_handoff", msg, "ABORT"))
        return
    if x.s.phase == "complete":
        return x.wrong_phase("ABORT")
    reason = f"aborted: {ev.reason}"
    x.reply({"type": "ABORTING", "handoff_id": h.id, "phase": x.s.phase})
    if x.s.phase == "reserved":
        x.decide("failed", reason)
    elif x.s.phase == "init":
        x.fail_before_handover(reason, False)
    elif x.s.phase == "draining":
        x.fail_before_handover(reason, True)
    elif x.s.phase in ("active", "baking"):
        x.begin_rollback(reason)


def _tick(x: _Stepper, ev: Tick) -> None:
    h = x.s.handoff
    if h is None:
        return
    pid = h.green_pid
    gone = pid is not None and not ev.green_alive
    due = x.s.deadline is not None and ev.now >= x.s.deadline
    d = h.deadlines
    phase = x.s.phase
    if phase == "reserved":
        if due:
            x.decide("failed", f"no green claimed handoff {h.id} within {duration(d['claim_ms'])}")
    elif phase == "init":
        if gone:
            x.fail_before_handover(f"green (pid {pid}) exited before HANDOFF_ACK", False)
        elif due:
            x.fail_before_handover(f"green did not send HANDOFF_ACK within {duration(d['ack_ms'])}", False)
    elif phase == "draining":
        if gone:
            x.fail_before_handover(f"green (pid {pid}) exited while blue was draining", True)
        elif due:
            x.fail_before_handover(f"blue could not finish in-flight work within {duration(d['drain_ms'])}", True)
    elif phase == "active":
        if gone:
            x.begin_rollback(f"green (pid {pid}) exited during the handover")
        elif due:
            x.begin_rollback(f"green did not send HANDOFF_CONFIRM within {duration(d['confirm_ms'])}")
    elif phase == "baking":
        age = ev.now - (h.last_heartbeat_at if h.last_heartbeat_at is not None else ev.now)
        limit = h.thresholds["max_heartbeat_age_ms"]
        if gone:
            x.begin_rollback(f"green (pid {pid}) exited during the bake")
        elif age > limit:
            x.begin_rollback(f"no HEALTH from green for {duration(age, limit)} (limit {duration(limit)})")
        # At the bake's end blue waits for one more HEALTH rather than promote a green that may have hung
        # since its last one; the heartbeat-age limit above bounds that wait.
    elif phase == "rolling-back":
        if not ev.green_alive:
            x.finish_rollback(None)
        elif due:
            if pid is not None:
                x.fx.append(KillGreen(pid))
            x.finish_rollback(None, f"green did not stop within {duration(d['rollback_grace_ms'])} and was killed")
    elif phase == "complete":
        # COMPLETE was sent and green has not shown that it owns the socket: if it died or went silent,
        # nobody would serve. Blue takes the socket back and resumes from green's last cursors. (No
        # deadline: the promotion is final and blue is leaving. While blue checks green's answer, the
        # check's own bound decides.)
        if x.s.deadline is None or pid is None or h.verifying:
            return
        if gone:
            x.take_back(f"green (pid {pid}) exited after HANDOFF_COMPLETE before taking over the socket", False)
        elif due:
            x.take_back(
                f"green (pid {pid}) did not take over the socket within {duration(d['takeover_ms'])} "
                "of HANDOFF_COMPLETE and was killed",
                True,
            )


def _standby_hello(x: _Stepper, ev: StandbyHello) -> None:
    """A standby's HELLO: accepted only for the open window of this listener's own promotion, one standby at a time."""
    w = x.s.window
    h = x.s.handoff
    st = x.s.standby

    def refuse(code: ErrorCode, message: str) -> None:
        x.fx.append(ReplyClose(_err(code, message, "HELLO", True)))

    if x.s.reverting is not None:
        return refuse("busy", f"this listener is stopping: its standby takes handoff {st.handoff_id if st else ev.handoff_id} back")
    if h is not None:
        return refuse("busy", f"handoff {h.id} is {x.s.phase}; no observation window is open")
    if w is None or w.handoff_id != ev.handoff_id or ev.now >= w.until:
        return refuse("unknown_handoff", f"no observation window is open for handoff {ev.handoff_id}")
    if st is not None and st.pid != ev.pid:
        return refuse("busy", f"a standby (pid {st.pid}) already observes handoff {w.handoff_id}")
    # The same standby attaching again replaces its old connection.
    if st is not None:
        x.fx.append(CloseStandby())
    x.s = dataclasses.replace(x.s, standby=StandbyCtx(ev.pid, w.handoff_id, w.until, st.rss_bytes if st else None))
    me = x.s.self
    welcome: dict[str, object] = {
        "type": "STANDBY_WELCOME",
        "handoff_id": w.handoff_id,
        "server_pid": me.pid,
        "release": me.release,
        "runtime": me.runtime,
        "until": w.until,
        "heartbeat_ms": STANDBY_HEARTBEAT_MS,
    }
    x.fx += [AdoptStandby(STANDBY_HEARTBEAT_MS), ToStandby(welcome)]


def _standby_rollback(x: _Stepper, ev: StandbyRollback) -> None:
    st = x.s.standby
    if st is None or x.s.reverting is not None:
        return x.wrong_phase("HANDOFF_ROLLBACK")
    if ev.frame["handoff_id"] != st.handoff_id:
        message = f"HANDOFF_ROLLBACK names handoff {ev.frame['handoff_id']}; the standby observes {st.handoff_id}"
        return x.reply(_err("unknown_handoff", message, "HANDOFF_ROLLBACK"))
    # The standby judged this green failed: stop, hand the cursors back, leave (the standby writes the verdict).
    x.s = dataclasses.replace(x.s, reverting=_clip(ev.frame["reason"]), window=None)
    x.fx.append(StopServing(st.handoff_id))


def _standby_closed(x: _Stepper, ev: StandbyClosed) -> None:
    """Nothing changes for this listener's serving (the standby is a safety net); a standby that died inside the
    window leaves the window recorded as `standby-lost`."""
    st = x.s.standby
    if st is None or st.pid != ev.pid:
        return
    x.s = dataclasses.replace(x.s, standby=None)
    # Taking back or superseded: the standby records how the window ended itself.
    if x.s.reverting is not None or st.ending:
        return
    w = x.s.window
    last = x.s.last_verdict
    o = last.get("observation") if last is not None and last["handoff_id"] == st.handoff_id else None
    if ev.now >= st.until:
        # The window is over: the standby wrote `passed` and left.
        x.s = dataclasses.replace(x.s, window=None)
        if last is not None and o is not None and o["outcome"] == "observing":
            passed = cast(VerdictRecord, {**last, "observation": {**o, "ended_at": ev.now, "outcome": "passed"}})
            x.s = dataclasses.replace(x.s, last_verdict=passed)
        return
    # Alive: it may attach again (the window stays open for it).
    if ev.standby_alive or w is None:
        return
    x.s = dataclasses.replace(x.s, window=None)
    if last is not None and o is not None and o["outcome"] == "observing":
        why = f"the standby (pid {st.pid}) exited {duration(ev.now - last['decided_at'])} after promotion; green serves unobserved"
        lost = cast(VerdictRecord, {**last, "observation": {**o, "ended_at": ev.now, "outcome": "standby-lost", "reason": why}})
        x.s = dataclasses.replace(x.s, last_verdict=lost, unrecorded=x.s.unrecorded + (lost,))
        x.fx.append(Record(lost))


def view(st: BlueState) -> State:
    """The STATE frame an observer gets for this state; it always fits one line."""
    h = st.handoff
    last = fit_record(st.last_verdict) if st.last_verdict is not None else None
    frame: State = {
        "v": PROTOCOL_VERSION,
        "type": "STATE",
        "phase": st.phase,
        "server_pid": st.self.pid,
        "release": st.self.release,
        "runtime": st.self.runtime,
        "handoff": (
            {
                "id": h.id,
                "release": h.release,
                "runtime": h.runtime,
                "bake_ms": h.bake_ms,
                "green_pid": h.green_pid,
                "started_at": h.started_at,
                "bake_started_at": h.bake_started_at,
            }
            if h
            else None
        ),
        "timeline": list(h.timeline) if h else (list(last["timeline"]) if last else []),
        "health": [],
        "last_verdict": last,
        "standby": (
            StandbyView(pid=sb.pid, handoff_id=sb.handoff_id, until=sb.until, rss_bytes=sb.rss_bytes)
            if (sb := st.standby) is not None
            else None
        ),
    }
    # The live samples get what room the rest leaves (a margin for the envelope).
    if h is not None:
        frame["health"] = thin(list(h.health[-256:]), max(0, MAX_LINE_BYTES - 256 - json_bytes(frame)))
    return frame
