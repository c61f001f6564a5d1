"""Every frame of protocol version 1 (docs/protocol.md section 5): its type and its schema."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Literal, NotRequired, TypedDict, Union

from . import schema as s
from .cursors import ADAPTER_NAME, ADAPTER_NAME_RULE, Cursors, cursors_schema
from .ids import handoff_id
from .limits import (
    DEADLINE_FIELDS,
    THRESHOLD_FIELDS,
    Deadlines,
    Thresholds,
    complete_deadlines,
    complete_observe_thresholds,
    complete_thresholds,
    deadlines_schema,
    thresholds_schema,
)

#: The protocol version this package speaks.
PROTOCOL_VERSION = 1

Phase = Literal["idle", "reserved", "init", "draining", "active", "baking", "rolling-back", "complete"]
PHASES: tuple[Phase, ...] = ("idle", "reserved", "init", "draining", "active", "baking", "rolling-back", "complete")
Verdict = Literal["promoted", "rolled-back", "failed", "reverted"]
VERDICTS: tuple[Verdict, ...] = ("promoted", "rolled-back", "failed", "reverted")
#: How the observation window after a promotion stands: `observing` while it runs, else how it ended (section 14.1).
ObservationOutcome = Literal["observing", "passed", "reverted", "superseded", "standby-lost"]
OBSERVATION_OUTCOMES: tuple[ObservationOutcome, ...] = ("observing", "passed", "reverted", "superseded", "standby-lost")
ErrorCode = Literal[
    "bad_frame", "too_large", "unknown_type", "unauthorized", "busy", "wrong_phase",
    "unknown_handoff", "timeout", "too_many", "internal", "exists",
]
ERROR_CODES: tuple[ErrorCode, ...] = (
    "bad_frame", "too_large", "unknown_type", "unauthorized", "busy", "wrong_phase",
    "unknown_handoff", "timeout", "too_many", "internal", "exists",
)


class HealthSample(TypedDict):
    """One heartbeat window of green."""

    seq: int
    at: int
    handled: int
    errors: int
    latency_p50_ms: float
    latency_p99_ms: float


class TimelineEntry(TypedDict):
    """One step of a handoff."""

    phase: str
    at: int
    note: NotRequired[str]


class Observation(TypedDict):
    """The observation window of a promotion, in its verdict record."""

    #: When the window ends as planned (the promotion's decided_at + observe_ms).
    until: int
    #: When it ended; None while `observing`.
    ended_at: int | None
    outcome: ObservationOutcome
    #: Why it ended early (`superseded`, `standby-lost`); a reversion's reason is the record's own.
    reason: NotRequired[str]


class VerdictRecord(TypedDict):
    """How a handoff ended: the verdict file, EVENT verdict and STATE.last_verdict."""

    v: int
    handoff_id: str
    verdict: Verdict
    reason: str
    release: str
    runtime: str
    blue_pid: int | None
    green_pid: int | None
    decided_by: Literal["blue", "green"]
    decided_at: int
    dark_window_ms: float | None
    timeline: list[TimelineEntry]
    health: list[HealthSample]
    record_error: NotRequired[str]
    #: A promotion reserved with observe_ms > 0: its observation window.
    observation: NotRequired[Observation]


class StoreRef(TypedDict):
    """Blue's shared store, as HANDOFF_INIT announces it."""

    path: str
    schema: int


class HandoffView(TypedDict):
    """The handoff under way, as STATE shows it."""

    id: str
    release: str
    runtime: str
    bake_ms: int
    green_pid: int | None
    started_at: int
    bake_started_at: int | None


class Hello(TypedDict):
    """C -> B: the first frame of every connection."""

    v: int
    type: Literal["HELLO"]
    role: Literal["green", "observer", "standby"]
    token: str
    pid: int
    handoff_id: NotRequired[str]
    client: NotRequired[str]


