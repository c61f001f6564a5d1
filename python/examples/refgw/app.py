"""The reference gateway's program: blue when started plainly, green when HERMES_HANDOFF_ID is set.

Same flags, faults, store and behaviour as `node dist/cli.js example-gateway`, so a Node blue can hand
over to a Python green and back.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import time
import os
import signal
import sys
from collections.abc import Mapping

from hermes_handoff import (
    AlreadyListening,
    Blue,
    Green,
    ReplyStats,
    Serving,
    StoreRef,
    VerdictRecord,
    read_verdict,
    socket_path_from_env,
    startup_role,
    still_promoted,
    write_pid_file,
)
from hermes_handoff.files import read_pid_file
from hermes_handoff.listen import socket_answers

from .adapters import Adapter, AdapterSet
from .agent import AgentReply, MessageKey
from .bot_api import BotApi
from .discord import DiscordAdapter
from .discord_api import DiscordApi
from .faults import BLUE_FAULTS, GREEN_FAULTS, ReplyGate, after_promotion, blue_on_phase, green_hooks
from .store import STORE_SCHEMA, TranscriptStore
from .telegram import TelegramAdapter

USAGE = "gateway.py --home DIR --platform [KIND=]URL ... [--init-ms N] [--fault F] [--poll-timeout S]"
#: The platform kinds this gateway has adapters for; a plain URL is Telegram's.
KINDS = ("telegram", "discord")
#: Tokens of the shapes the platforms check (a Bot API token; a Discord token whose first part is the bot's id).
TELEGRAM_TOKEN = "100000:hermes-demo"
DISCORD_TOKEN = "MTEwMDAwMDAwMDAwMDAwMDAwMQ.GhErMs.hermes-reference-gateway"


class _Usage(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise _Usage(message)


def parse_platforms(values: list[str]) -> list[tuple[str, str]] | str:
    """`--platform` values as (kind, URL) pairs, one adapter each, named by its kind; or what is wrong with them."""
    out: list[tuple[str, str]] = []
    for v in values:
        kind, sep, url = v.partition("=")
        if not sep:
            kind, url = "telegram", v
        if kind not in KINDS:
            return f'--platform {v}: unknown platform "{kind}"; expected telegram=URL or discord=URL'
        if not url.startswith(("http://", "https://")) or any(c.isspace() for c in url):
            return f"--platform {v}: expected an http(s) URL"
        if any(k == kind for k, _ in out):
            return f"--platform {v}: a second {kind} adapter (one per kind here)"
        out.append((kind, url))
    return out or "--platform URL is required: the gateway needs at least one adapter"


async def run_gateway(argv: list[str], env: Mapping[str, str]) -> int:
    """Runs the reference gateway until it is replaced, rolled back or stopped; returns its exit code."""
    parser = _Parser(prog="gateway.py", add_help=False)
    parser.add_argument("--home")
    parser.add_argument("--platform", action="append", default=[])
    parser.add_argument("--init-ms", default="3000")
    parser.add_argument("--fault")
    parser.add_argument("--poll-timeout", default="25")

    def bad(message: str) -> int:
        sys.stderr.write(f"example-gateway: {message}\nusage: {USAGE}\n")
        return 2

    if argv and argv[0] in ("--help", "-h"):
        sys.stdout.write(f"usage: {USAGE}\n")
        return 0
    try:
        args = parser.parse_args(argv)
    except _Usage as e:
        return bad(str(e))
    home_arg = args.home or env.get("HERMES_HOME")
    if not home_arg:
        return bad("--home DIR (or HERMES_HOME) is required")
    home: str = home_arg
    platforms = parse_platforms(args.platform)
    if isinstance(platforms, str):
        return bad(platforms)
    if not args.init_ms.isdigit():
        return bad("--init-ms must be a whole number of milliseconds >= 0")
    init_ms = int(args.init_ms)
    try:
        poll_timeout = float(args.poll_timeout)
    except ValueError:
        poll_timeout = -1
    if not 0 <= poll_timeout <= 60:
        return bad("--poll-timeout must be 0-60 seconds")
    fault = args.fault or env.get("HERMES_HANDOFF_FAULT") or "none"
    if fault not in GREEN_FAULTS:
        return bad(f"--fault must be one of {', '.join(GREEN_FAULTS)}")
    blue_fault = env.get("HERMES_BLUE_FAULT") or "none"
    if blue_fault not in BLUE_FAULTS:
        return bad(f"HERMES_BLUE_FAULT must be one of {', '.join(BLUE_FAULTS)}")
    try:
        start = startup_role(home, env)
    except ValueError as e:
        return bad(str(e))
    runtime = env.get("HERMES_RUNTIME") or "legacy"
    release = env.get("HERMES_RELEASE") or "dev"
    socket_path = env.get("HERMES_SOCKET") or socket_path_from_env(home, dict(env))
    role = "blue" if start.role == "blue" else "green"
    pid = os.getpid()

    def log(msg: str) -> None:
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        sys.stderr.write(f"{now} [gateway {role} pid {pid} {runtime}@{release} py] {msg}\n")

    for d in ("run", "logs", "store"):
        os.makedirs(os.path.join(home, d), mode=0o700, exist_ok=True)
    if start.role == "exit":
        # Restart rule: started again for a handoff that ended otherwise: nothing to do, and no failure.
        log(start.reason)
        return 0
    if fault == "exit-at-start" and start.role == "green":
        log("fault exit-at-start: exiting before connecting")
        return 1

    store = TranscriptStore(home)
    gate = ReplyGate()
    errors = {"on": False}

    async def agent(key: MessageKey, text: str) -> AgentReply:
        gate.begin(key)
        return AgentReply("Sorry, something went wrong.", True) if errors["on"] else AgentReply(f"echo: {text}", False)

    loop = asyncio.get_running_loop()
    stats = ReplyStats(lambda: time.time() * 1000)
    members: list[Adapter] = []
    for kind, url in platforms:
        if kind == "telegram":
            api = BotApi(url, TELEGRAM_TOKEN, f"{role}-{pid}")
            members.append(TelegramAdapter(api, store, agent, stats, poll_timeout_s=poll_timeout, log=log, on_recorded=gate.end))
        else:
            members.append(DiscordAdapter("discord", DiscordApi(url, DISCORD_TOKEN), DISCORD_TOKEN, store, agent, stats, log=log, on_recorded=gate.end))
    gateway = AdapterSet(members, store, stats)
    store_ref: StoreRef = {"path": store.path, "schema": STORE_SCHEMA}

    stopping: asyncio.Future[int] = loop.create_future()
    current: list[Blue] = []

    async def stop(sig: str) -> None:
        # A graceful stop: finish in-flight work, stop polling, close the socket.
        log(f"{sig}: stopping")
        try:
            await asyncio.wait_for(gateway.pause(), 5)
        except (asyncio.TimeoutError, Exception):  # noqa: BLE001
            pass
        for b in current:
            await b.close()
        if not stopping.done():
            stopping.set_result(0)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda s=sig: asyncio.ensure_future(stop(s.name)))

    async def serve(blue: Blue) -> int:
        current.append(blue)
        done = asyncio.ensure_future(blue.wait())
        await asyncio.wait((done, stopping), return_when=asyncio.FIRST_COMPLETED)
        if done.done():
            out = done.result()
            if out.how == "replaced" and out.observation is not None:
                log(f"the observation window ended ({out.observation}): green serves; exiting")
            elif out.how == "replaced":
                log("handoff complete: green serves; exiting")
            elif out.how == "taken-back":
                # This process's standby took its promotion back: it handed its cursors back and stopped.
                log(f"the standby took the promotion back ({out.reason}); exiting")
            if out.how != "closed":
                gateway.close()
        store.close()
        return 0

    def new_blue(last: VerdictRecord | None, takeover: bool = True) -> Blue:
        return Blue(
            gateway,
            home=home,
            release=release,
            runtime=runtime,
            store=store_ref,
            socket_path=socket_path,
            takeover=takeover,
            last_verdict=last,
            log=log,
            on_phase=blue_on_phase(blue_fault),
            # Green may have written gateway.pid before it died: this process serves again.
            on_reclaim=lambda: write_pid_file(home, pid),
        )

    if start.role in ("blue", "restart-blue"):
        if await socket_answers(socket_path):
            log(f"another gateway already listens on {socket_path}; not starting a second blue")
            store.close()
            return 1 if start.role == "blue" else 0
        await asyncio.sleep(init_ms / 1000)
        restarted = start.role == "restart-blue"
        if not restarted:
            await gateway.resume(None)
            write_pid_file(home, pid)
        # A restart learns only from binding whether it serves (no takeover: a live listener wins).
        blue = new_blue(start.verdict, takeover=not restarted)
        try:
            await blue.start()
        except AlreadyListening as e:
            log(f"{e}; not serving")
            gateway.close()
            store.close()
            return 0 if restarted else 1
        if restarted:
            assert start.handoff_id is not None
            # The standby may have taken the promotion back while this process started: it polls only if not.
            if not still_promoted(home, start.handoff_id):
                log(f"handoff {start.handoff_id} is no longer promoted; not serving")
                await blue.close()
                store.close()
                return 0
            write_pid_file(home, pid)
            log(f"handoff {start.handoff_id} promoted this release: serving again after a restart")
            await gateway.resume(None)
        log(f"serving (init {init_ms} ms)")
        return await serve(blue)

    assert start.handoff_id is not None
    green = Green(
        gateway,
        home=home,
        handoff_id=start.handoff_id,
        release=release,
        runtime=runtime,
        store=store_ref,
        socket_path=socket_path,
        blue_pid=read_pid_file(home),
        log=log,
        hooks=green_hooks(fault, errors, gate),
    )

    async def initialise() -> None:
        await asyncio.sleep(init_ms / 1000)
        # Connections to the platform are part of start-up: open them now, not in the dark window.
        try:
            await gateway.warm()
        except Exception as e:  # noqa: BLE001
            log(f"warming the adapters failed: {e}")

    result = await green.run(initialise)
    if not isinstance(result, Serving):
        log(f"handoff ended {result.verdict}: {result.reason}; exiting")
        gateway.close()
        store.close()
        # A handoff that blue has ended is not a failure to restart for: only an unexplained one is.
        return 0 if result.decided_by == "blue" or read_verdict(home, start.handoff_id) else 1
    log(f"promoted ({result.how}): {result.verdict['reason']}")
    fault_after = after_promotion(fault, errors, gate)
    if fault_after is not None:
        fault_after()
    return await serve(result.blue)
