import random
import unittest
from typing import cast

from hermes_handoff import machine as m
from hermes_handoff.cursors import Cursors, telegram
from hermes_handoff.frames import HandoffAck, Health, Reserve
from hermes_handoff.framing import MAX_LINE_BYTES, encode_frame
from hermes_handoff.health import Baseline

ME = m.BlueSelf(pid=100, release="r0", runtime="legacy", store_path="/s/t.log", store_schema=1)
GREEN = 200
T0 = 1_000_000
C72: Cursors = {"telegram": telegram(72)}


def reserve(id_: str = "h1", bake: int = 3000, **extra: object) -> Reserve:
    f = {"v": 1, "type": "RESERVE", "handoff_id": id_, "release": "r1", "runtime": "claw", "bake_ms": bake}
    f.update(extra)
    return cast(Reserve, f)


def ack(**over: object) -> HandoffAck:
    f = {"v": 1, "type": "HANDOFF_ACK", "handoff_id": "h1", "pid": GREEN, "runtime": "claw", "release": "r1", "store_schema": 1, "init_ms": 1502}
    f.update(over)
    return cast(HandoffAck, f)


def health(seq: int, handled: int = 10, errors: int = 0, p99: float = 5, offset: int = 80) -> Health:
    return {"v": 1, "type": "HEALTH", "handoff_id": "h1", "cursors": {"telegram": telegram(offset)},
            "sample": {"seq": seq, "at": 0, "handled": handled, "errors": errors, "latency_p50_ms": 1, "latency_p99_ms": p99}}


class Driver:
    """Steps the machine and keeps every effect."""

    def __init__(self) -> None:
        self.s = m.initial_state(ME)
        self.fx: list[m.BlueEffect] = []

    def __call__(self, ev: m.BlueEvent) -> list[m.BlueEffect]:
        r = m.step(self.s, ev)
        self.s = r.state
        self.fx += r.effects
        return r.effects

    def to(self, phase: str, now: int = T0) -> "Driver":
        self(m.ReserveEv(now, reserve()))
        if phase == "reserved":
            return self
        self(m.GreenHello(now + 10, "h1", GREEN))
        if phase == "init":
            return self
        self(m.AckEv(now + 20, ack()))
        if phase == "draining":
            return self
        self(m.Drained(now + 30, C72, 2, now + 25))
        if phase == "active":
            return self
        self(m.ConfirmEv(now + 40, {"v": 1, "type": "HANDOFF_CONFIRM", "handoff_id": "h1", "adapters": ["telegram"], "polling_at": now + 44}))
        assert phase == "baking"
        return self

    def frames(self, cls: type, type_: str | None = None) -> list[dict[str, object]]:
        out = [f.frame for f in self.fx if isinstance(f, cls)]  # type: ignore[attr-defined]
        return [f for f in out if type_ is None or f["type"] == type_]

    def records(self) -> list[m.Record]:
        return [f for f in self.fx if isinstance(f, m.Record)]

    def reason(self) -> str:
        return self.records()[-1].record["reason"]


def kinds(effects: list[m.BlueEffect]) -> list[str]:
    return [type(e).__name__ for e in effects]