class Welcome(TypedDict):
    """B -> O: blue's answer to an observer's HELLO."""

    v: int
    type: Literal["WELCOME"]
    server_pid: int
    phase: Phase
    release: str
    runtime: str
    versions: list[int]


class ErrorFrame(TypedDict):
    """B -> C: a refusal; `fatal` when the sender closes after it."""

    v: int
    type: Literal["ERROR"]
    code: ErrorCode
    message: str
    frame: NotRequired[str]
    fatal: bool


class Reserve(TypedDict):
    """O -> B: ask for the one handoff slot."""

    v: int
    type: Literal["RESERVE"]
    handoff_id: str
    release: str
    runtime: str
    bake_ms: int
    thresholds: NotRequired[dict[str, object]]
    deadlines: NotRequired[dict[str, object]]
    #: The observation window after a promotion (absent or 0: none).
    observe_ms: NotRequired[int]
    #: What the standby judges green by during the window; missing fields take the window's defaults.
    observe_thresholds: NotRequired[dict[str, object]]


class Reserved(TypedDict):
    """B -> O: the reservation, with the complete thresholds and deadlines."""

    v: int
    type: Literal["RESERVED"]
    handoff_id: str
    expires_at: int
    thresholds: Thresholds
    deadlines: Deadlines
    observe_ms: int
    observe_thresholds: Thresholds


class Status(TypedDict):
    """O -> B: ask for one STATE."""

    v: int
    type: Literal["STATUS"]


class Subscribe(TypedDict):
    """O -> B: STATE now, then every EVENT."""

    v: int
    type: Literal["SUBSCRIBE"]


class StandbyView(TypedDict):
    """The standby observing this listener's promotion (STATE.standby)."""

    pid: int
    handoff_id: str
    until: int
    #: From its last STANDBY_STATUS; None before the first.
    rss_bytes: int | None


class State(TypedDict):
    """B -> O: what blue is doing."""

    v: int
    type: Literal["STATE"]
    phase: Phase
    server_pid: int
    release: str
    runtime: str
    handoff: HandoffView | None
    timeline: list[TimelineEntry]
    health: list[HealthSample]
    last_verdict: VerdictRecord | None
    #: The standby observing this listener's promotion, or None (a reader takes an absent field as None).
    standby: StandbyView | None


class PhaseEvent(TypedDict):
    """Blue entered a phase."""

    kind: Literal["phase"]
    handoff_id: str
    phase: Phase
    at: int
    note: NotRequired[str]


class HealthEvent(TypedDict):
    """Green sent a HEALTH sample."""

    kind: Literal["health"]
    handoff_id: str
    sample: HealthSample


class VerdictEvent(TypedDict):
    """The handoff ended."""

    kind: Literal["verdict"]
    record: VerdictRecord


Event = Union[PhaseEvent, HealthEvent, VerdictEvent]


class EventFrame(TypedDict):
    """B -> subscribed O: one event."""

    v: int
    type: Literal["EVENT"]
    event: Event


class Abort(TypedDict):
    """O -> B: end handoff `handoff_id`."""

    v: int
    type: Literal["ABORT"]
    handoff_id: str
    reason: str


class Aborting(TypedDict):
    """B -> O: the abort is under way; `phase` is where it found the handoff."""

    v: int
    type: Literal["ABORTING"]
    handoff_id: str
    phase: Phase


class HandoffInit(TypedDict):
    """B -> G: blue accepts green."""

    v: int
    type: Literal["HANDOFF_INIT"]
    handoff_id: str
    blue_pid: int
    release: str
    runtime: str
    store: StoreRef
    bake_ms: int
    deadlines: Deadlines


class HandoffAck(TypedDict):
    """G -> B: green is fully initialised."""

    v: int
    type: Literal["HANDOFF_ACK"]
    handoff_id: str
    pid: int
    runtime: str
    release: str
    store_schema: int
    init_ms: int


