"""Blue, green and observer over a real Unix socket, in one process (pids are faked so the roles can tell each other apart)."""

import asyncio
import json
import os
import stat
import unittest

from hermes_handoff import Blue, Green, ManualClock, Observer, PeerError, Serving, Stopped, telegram
from hermes_handoff.files import read_verdict, write_verdict
from hermes_handoff.observer import welcome_pid

from tests.support import FakeGateway, FakeOs, RawClient, TempHome, hello

STORE = {"path": "/s/transcript.log", "schema": 1}


class RoleCase(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self) -> None:
        self.home = TempHome()
        self.alive: set[int] = set()
        self.blues: list[Blue] = []
        self.logs: list[str] = []

    async def asyncTearDown(self) -> None:
        for b in self.blues:
            await b.close()
        self.home.cleanup()

    async def start_blue(self, gw: FakeGateway | None = None, pid: int = 1001, **kw: object) -> Blue:
        blue = Blue(
            gw or FakeGateway(), home=self.home.path, release="r0", runtime="legacy", store=STORE,  # type: ignore[arg-type]
            peer_os=FakeOs(pid, self.alive), log=self.logs.append, **kw,  # type: ignore[arg-type]
        )
        await blue.start()
        self.blues.append(blue)
        return blue

    def green(self, gw: FakeGateway, pid: int = 2002, handoff_id: str = "h1", **kw: object) -> Green:
        kw.setdefault("store", STORE)
        return Green(
            gw, home=self.home.path, handoff_id=handoff_id, release="r1", runtime="claw",
            peer_os=FakeOs(pid, self.alive), log=self.logs.append, **kw,  # type: ignore[arg-type]
        )