class Promotion(unittest.TestCase):
    def test_the_whole_way_and_the_takeover_check(self) -> None:
        d = Driver().to("baking")
        self.assertEqual(d.s.phase, "baking")
        self.assertEqual(d.frames(m.ToGreen, "HANDOFF_INIT")[0]["store"], {"path": "/s/t.log", "schema": 1})
        self.assertEqual(d.frames(m.ToGreen, "HANDOFF_ACTIVE")[0]["cursors"], C72)
        notes = [t.get("note") for t in d.s.handoff.timeline]  # type: ignore[union-attr]
        self.assertEqual(notes, ["release r1, runtime claw", "green pid 200", "green ready after 1.5 s", "2 in-flight finished", "green polling after a 19 ms dark window"])
        d(m.HealthEv(T0 + 1040, health(1)))
        d(m.Tick(T0 + 3040, True))  # the bake is over: blue waits for one more HEALTH
        self.assertEqual(d.s.phase, "baking")
        fx = d(m.HealthEv(T0 + 3050, health(2, offset=90)))
        self.assertEqual(d.s.phase, "complete")
        self.assertEqual(kinds(fx), ["Emit", "Emit", "Record", "ToGreen"])
        self.assertEqual(d.reason(), "bake of 3 s passed: 2 heartbeats, 20 messages, error rate 0%, worst p99 5 ms")
        self.assertEqual(d.records()[-1].record["dark_window_ms"], 19)
        self.assertIsNone(d.s.last_verdict)  # not final before green answers
        fx = d(m.GreenComplete(T0 + 3060, {"v": 1, "type": "HANDOFF_COMPLETE", "handoff_id": "h1", "reason": "green owns the socket"}))
        self.assertEqual(fx, [m.CheckTakeover(GREEN, m.PROBE_MS)])
        fx = d(m.GreenComplete(T0 + 3061, {"v": 1, "type": "HANDOFF_COMPLETE", "handoff_id": "h1", "reason": "again"}))
        self.assertEqual(cast(m.Reply, fx[0]).frame["code"], "wrong_phase")
        fx = d(m.TakeoverChecked(T0 + 3070, GREEN))
        self.assertEqual(kinds(fx), ["Emit", "CloseGreen", "Exit"])
        self.assertEqual(d.s.last_verdict["verdict"], "promoted")  # type: ignore[index]

    def test_a_socket_that_answers_from_another_pid_is_taken_back(self) -> None:
        d = Driver().to("baking")
        d(m.HealthEv(T0 + 4000, health(1, offset=95)))
        d(m.GreenComplete(T0 + 4010, {"v": 1, "type": "HANDOFF_COMPLETE", "handoff_id": "h1", "reason": "x"}))
        fx = d(m.TakeoverChecked(T0 + 4020, ME.pid))
        self.assertEqual(kinds(fx)[:4], ["KillGreen", "CloseGreen", "ReclaimSocket", "Resume"])
        self.assertEqual(cast(m.Resume, fx[3]).cursors, {"telegram": telegram(95)})
        self.assertEqual(d.reason(), "green (pid 200) answered HANDOFF_COMPLETE but the socket answers from pid 100 (blue)")
        self.assertEqual(d.s.phase, "idle")
        self.assertEqual(d.s.last_verdict["verdict"], "rolled-back")  # type: ignore[index]

    def test_takeover_check_nobody_and_its_deadline(self) -> None:
        d = Driver().to("baking")
        d(m.HealthEv(T0 + 4000, health(1)))
        d(m.GreenComplete(T0 + 4010, {"v": 1, "type": "HANDOFF_COMPLETE", "handoff_id": "h1", "reason": "x"}))
        d(m.TakeoverChecked(T0 + 4020, None))
        self.assertEqual(d.reason(), "green (pid 200) answered HANDOFF_COMPLETE but the socket answers from no process")
        # While blue checks, ticks past the takeover deadline do nothing: the check's own bound decides.
        d = Driver().to("baking")
        d(m.HealthEv(T0 + 4000, health(1)))
        d(m.GreenComplete(T0 + 4010, {"v": 1, "type": "HANDOFF_COMPLETE", "handoff_id": "h1", "reason": "x"}))
        self.assertEqual(d(m.Tick(T0 + 4010 + 60_000, True)), [])
        self.assertEqual(d.s.phase, "complete")

    def test_green_gone_or_silent_after_complete(self) -> None:
        d = Driver().to("baking")
        d(m.HealthEv(T0 + 4000, health(1)))
        fx = d(m.Tick(T0 + 4020, False))
        self.assertNotIn("KillGreen", kinds(fx))
        self.assertEqual(d.reason(), "green (pid 200) exited after HANDOFF_COMPLETE before taking over the socket")
        d = Driver().to("baking")
        d(m.HealthEv(T0 + 4000, health(1)))
        fx = d(m.Tick(T0 + 14_000, True))
        self.assertEqual(kinds(fx)[0], "KillGreen")
        self.assertEqual(d.reason(), "green (pid 200) did not take over the socket within 10 s of HANDOFF_COMPLETE and was killed")

    def test_too_little_traffic_still_promotes_and_says_so(self) -> None:
        d = Driver().to("baking")
        d(m.HealthEv(T0 + 3100, health(1, handled=0)))
        self.assertEqual(d.reason(), "bake of 3 s passed with too little traffic to judge: 1 heartbeat, 0 messages (fewer than 10)")