class HandoffActive(TypedDict):
    """B -> G: blue has paused; green takes over polling from `cursors`."""

    v: int
    type: Literal["HANDOFF_ACTIVE"]
    handoff_id: str
    cursors: Cursors
    drained: int
    paused_at: int


class HandoffConfirm(TypedDict):
    """G -> B: green is polling; `notes` go into the timeline and the promotion's reason."""

    v: int
    type: Literal["HANDOFF_CONFIRM"]
    handoff_id: str
    adapters: list[str]
    polling_at: int
    notes: NotRequired[list[str]]


class Health(TypedDict):
    """G -> B: a heartbeat with green's latest cursors."""

    v: int
    type: Literal["HEALTH"]
    handoff_id: str
    sample: HealthSample
    cursors: Cursors


class HandoffComplete(TypedDict):
    """B -> G: promoted; G -> B: green owns the socket."""

    v: int
    type: Literal["HANDOFF_COMPLETE"]
    handoff_id: str
    reason: str


class HandoffRollback(TypedDict):
    """B -> G or G -> B: end the handoff; green's carries where it stopped."""

    v: int
    type: Literal["HANDOFF_ROLLBACK"]
    handoff_id: str
    reason: str
    cursors: NotRequired[Cursors]


class HandoffStopped(TypedDict):
    """G -> B: green stopped polling after blue's HANDOFF_ROLLBACK."""

    v: int
    type: Literal["HANDOFF_STOPPED"]
    handoff_id: str
    cursors: Cursors


class StandbyWelcome(TypedDict):
    """B -> S: the listener accepts its standby; it sends HEALTH every `heartbeat_ms` from now on."""

    v: int
    type: Literal["STANDBY_WELCOME"]
    handoff_id: str
    server_pid: int
    release: str
    runtime: str
    until: int
    heartbeat_ms: int


class StandbyStatus(TypedDict):
    """S -> B: the standby's own state (its resident memory, when it leaves)."""

    v: int
    type: Literal["STANDBY_STATUS"]
    rss_bytes: int
    until: int


class StandbyEnd(TypedDict):
    """B -> S: a new handoff supersedes the window."""

    v: int
    type: Literal["STANDBY_END"]
    handoff_id: str
    reason: str


Frame = Union[
    Hello, Welcome, ErrorFrame, Reserve, Reserved, Status, Subscribe, State, EventFrame, Abort, Aborting,
    HandoffInit, HandoffAck, HandoffActive, HandoffConfirm, Health, HandoffComplete, HandoffRollback, HandoffStopped,
    StandbyWelcome, StandbyStatus, StandbyEnd,
]

# --- schemas -------------------------------------------------------------------------------------

_v = s.integer(1)
pid = s.integer(gt=0)
ms = s.integer(0)
text = s.string(0, 4096)
release = s.string(1, 200)
runtime = s.string(1, 64)
phase = s.one_of(*PHASES)
adapter_name = s.string(1, 64, ADAPTER_NAME, ADAPTER_NAME_RULE)

health_sample = s.obj(
    {
        "seq": s.integer(0),
        "at": ms,
        "handled": s.integer(0),
        "errors": s.integer(0),
        "latency_p50_ms": s.number(0),
        "latency_p99_ms": s.number(0),
    }
)
timeline_entry = s.obj({"phase": s.string(0, 64), "at": ms}, {"note": text})
observation = s.obj(
    {"until": ms, "ended_at": s.nullable(ms), "outcome": s.one_of(*OBSERVATION_OUTCOMES)},
    {"reason": text},
)
verdict_record = s.obj(
    {
        "v": _v,
        "handoff_id": handoff_id(),
        "verdict": s.one_of(*VERDICTS),
        "reason": text,
        "release": release,
        "runtime": runtime,
        "blue_pid": s.nullable(pid),
        "green_pid": s.nullable(pid),
        "decided_by": s.one_of("blue", "green"),
        "decided_at": ms,
        "dark_window_ms": s.nullable(s.number(0)),
        "timeline": s.array(timeline_entry, 0, 256),
        "health": s.array(health_sample, 0, 4096),
    },
    {"record_error": text, "observation": observation},
)