class Connections(RoleCase):
    async def test_observer_hello_status_and_file_modes(self) -> None:
        blue = await self.start_blue()
        obs = await Observer.connect(self.home.socket, blue.token)
        self.assertEqual(obs.welcome, {"v": 1, "type": "WELCOME", "server_pid": 1001, "phase": "idle", "release": "r0", "runtime": "legacy", "versions": [1]})
        st = await obs.status()
        self.assertEqual((st["phase"], st["handoff"], st["last_verdict"]), ("idle", None, None))
        obs.close()
        self.assertEqual(stat.S_IMODE(os.stat(self.home.socket).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(self.home.socket)).st_mode), 0o700)
        token_file = os.path.join(os.path.dirname(self.home.socket), "handoff.token")
        self.assertEqual(stat.S_IMODE(os.stat(token_file).st_mode), 0o600)
        self.assertRegex(blue.token, r"^[0-9a-f]{64}$")

    async def test_refusals_on_a_connection(self) -> None:
        blue = await self.start_blue(hello_ms=150, max_connections=3)

        async def answer(*lines: bytes | dict[str, object]) -> list[dict[str, object] | None]:
            c = await RawClient.open(self.home.socket)
            for line in lines:
                c.send(line)
            out = []
            while (f := await c.frame()) is not None:
                out.append(f)
            c.close()
            return out

        wrong = await answer(hello("x"))
        self.assertEqual(wrong, [{"v": 1, "type": "ERROR", "code": "unauthorized", "message": "wrong token", "fatal": True, "frame": "HELLO"}])
        # Decision 10: the token is checked before the id, so a bad id with a wrong token is still unauthorized.
        self.assertEqual((await answer(hello("x", role="green", handoff_id="..")))[0]["code"], "unauthorized")  # type: ignore[index]
        bad_id = await answer(hello(blue.token, role="green", handoff_id=".."))
        self.assertEqual(bad_id[0]["message"], 'HELLO: handoff_id: a handoff id cannot be "." or ".."')  # type: ignore[index]
        self.assertEqual((await answer(hello(blue.token, role="green")))[0]["message"], "HELLO: a green must give handoff_id")  # type: ignore[index]
        self.assertEqual((await answer({"v": 1, "type": "STATUS"}))[0]["message"], "the first frame must be HELLO")  # type: ignore[index]
        self.assertEqual((await answer(b"hello there\n"))[0]["message"], "line is not valid JSON")  # type: ignore[index]
        self.assertEqual((await answer(b"x" * 70_000))[0]["code"], "too_large")  # type: ignore[index]
        timeout = await answer()
        self.assertEqual(timeout[0]["message"], "no HELLO within 150 ms")  # type: ignore[index]
        self.assertEqual((await answer(hello(blue.token, role="green", handoff_id="h9")))[0]["message"], "no handoff is reserved")  # type: ignore[index]

        c = await RawClient.open(self.home.socket)
        c.send(hello(blue.token))
        await c.until("WELCOME")
        c.send({"v": 2, "type": "PING", "x": 1})
        self.assertEqual(await c.frame(), {"v": 1, "type": "ERROR", "code": "unknown_type", "message": 'unknown frame type "PING"', "frame": "PING", "fatal": False})
        c.send({"v": 1, "type": "HANDOFF_ACK"})
        self.assertEqual((await c.frame())["code"], "bad_frame")  # type: ignore[index]
        self.assertTrue(await c.closed())
        c.close()

        held = [await RawClient.open(self.home.socket) for _ in range(3)]
        extra = await answer()
        self.assertEqual(extra[0]["code"], "too_many")  # type: ignore[index]
        for h in held:
            h.close()

    async def test_exists_and_busy(self) -> None:
        blue = await self.start_blue()
        obs = await Observer.connect(self.home.socket, blue.token)
        record = {"v": 1, "handoff_id": "old", "verdict": "rolled-back", "reason": "x", "release": "r", "runtime": "c", "blue_pid": 1,
                  "green_pid": None, "decided_by": "blue", "decided_at": 1, "dark_window_ms": None, "timeline": [], "health": []}
        write_verdict(self.home.path, record)  # type: ignore[arg-type]
        with self.assertRaises(PeerError) as e:
            await obs.reserve("old", "r1", "claw", 1000)
        self.assertEqual((e.exception.code, e.exception.message), ("exists", "handoff old already has a verdict (rolled-back); mint a new id"))
        await obs.reserve("h1", "r1", "claw", 1000)
        with self.assertRaises(PeerError) as e:
            await obs.reserve("h2", "r1", "claw", 1000)
        self.assertEqual(e.exception.code, "busy")
        self.assertFalse(obs.closed)  # neither is fatal
        obs.close()

    async def test_claim_expiry_on_a_manual_clock(self) -> None:
        clock = ManualClock()
        blue = await self.start_blue(clock=clock)
        obs = await Observer.connect(self.home.socket, blue.token, clock=clock)
        events: list[dict[str, object]] = []
        await obs.subscribe(lambda e: events.append(dict(e)))
        await obs.reserve("h1", "r1", "claw", 1000, deadlines={"claim_ms": 60_000})
        await clock.advance(59_000)
        self.assertEqual(blue.state.phase, "reserved")
        await clock.advance(1_100)
        for _ in range(50):
            if any(e["kind"] == "verdict" for e in events):
                break
            await asyncio.sleep(0.01)
        verdict = [e for e in events if e["kind"] == "verdict"][0]["record"]
        self.assertEqual(verdict["reason"], "no green claimed handoff h1 within 1 min")  # type: ignore[index]
        self.assertEqual(read_verdict(self.home.path, "h1")["verdict"], "failed")  # type: ignore[index]
        obs.close()