class Refusals(unittest.TestCase):
    def test_reserve_busy_exists_and_bad_deadlines(self) -> None:
        d = Driver()
        fx = d(m.ReserveEv(T0, reserve("old"), "rolled-back"))
        self.assertEqual(cast(m.Reply, fx[0]).frame, {"type": "ERROR", "code": "exists", "frame": "RESERVE", "fatal": False,
                                                      "message": "handoff old already has a verdict (rolled-back); mint a new id"})
        self.assertEqual(d.s.phase, "idle")
        d(m.ReserveEv(T0, reserve()))
        fx = d(m.ReserveEv(T0, reserve("h2"), "failed"))
        self.assertEqual(cast(m.Reply, fx[0]).frame["message"], "handoff h1 is reserved; one handoff at a time")
        fx = Driver()(m.ReserveEv(T0, reserve(deadlines={"drain_ms": 20_000})))
        self.assertIsInstance(fx[0], m.ReplyClose)
        self.assertEqual(cast(m.ReplyClose, fx[0]).frame["message"], "RESERVE: deadlines.rollback_grace_ms: must be at least drain_ms (20000)")

    def test_reserved_is_answered_complete(self) -> None:
        fx = Driver()(m.ReserveEv(T0, reserve(thresholds={"min_messages": 0})))
        reserved = [f.frame for f in fx if isinstance(f, m.Reply)][0]
        self.assertEqual(reserved["expires_at"], T0 + 600_000)
        self.assertEqual(reserved["thresholds"]["min_messages"], 0)  # type: ignore[index]
        self.assertEqual(reserved["thresholds"]["expected_latency_ms"], 5000)  # type: ignore[index]
        self.assertEqual(reserved["deadlines"]["takeover_ms"], 10_000)  # type: ignore[index]

    def test_green_hello_refusals(self) -> None:
        self.assertEqual(cast(m.ReplyClose, Driver()(m.GreenHello(T0, "h1", GREEN))[0]).frame["message"], "no handoff is reserved")
        d = Driver().to("reserved")
        self.assertEqual(cast(m.ReplyClose, d(m.GreenHello(T0, "h9", GREEN))[0]).frame["message"], "no reservation for handoff h9")
        d(m.GreenHello(T0, "h1", GREEN))
        self.assertEqual(cast(m.ReplyClose, d(m.GreenHello(T0, "h1", 300))[0]).frame["message"], "handoff h1 is already claimed (init)")

    def test_claim_expiry(self) -> None:
        d = Driver().to("reserved")
        d(m.Tick(T0 + 599_999, True))
        self.assertEqual(d.s.phase, "reserved")
        d(m.Tick(T0 + 600_000, True))
        self.assertEqual((d.s.phase, d.reason()), ("idle", "no green claimed handoff h1 within 10 min"))

    def test_ack_mismatches_fail_without_resuming(self) -> None:
        for over, reason in [
            ({"release": "x"}, "green reports release x, expected r1"),
            ({"runtime": "y"}, "green reports runtime y, expected claw"),
            ({"store_schema": 99}, "green reads store schema 99; blue's store is schema 1"),
        ]:
            with self.subTest(reason=reason):
                d = Driver().to("init")
                fx = d(m.AckEv(T0 + 20, ack(**over)))
                self.assertEqual(d.reason(), reason)
                self.assertEqual(d.records()[-1].record["verdict"], "failed")
                self.assertIn(m.StopGreen(GREEN, 10_000), fx)
                self.assertNotIn("Resume", kinds(fx))
                self.assertEqual(d.frames(m.ToGreen, "HANDOFF_ROLLBACK")[-1]["reason"], reason)

    def test_unknown_handoff_and_wrong_phase(self) -> None:
        d = Driver().to("init")
        fx = d(m.AckEv(T0, ack(handoff_id="zz")))
        self.assertEqual(cast(m.Reply, fx[0]).frame["message"], "HANDOFF_ACK names handoff zz; the current handoff is h1")
        fx = d(m.StoppedEv(T0, {"v": 1, "type": "HANDOFF_STOPPED", "handoff_id": "h1", "cursors": {}}))
        self.assertEqual(cast(m.Reply, fx[0]).frame["message"], "HANDOFF_STOPPED is not accepted now: handoff h1 is init")
        self.assertEqual(d(m.HealthEv(T0, health(1))), [])  # HEALTH outside the bake is ignored


