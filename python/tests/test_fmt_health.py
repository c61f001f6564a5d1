import unittest

from hermes_handoff.fmt import duration, percent
from hermes_handoff.frames import HealthSample
from hermes_handoff.health import NO_BASELINE, Baseline, Breaches, ReplyStats, judge_sample, latency_limit, promotion_reason
from hermes_handoff.limits import DEFAULT_THRESHOLDS, Thresholds


def sample(handled: int, errors: int = 0, p99: float = 5.0, seq: int = 1) -> HealthSample:
    return {"seq": seq, "at": 0, "handled": handled, "errors": errors, "latency_p50_ms": 1.0, "latency_p99_ms": p99}


def th(**over: float) -> Thresholds:
    t = dict(DEFAULT_THRESHOLDS)
    t.update(over)
    return t  # type: ignore[return-value]


class Formatting(unittest.TestCase):
    def test_durations(self) -> None:
        table = [
            (0, "0 ms"), (0.5, "1 ms"), (300, "300 ms"), (999.4, "999 ms"), (999.5, "1 s"), (1000, "1 s"),
            (1500, "1.5 s"), (5000, "5 s"), (5013, "5 s"), (59_949, "59.9 s"), (59_950, "1 min"),
            (60_000, "1 min"), (125_000, "2 min 5 s"), (600_000, "10 min"), (3_600_000, "1 h"),
            (11_520_000, "3 h 12 min"), (86_400_000, "24 h"), (1049.6, "1.1 s"), (-5, "0 ms"), (float("nan"), "0 ms"),
        ]
        for ms, text in table:
            with self.subTest(ms=ms):
                self.assertEqual(duration(ms), text)

    def test_durations_more_precise_only_against_an_equal_looking_limit(self) -> None:
        self.assertEqual(duration(5020, 5000), "5.02 s")
        self.assertEqual(duration(250.4, 250), "250.4 ms")
        self.assertEqual(duration(5000, 5000), "5 s")
        self.assertEqual(duration(7000, 5000), "7 s")
        self.assertEqual(duration(61_000, 60_600), "1 min 1 s")  # a minute and more: no extra digits

    def test_percentages(self) -> None:
        table = [(0, None, "0%"), (0.05, None, "5%"), (0.072, None, "7.2%"), (1, None, "100%"), (0.00049, None, "0%"),
                 (0.05001, 0.05, "5.001%"), (0.0504, 0.05, "5.04%"), (0.06, 0.05, "6%"), (0.0025, None, "0.3%")]
        for x, other, text in table:
            with self.subTest(x=x):
                self.assertEqual(percent(x, other), text)


class Judging(unittest.TestCase):
    def test_idle_samples_neither_breach_nor_reset(self) -> None:
        t = th()
        j = judge_sample(sample(10, 10), NO_BASELINE, t, Breaches())
        j = judge_sample(sample(0, 0), NO_BASELINE, t, j.breaches)
        self.assertEqual(j.breaches, Breaches(1, 0))
        j = judge_sample(sample(10, 0), NO_BASELINE, t, j.breaches)
        self.assertEqual(j.breaches, Breaches(0, 0))

    def test_error_run_reason(self) -> None:
        t = th()
        b = Breaches()
        reasons = []
        for _ in range(3):
            j = judge_sample(sample(1000, 72), NO_BASELINE, t, b)
            b, reasons = j.breaches, reasons + [j.reason]
        self.assertEqual(reasons, [None, None, "error rate 7.2% > 5% in 3 consecutive samples"])
        j = judge_sample(sample(0, 4), NO_BASELINE, th(consecutive=1), Breaches())
        self.assertEqual(j.reason, "error rate 100% > 5% in 1 sample")
        j = judge_sample(sample(100000, 5001), NO_BASELINE, th(consecutive=1), Breaches())
        self.assertEqual(j.reason, "error rate 5.001% > 5% in 1 sample")

    def test_latency_against_each_kind_of_baseline(self) -> None:
        t = th(consecutive=1)
        recent = Baseline(41, 600)
        self.assertEqual(latency_limit(recent, t), 250)
        self.assertEqual(
            judge_sample(sample(10, p99=615), recent, t, Breaches()).reason,
            "p99 reply latency 615 ms > 250 ms (3x blue's 41 ms, floor 250 ms) in 1 sample",
        )
        history = Baseline(400, 734)
        self.assertEqual(
            judge_sample(sample(10, p99=1300), history, t, Breaches()).reason,
            "p99 reply latency 1.3 s > 1.2 s (3x blue's 400 ms, floor 250 ms) in 1 sample",
        )
        # No baseline: the expected latency stands in, so a normal LLM reply at a quiet hour passes.
        none = Baseline(None, 3)
        self.assertEqual(latency_limit(none, t), 15_000)
        self.assertIsNone(judge_sample(sample(3, p99=615), none, t, Breaches()).reason)
        self.assertEqual(
            judge_sample(sample(3, p99=15_040), none, t, Breaches()).reason,
            "p99 reply latency 15.04 s > 15 s (3x expected 5 s, no baseline: blue answered 3 messages, floor 250 ms) in 1 sample",
        )

    def test_promotion_reasons(self) -> None:
        t = th()
        samples = [sample(10, 0, 6.2, 1), sample(20, 0, 3, 2)]
        self.assertEqual(promotion_reason(3000, samples, t), "bake of 3 s passed: 2 heartbeats, 30 messages, error rate 0%, worst p99 6 ms")
        self.assertEqual(
            promotion_reason(300_000, [sample(0)], t),
            "bake of 5 min passed with too little traffic to judge: 1 heartbeat, 0 messages (fewer than 10)",
        )
        self.assertEqual(
            promotion_reason(1000, [sample(1, 0, 1500)], th(min_messages=0), ["discord session expired; re-identified"]),
            "bake of 1 s passed: 1 heartbeat, 1 message, error rate 0%, worst p99 1.5 s; discord session expired; re-identified",
        )


class Stats(unittest.TestCase):
    def test_window_resets_and_baseline_rules(self) -> None:
        now = [0.0]
        s = ReplyStats(lambda: now[0])
        for i in range(5):
            s.reply(10 + i, i == 0)
        w = s.sample()
        self.assertEqual((w["handled"], w["errors"], w["latency_p50_ms"], w["latency_p99_ms"]), (5, 1, 12, 14))
        self.assertEqual(s.sample()["handled"], 0)
        self.assertEqual(s.baseline(), Baseline(None, 5))
        for i in range(20):
            s.reply(100, False)
        b = s.baseline()
        self.assertEqual((b.latency_p99_ms, b.replies), (100, 25))
        now[0] = 120_000  # a quiet hour: the last minute is empty, the older replies still count
        s.reply(7, False)
        b = s.baseline()
        self.assertEqual((b.latency_p99_ms, b.replies), (100, 26))  # the last 1000 of any age

    def test_history_keeps_at_least_the_last_thousand(self) -> None:
        now = [0.0]
        s = ReplyStats(lambda: now[0])
        for i in range(1500):
            now[0] = i * 1000.0
            s.reply(5, False)
        now[0] += 120_000
        b = s.baseline()
        self.assertEqual((b.latency_p99_ms, b.replies), (5, 1000))


if __name__ == "__main__":
    unittest.main()