class Handoffs(RoleCase):
    async def reserve(self, blue: Blue, bake_ms: int = 300, **kw: object) -> tuple[Observer, asyncio.Future[dict[str, object]]]:
        obs = await Observer.connect(self.home.socket, blue.token)
        done: asyncio.Future[dict[str, object]] = asyncio.get_running_loop().create_future()

        def on_event(e: object) -> None:
            assert isinstance(e, dict)
            if e["kind"] == "verdict" and not done.done():
                done.set_result(e["record"])

        await obs.subscribe(on_event)
        deadlines = {"heartbeat_ms": 50, "rollback_grace_ms": 2000, "drain_ms": 1000, **kw}
        await obs.reserve("h1", "r1", "claw", bake_ms, deadlines=deadlines, thresholds={"min_messages": 0})
        return obs, done

    async def test_promotion_in_process(self) -> None:
        a, b = FakeGateway(offset=72), FakeGateway(offset=0)
        blue = await self.start_blue(a)
        obs, done = await self.reserve(blue)
        result = await asyncio.wait_for(self.green(b).run(lambda: asyncio.sleep(0.05)), 10)
        self.assertIsInstance(result, Serving)
        assert isinstance(result, Serving)
        self.blues.append(result.blue)
        record = await asyncio.wait_for(done, 5)
        self.assertEqual(record["verdict"], "promoted")
        self.assertTrue(str(record["reason"]).startswith("bake of 300 ms passed: "))
        outcome = await asyncio.wait_for(blue.wait(), 5)
        self.assertEqual(outcome.how, "replaced")
        self.assertEqual(b.resumed_with, [{"telegram": telegram(72)}])
        self.assertEqual((a.pauses, a.drains, a.resumed_with), (1, 1, []))
        self.assertEqual(await welcome_pid(self.home.socket, blue.token, result.blue._clock), (2002, ""))
        self.assertEqual(read_verdict(self.home.path, "h1")["green_pid"], 2002)  # type: ignore[index]
        obs2 = await Observer.connect(self.home.socket, blue.token)
        st = await obs2.status()
        self.assertEqual((st["server_pid"], st["last_verdict"]["verdict"]), (2002, "promoted"))  # type: ignore[index]
        obs2.close()
        obs.close()

    async def test_rollback_on_errors_and_blue_resumes_from_greens_cursors(self) -> None:
        a, b = FakeGateway(offset=72), FakeGateway(errors=True)
        blue = await self.start_blue(a)
        obs, done = await self.reserve(blue, bake_ms=5000)
        result = await asyncio.wait_for(self.green(b).run(lambda: asyncio.sleep(0)), 10)
        self.assertEqual(result, Stopped("rolled-back", "error rate 100% > 5% in 3 consecutive samples", "blue"))
        record = await asyncio.wait_for(done, 5)
        self.assertEqual((record["verdict"], record["reason"]), ("rolled-back", "error rate 100% > 5% in 3 consecutive samples"))
        self.assertEqual(a.resumed_with, [b.cursors()])
        self.assertFalse(b.polling)
        self.assertEqual(blue.state.phase, "idle")
        obs.close()

    async def test_green_that_cannot_read_blues_store_rolls_back_before_ack(self) -> None:
        blue = await self.start_blue()
        obs, done = await self.reserve(blue)
        green = self.green(FakeGateway(), store={"path": "/s/t2", "schema": 2})
        result = await asyncio.wait_for(green.run(lambda: asyncio.sleep(0)), 10)
        self.assertEqual(result, Stopped("failed", "cannot read store schema 1 at /s/transcript.log"))
        record = await asyncio.wait_for(done, 5)
        self.assertEqual(record["reason"], "green rolled back: cannot read store schema 1 at /s/transcript.log")
        obs.close()

    async def test_green_that_cannot_start_from_the_cursors_gives_them_back(self) -> None:
        a = FakeGateway(offset=72)
        blue = await self.start_blue(a)
        obs, done = await self.reserve(blue)
        b = FakeGateway(resume_error=ValueError("cursor 'telegram' is a discord cursor"))
        result = await asyncio.wait_for(self.green(b).run(lambda: asyncio.sleep(0)), 10)
        reason = "could not start the adapters: cursor 'telegram' is a discord cursor"
        self.assertEqual(result, Stopped("rolled-back", reason))
        record = await asyncio.wait_for(done, 5)
        self.assertEqual((record["verdict"], record["reason"]), ("rolled-back", f"green rolled back: {reason}"))
        self.assertEqual(a.resumed_with, [{"telegram": telegram(72)}])  # blue resumes from what it handed over
        obs.close()

    async def test_a_green_that_answers_complete_without_taking_over_is_taken_back(self) -> None:
        a = FakeGateway(offset=72)
        blue = await self.start_blue(a)
        obs, done = await self.reserve(blue, bake_ms=0)
        self.alive.add(3003)
        c = await RawClient.open(self.home.socket)
        c.send(hello(blue.token, role="green", pid=3003, handoff_id="h1"))
        await c.until("HANDOFF_INIT")
        c.send({"v": 1, "type": "HANDOFF_ACK", "handoff_id": "h1", "pid": 3003, "runtime": "claw", "release": "r1", "store_schema": 1, "init_ms": 5})
        await c.until("HANDOFF_ACTIVE")
        c.send({"v": 1, "type": "HANDOFF_CONFIRM", "handoff_id": "h1", "adapters": ["telegram"], "polling_at": 1})
        health = {"seq": 1, "at": 1, "handled": 1, "errors": 0, "latency_p50_ms": 1, "latency_p99_ms": 1}
        c.send({"v": 1, "type": "HEALTH", "handoff_id": "h1", "sample": health, "cursors": {"telegram": {"kind": "telegram", "offset": 90}}})
        await c.until("HANDOFF_COMPLETE")
        c.send({"v": 1, "type": "HANDOFF_COMPLETE", "handoff_id": "h1", "reason": "green owns the socket (it does not)"})
        record = await asyncio.wait_for(done, 5)
        self.assertEqual(record["verdict"], "rolled-back")
        self.assertEqual(record["reason"], "green (pid 3003) answered HANDOFF_COMPLETE but the socket answers from pid 1001 (blue)")
        self.assertNotIn(3003, self.alive)  # killed: it believed it was promoted
        self.assertEqual(a.resumed_with, [{"telegram": telegram(90)}])
        self.assertEqual(read_verdict(self.home.path, "h1")["verdict"], "rolled-back")  # type: ignore[index]
        c.close()
        obs.close()

    async def test_a_green_dying_while_blue_drains_is_failed_and_never_gets_the_cursors(self) -> None:
        a = FakeGateway(offset=72, pause_delay_s=0.3)
        blue = await self.start_blue(a)
        obs, done = await self.reserve(blue)
        self.alive.add(3003)
        c = await RawClient.open(self.home.socket)
        c.send(hello(blue.token, role="green", pid=3003, handoff_id="h1"))
        await c.until("HANDOFF_INIT")
        c.send({"v": 1, "type": "HANDOFF_ACK", "handoff_id": "h1", "pid": 3003, "runtime": "claw", "release": "r1", "store_schema": 1, "init_ms": 5})
        await asyncio.sleep(0.05)  # blue is draining now (its pause takes 0.3 s)
        # Green dies; its connection stays open (blue reads a dead green's socket for up to 1 s): the drain
        # ends first, and blue must judge the pid before it hands anything over.
        self.alive.discard(3003)
        record = await asyncio.wait_for(done, 5)
        self.assertEqual((record["verdict"], record["reason"]), ("failed", "green (pid 3003) exited while blue was draining"))
        self.assertIsNone(record["dark_window_ms"])
        self.assertEqual(a.resumed_with, [None])  # from its own position: nothing was handed over
        frames = []
        while (f := await c.frame()) is not None:
            frames.append(f["type"])
        self.assertEqual(frames, ["HANDOFF_ROLLBACK"])  # never HANDOFF_ACTIVE
        c.close()
        obs.close()

    async def test_a_verdict_file_that_cannot_be_written_is_said_in_the_event(self) -> None:
        blue = await self.start_blue()
        # A file where the verdicts' directory should be: the write fails, the handoff still decides.
        os.makedirs(os.path.join(self.home.path, "run"), exist_ok=True)
        with open(os.path.join(self.home.path, "run", "handoffs"), "w") as f:
            f.write("in the way")
        obs, done = await self.reserve(blue)
        await obs.abort("h1", "operator")
        record = await asyncio.wait_for(done, 5)
        self.assertEqual((record["verdict"], record["reason"]), ("failed", "aborted: operator"))
        self.assertTrue(str(record.get("record_error", "")).startswith("could not write the verdict file: "), record)
        st = await obs.status()
        self.assertIn("record_error", st["last_verdict"])  # type: ignore[operator]
        obs.close()

    async def test_green_serves_when_blue_dies_during_the_bake(self) -> None:
        blue = await self.start_blue(FakeGateway(offset=72))
        obs, _ = await self.reserve(blue, bake_ms=60_000)
        b = FakeGateway()
        run = asyncio.ensure_future(self.green(b).run(lambda: asyncio.sleep(0)))
        for _ in range(200):
            if blue.state.phase == "baking":
                break
            await asyncio.sleep(0.01)
        self.assertEqual(blue.state.phase, "baking")
        self.alive.discard(1001)  # blue "dies": its pid goes and its connections drop
        await blue.close()
        result = await asyncio.wait_for(run, 10)
        assert isinstance(result, Serving), result
        self.blues.append(result.blue)
        self.assertEqual(result.how, "blue-died")
        self.assertEqual(result.verdict["reason"], "blue (pid 1001) exited during the bake; green took over")
        self.assertEqual((result.verdict["decided_by"], result.verdict["blue_pid"]), ("green", 1001))
        self.assertEqual([t["phase"] for t in result.verdict["timeline"]], ["green-started", "init", "ack", "active", "taken-over"])
        self.assertEqual(b.resumed_with, [{"telegram": telegram(72)}])
        self.assertEqual(read_verdict(self.home.path, "h1")["decided_by"], "green")  # type: ignore[index]
        obs.close()