class CrashesAndDeadlines(unittest.TestCase):
    def test_drain(self) -> None:
        d = Driver().to("draining")
        fx = d(m.Tick(T0 + 20 + 10_000, True))
        self.assertEqual(d.reason(), "blue could not finish in-flight work within 10 s")
        self.assertIn(m.Resume(None), fx)
        self.assertEqual(d(m.Drained(T0 + 20 + 10_001, C72, 0, T0)), [])  # a late drain is ignored

    def test_green_dying_during_the_drain_is_failed_by_whether_its_pid_is_gone(self) -> None:
        for alive, words in [(True, "closed the connection"), (False, "exited")]:
            d = Driver().to("draining")
            fx = d(m.GreenClosed(T0 + 25, alive))
            self.assertEqual(d.reason(), f"green (pid 200) {words} while blue was draining")
            self.assertEqual(d.records()[-1].record["verdict"], "failed")
            self.assertIn(m.Resume(None), fx)
        d = Driver().to("draining")
        d(m.Tick(T0 + 25, False))
        self.assertEqual(d.reason(), "green (pid 200) exited while blue was draining")

    def test_one_reason_during_the_handover_whatever_wins_the_race(self) -> None:
        d = Driver().to("active")
        d(m.Tick(T0 + 35, False))
        by_tick = d.s.handoff.rollback_reason  # type: ignore[union-attr]
        d = Driver().to("active")
        d(m.GreenClosed(T0 + 35, False))
        self.assertEqual(by_tick, d.s.handoff.rollback_reason)  # type: ignore[union-attr]
        self.assertEqual(by_tick, "green (pid 200) exited during the handover")
        d = Driver().to("active")
        d(m.GreenClosed(T0 + 35, True))
        self.assertEqual(d.s.handoff.rollback_reason, "green (pid 200) closed the handoff connection during the handover")  # type: ignore[union-attr]
        # Nothing polled after blue paused until blue resumed: the dark window ends when blue decides to resume.
        fx = d(m.Tick(T0 + 40, False))
        rec = [f for f in fx if isinstance(f, m.Record)][0]
        self.assertEqual((rec.record["verdict"], rec.record["dark_window_ms"]), ("rolled-back", 15))
        self.assertIn(m.Resume(C72), fx)

    def test_confirm_must_cover_every_adapter_handed_over(self) -> None:
        d = Driver()
        d(m.ReserveEv(T0, reserve()))
        d(m.GreenHello(T0, "h1", GREEN))
        d(m.AckEv(T0, ack()))
        two: Cursors = {"telegram": telegram(1), "discord": {"kind": "discord", "session_id": "s", "seq": 4, "resume_gateway_url": "wss://g"}}
        d(m.Drained(T0, two, 0, T0))
        d(m.ConfirmEv(T0 + 5, {"v": 1, "type": "HANDOFF_CONFIRM", "handoff_id": "h1", "adapters": ["telegram"], "polling_at": T0 + 5}))
        self.assertEqual(d.s.phase, "rolling-back")
        self.assertEqual(d.s.handoff.rollback_reason, "green did not start adapter discord handed over in HANDOFF_ACTIVE")  # type: ignore[union-attr]
        d = Driver().to("active")
        d(m.ConfirmEv(T0 + 40, {"v": 1, "type": "HANDOFF_CONFIRM", "handoff_id": "h1", "adapters": ["telegram", "irc"], "polling_at": T0 + 44}))
        self.assertEqual(d.s.handoff.timeline[-1].get("note"), "green polling after a 19 ms dark window; green also started irc")  # type: ignore[union-attr]
        d = Driver().to("active")
        note = "discord session expired before green resumed; re-identified, 3 dispatches may be missed"
        d(m.ConfirmEv(T0 + 40, {"v": 1, "type": "HANDOFF_CONFIRM", "handoff_id": "h1", "adapters": ["telegram"], "polling_at": T0 + 44, "notes": [note]}))
        self.assertEqual(d.s.handoff.timeline[-1].get("note"), f"green polling after a 19 ms dark window; {note}")  # type: ignore[union-attr]
        d(m.HealthEv(T0 + 3100, health(1)))
        self.assertEqual(d.reason(), f"bake of 3 s passed: 1 heartbeat, 10 messages, error rate 0%, worst p99 5 ms; {note}")

    def test_heartbeat_age_and_confirm_deadline(self) -> None:
        d = Driver().to("baking")
        d(m.Tick(T0 + 40 + 5000, True))
        self.assertEqual(d.s.phase, "baking")
        d(m.Tick(T0 + 40 + 5020, True))
        self.assertEqual(d.s.handoff.rollback_reason, "no HEALTH from green for 5.02 s (limit 5 s)")  # type: ignore[union-attr]
        d = Driver().to("active")
        d(m.Tick(T0 + 30 + 10_000, True))
        self.assertEqual(d.s.handoff.rollback_reason, "green did not send HANDOFF_CONFIRM within 10 s")  # type: ignore[union-attr]

    def test_health_breach_rolls_back_and_blue_resumes_from_stopped(self) -> None:
        d = Driver().to("baking")
        for i in range(3):
            d(m.HealthEv(T0 + 100 * i, health(i + 1, errors=10)))
        self.assertEqual(d.s.phase, "rolling-back")
        self.assertEqual(d.frames(m.ToGreen, "HANDOFF_ROLLBACK")[-1]["reason"], "error rate 100% > 5% in 3 consecutive samples")
        d(m.HealthEv(T0 + 350, health(4, offset=99)))  # green may poll until it stops
        fx = d(m.StoppedEv(T0 + 400, {"v": 1, "type": "HANDOFF_STOPPED", "handoff_id": "h1", "cursors": {"telegram": telegram(101)}}))
        self.assertIn(m.Resume({"telegram": telegram(101)}), fx)
        self.assertEqual((d.s.phase, d.records()[-1].record["verdict"]), ("idle", "rolled-back"))

    def test_latency_breach_without_a_baseline_uses_the_expected_latency(self) -> None:
        d = Driver()
        d(m.BaselineEv(T0, Baseline(None, 3)))
        d.to("baking")
        for i in range(3):
            d(m.HealthEv(T0 + 50 + i, health(i + 1, p99=615)))
        self.assertEqual(d.s.phase, "baking")  # 615 ms is fine against 3x an expected 5 s

    def test_rolling_back_grace_and_gone(self) -> None:
        d = Driver().to("baking")
        d(m.HealthEv(T0 + 50, health(1, offset=90)))
        d(m.AbortEv(T0 + 60, "h1", "operator"))
        fx = d(m.Tick(T0 + 60 + 10_000, True))
        self.assertEqual(kinds(fx)[0], "KillGreen")
        self.assertIn(m.Resume({"telegram": telegram(90)}), fx)
        self.assertEqual(d.reason(), "aborted: operator; green did not stop within 10 s and was killed")
        d = Driver().to("baking")
        d(m.AbortEv(T0 + 60, "h1", "operator"))
        d(m.GreenClosed(T0 + 61, True))
        self.assertEqual(d.s.phase, "rolling-back")  # closing is not stopping
        d(m.Tick(T0 + 70, False))
        self.assertEqual((d.s.phase, d.reason()), ("idle", "aborted: operator"))

    def test_abort_in_each_phase(self) -> None:
        expect = {"reserved": ("idle", "failed"), "init": ("idle", "failed"), "draining": ("idle", "failed"),
                  "active": ("rolling-back", None), "baking": ("rolling-back", None)}
        for phase, (after, verdict) in expect.items():
            with self.subTest(phase=phase):
                d = Driver().to(phase)
                fx = d(m.AbortEv(T0 + 100, "h1", "stop"))
                self.assertEqual(cast(m.Reply, fx[0]).frame, {"type": "ABORTING", "handoff_id": "h1", "phase": phase})
                self.assertEqual(d.s.phase, after)
                if verdict:
                    self.assertEqual((d.records()[-1].record["verdict"], d.reason()), (verdict, "aborted: stop"))
                self.assertEqual(m.Resume(None) in fx, phase == "draining")
        fx = Driver()(m.AbortEv(T0, "h1", "x"))
        self.assertEqual(cast(m.Reply, fx[0]).frame["message"], "no handoff is under way")

    def test_green_rollback_before_and_after_the_handover(self) -> None:
        d = Driver().to("init")
        d(m.GreenRollback(T0, {"v": 1, "type": "HANDOFF_ROLLBACK", "handoff_id": "h1", "reason": "green reads store schema 2; blue's store is schema 1"}))
        self.assertEqual((d.records()[-1].record["verdict"], d.reason()), ("failed", "green rolled back: green reads store schema 2; blue's store is schema 1"))
        d = Driver().to("baking")
        fx = d(m.GreenRollback(T0 + 50, {"v": 1, "type": "HANDOFF_ROLLBACK", "handoff_id": "h1", "reason": "no verdict", "cursors": {"telegram": telegram(88)}}))
        self.assertIn(m.Resume({"telegram": telegram(88)}), fx)
        self.assertEqual((d.records()[-1].record["verdict"], d.reason()), ("rolled-back", "green rolled back: no verdict"))