def _reserve_rules(inner: s.Schema) -> s.Schema:
    # Decision 10: green's rollback drain is bounded by drain_ms, so the grace that bounds it must not be shorter.
    def check(value: object, path: s.Path) -> object:
        out = inner(value, path)
        assert isinstance(out, dict)
        given = out.get("deadlines")
        full = complete_deadlines(given if isinstance(given, dict) else None)
        if full["rollback_grace_ms"] < full["drain_ms"]:
            raise s.Invalid(
                path + ("deadlines", "rollback_grace_ms"),
                f"must be at least drain_ms ({full['drain_ms']})",
            )
        return out

    return check


def _completed(inner: s.Schema, complete: Callable[[dict[str, object] | None], Mapping[str, object]]) -> s.Schema:
    def check(value: object, path: s.Path) -> object:
        out = inner(value, path)
        assert isinstance(out, dict)
        return dict(complete(out))

    return check


def _with_default(inner: s.Schema, name: str, default: object) -> s.Schema:
    # An optional field a reader takes as `default` when absent (STATE.standby, from a listener written before it).
    def check(value: object, path: s.Path) -> object:
        out = inner(value, path)
        assert isinstance(out, dict)
        out.setdefault(name, default)
        return out

    return check


def _frame(type_: str, required: dict[str, s.Schema], optional: dict[str, s.Schema] | None = None) -> s.Schema:
    return s.obj({"v": _v, "type": s.one_of(type_), **required}, optional)