class BlueAliveCheck(RoleCase):
    """Decision 4: before standing down, green asks the socket who answers."""

    async def scripted_blue(self, welcome_pid_: int) -> asyncio.AbstractServer:
        os.makedirs(os.path.dirname(self.home.socket), mode=0o700, exist_ok=True)
        with open(os.path.join(os.path.dirname(self.home.socket), "handoff.token"), "w") as f:
            f.write("t" * 64 + "\n")

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            line = json.loads(await reader.readline())
            if line["role"] == "observer":
                writer.write(json.dumps({"v": 1, "type": "WELCOME", "server_pid": welcome_pid_, "phase": "idle", "release": "r0", "runtime": "legacy", "versions": [1]}).encode() + b"\n")
                await writer.drain()
            else:
                deadlines = {"hello_ms": 5000, "claim_ms": 1, "ack_ms": 1, "drain_ms": 100, "confirm_ms": 1, "heartbeat_ms": 50, "rollback_grace_ms": 100, "takeover_ms": 1}
                init = {"v": 1, "type": "HANDOFF_INIT", "handoff_id": "h1", "blue_pid": 1001, "release": "r0", "runtime": "legacy", "store": STORE, "bake_ms": 100, "deadlines": deadlines}
                writer.write(json.dumps(init).encode() + b"\n")
                await writer.drain()
            writer.close()  # then the connection closes without a verdict

        return await asyncio.start_unix_server(serve, path=self.home.socket)

    async def test_stands_down_when_the_socket_answers_from_blues_pid(self) -> None:
        server = await self.scripted_blue(1001)
        self.alive.add(1001)
        b = FakeGateway()
        result = await asyncio.wait_for(self.green(b).run(lambda: asyncio.sleep(0.05)), 10)
        self.assertEqual(result, Stopped("failed", "blue (pid 1001) closed the handoff connection during start-up and is still running"))
        self.assertEqual(b.resumed_with, [])  # never polled
        self.assertIsNone(read_verdict(self.home.path, "h1"))  # wrote nothing
        server.close()
        await server.wait_closed()

    async def test_serves_when_a_live_pid_is_not_the_one_answering(self) -> None:
        server = await self.scripted_blue(4444)
        self.alive.add(1001)
        b = FakeGateway()
        result = await asyncio.wait_for(self.green(b).run(lambda: asyncio.sleep(0.05)), 10)
        assert isinstance(result, Serving), result
        self.blues.append(result.blue)
        server.close()
        await server.wait_closed()
        self.assertEqual(result.verdict["reason"], "blue (pid 1001) left the socket (its pid runs, the socket answers from pid 4444) during start-up; green took over")
        self.assertEqual(b.resumed_with, [None])  # from the store's own position


if __name__ == "__main__":
    unittest.main()