class ViewAndTotality(unittest.TestCase):
    def test_state_always_fits_one_line(self) -> None:
        d = Driver()
        d(m.ReserveEv(T0, reserve(bake=10**9)))
        d(m.GreenHello(T0, "h1", GREEN))
        d(m.AckEv(T0, ack()))
        d(m.Drained(T0, C72, 0, T0))
        d(m.ConfirmEv(T0, {"v": 1, "type": "HANDOFF_CONFIRM", "handoff_id": "h1", "adapters": ["telegram"], "polling_at": T0}))
        for i in range(4096):
            d(m.HealthEv(T0 + 1 + i, health(i + 1, handled=0, p99=123456.789)))
        self.assertEqual(d.s.phase, "baking")
        frame = m.view(d.s)
        self.assertLessEqual(len(encode_frame(frame)), MAX_LINE_BYTES + 1)
        self.assertEqual(len(frame["health"]), 256)
        self.assertEqual(frame["health"][-1]["seq"], 4096)
        # A rolled-back record with 4096 samples and the longest reason is thinned to fit EVENT and STATE.
        d(m.AbortEv(T0 + 5000, "h1", "\U0001f600" * 3000))
        d(m.Tick(T0 + 5001, False))
        rec = d.records()[-1].record
        self.assertTrue(rec["reason"].endswith("\u2026"))
        self.assertLess(len(rec["health"]), 4096)
        self.assertEqual(rec["health"][-1]["seq"], 4096)
        self.assertLessEqual(len(encode_frame(m.view(d.s))), MAX_LINE_BYTES + 1)
        self.assertLessEqual(len(encode_frame({"type": "EVENT", "event": {"kind": "verdict", "record": rec}})), MAX_LINE_BYTES + 1)

    def test_step_never_raises(self) -> None:
        rng = random.Random(7)
        ids = ["h1", "h2"]

        def event(now: int) -> m.BlueEvent:
            i = rng.choice(ids)
            k = rng.randrange(14)
            c: Cursors = {"telegram": telegram(rng.randrange(100))}
            return [
                lambda: m.ReserveEv(now, reserve(i, rng.randrange(0, 3000)), rng.choice([None, "failed"])),
                lambda: m.GreenHello(now, i, rng.choice([GREEN, 300])),
                lambda: m.AckEv(now, ack(handoff_id=i, store_schema=rng.choice([1, 2]))),
                lambda: m.Drained(now, c, 1, now),
                lambda: m.Recorded(now, i, rng.choice([None, "disk full"])),
                lambda: m.ConfirmEv(now, {"v": 1, "type": "HANDOFF_CONFIRM", "handoff_id": i, "adapters": rng.choice([[], ["telegram"]]), "polling_at": now}),
                lambda: m.HealthEv(now, {**health(1, errors=rng.randrange(11)), "handoff_id": i}),  # type: ignore[typeddict-item]
                lambda: m.GreenRollback(now, {"v": 1, "type": "HANDOFF_ROLLBACK", "handoff_id": i, "reason": "r"}),
                lambda: m.StoppedEv(now, {"v": 1, "type": "HANDOFF_STOPPED", "handoff_id": i, "cursors": c}),
                lambda: m.GreenComplete(now, {"v": 1, "type": "HANDOFF_COMPLETE", "handoff_id": i, "reason": "r"}),
                lambda: m.TakeoverChecked(now, rng.choice([None, GREEN, 100])),
                lambda: m.GreenClosed(now, rng.random() < 0.5),
                lambda: m.AbortEv(now, i, "r"),
                lambda: m.Tick(now, rng.random() < 0.8),
            ][k]()

        for _ in range(30):
            s = m.initial_state(ME)
            now = T0
            for _ in range(300):
                now += rng.choice([1, 50, 1000, 20_000])
                s = m.step(s, event(now)).state
                self.assertIn(s.phase, ("idle", "reserved", "init", "draining", "active", "baking", "rolling-back", "complete"))


if __name__ == "__main__":
    unittest.main()