FRAME_SCHEMAS: dict[str, s.Schema] = {
    # The id of a HELLO is checked only after its token (decision 10): here it need only be a short string.
    "HELLO": _frame(
        "HELLO",
        {"role": s.one_of("green", "observer", "standby"), "token": s.string(1, 512), "pid": pid},
        {"handoff_id": s.string(0, 1024), "client": s.string(0, 128)},
    ),
    "WELCOME": _frame(
        "WELCOME",
        {"server_pid": pid, "phase": phase, "release": release, "runtime": runtime, "versions": s.array(s.integer(), 1)},
    ),
    "ERROR": _frame(
        "ERROR", {"code": s.one_of(*ERROR_CODES), "message": text, "fatal": s.boolean()}, {"frame": s.string(0, 64)}
    ),
    "RESERVE": _reserve_rules(
        _frame(
            "RESERVE",
            {"handoff_id": handoff_id(), "release": release, "runtime": runtime, "bake_ms": ms},
            # A present object is completed with the defaults (as the Node peer decodes it); an absent one stays absent.
            {
                "thresholds": _completed(s.partial(THRESHOLD_FIELDS), complete_thresholds),
                "deadlines": _completed(s.partial(DEADLINE_FIELDS), complete_deadlines),
                "observe_ms": ms,
                # The window's own (looser) defaults fill in what is missing.
                "observe_thresholds": _completed(s.partial(THRESHOLD_FIELDS), complete_observe_thresholds),
            },
        )
    ),
    "RESERVED": _frame(
        "RESERVED",
        {
            "handoff_id": handoff_id(),
            "expires_at": ms,
            "thresholds": thresholds_schema,
            "deadlines": deadlines_schema,
            "observe_ms": ms,
            "observe_thresholds": thresholds_schema,
        },
    ),
    "STATUS": _frame("STATUS", {}),
    "SUBSCRIBE": _frame("SUBSCRIBE", {}),
    "STATE": _with_default(_frame(
        "STATE",
        {
            "phase": phase,
            "server_pid": pid,
            "release": release,
            "runtime": runtime,
            "handoff": s.nullable(
                s.obj(
                    {
                        "id": handoff_id(),
                        "release": release,
                        "runtime": runtime,
                        "bake_ms": ms,
                        "green_pid": s.nullable(pid),
                        "started_at": ms,
                        "bake_started_at": s.nullable(ms),
                    }
                )
            ),
            "timeline": s.array(timeline_entry),
            "health": s.array(health_sample),
            "last_verdict": s.nullable(verdict_record),
        },
        {"standby": s.nullable(s.obj({"pid": pid, "handoff_id": handoff_id(), "until": ms, "rss_bytes": s.nullable(s.integer(0))}))},
    ), "standby", None),
    "EVENT": _frame(
        "EVENT",
        {
            "event": s.tagged(
                "kind",
                {
                    "phase": s.obj(
                        {"kind": s.one_of("phase"), "handoff_id": handoff_id(), "phase": phase, "at": ms}, {"note": text}
                    ),
                    "health": s.obj({"kind": s.one_of("health"), "handoff_id": handoff_id(), "sample": health_sample}),
                    "verdict": s.obj({"kind": s.one_of("verdict"), "record": verdict_record}),
                },
                "event kind",
            )
        },
    ),
    "ABORT": _frame("ABORT", {"handoff_id": handoff_id(), "reason": text}),
    "ABORTING": _frame("ABORTING", {"handoff_id": handoff_id(), "phase": phase}),
    "HANDOFF_INIT": _frame(
        "HANDOFF_INIT",
        {
            "handoff_id": handoff_id(),
            "blue_pid": pid,
            "release": release,
            "runtime": runtime,
            "store": s.obj({"path": s.string(0, 4096), "schema": s.integer(0)}),
            "bake_ms": ms,
            "deadlines": deadlines_schema,
        },
    ),
    "HANDOFF_ACK": _frame(
        "HANDOFF_ACK",
        {
            "handoff_id": handoff_id(),
            "pid": pid,
            "runtime": runtime,
            "release": release,
            "store_schema": s.integer(0),
            "init_ms": ms,
        },
    ),
    "HANDOFF_ACTIVE": _frame(
        "HANDOFF_ACTIVE",
        {"handoff_id": handoff_id(), "cursors": cursors_schema, "drained": s.integer(0), "paused_at": ms},
    ),
    "HANDOFF_CONFIRM": _frame(
        "HANDOFF_CONFIRM",
        {"handoff_id": handoff_id(), "adapters": s.array(adapter_name, 0, 64), "polling_at": ms},
        # What blue should know about the takeover (a Discord session green had to identify afresh).
        {"notes": s.array(s.string(0, 1024), 0, 8)},
    ),
    "HEALTH": _frame("HEALTH", {"handoff_id": handoff_id(), "sample": health_sample, "cursors": cursors_schema}),
    "HANDOFF_COMPLETE": _frame("HANDOFF_COMPLETE", {"handoff_id": handoff_id(), "reason": text}),
    "HANDOFF_ROLLBACK": _frame(
        "HANDOFF_ROLLBACK", {"handoff_id": handoff_id(), "reason": text}, {"cursors": cursors_schema}
    ),
    "HANDOFF_STOPPED": _frame("HANDOFF_STOPPED", {"handoff_id": handoff_id(), "cursors": cursors_schema}),
    # The observation window: the listener (green, serving) and its standby (the old blue).
    "STANDBY_WELCOME": _frame(
        "STANDBY_WELCOME",
        {"handoff_id": handoff_id(), "server_pid": pid, "release": release, "runtime": runtime, "until": ms, "heartbeat_ms": s.integer(gt=0)},
    ),
    "STANDBY_STATUS": _frame("STANDBY_STATUS", {"rss_bytes": s.integer(0), "until": ms}),
    "STANDBY_END": _frame("STANDBY_END", {"handoff_id": handoff_id(), "reason": text}),
}


def is_frame_type(type_: str) -> bool:
    """True when `type_` names a frame of this version."""
    return type_ in FRAME_SCHEMAS
