"""hermes_handoff: the gateway's side of the Hermes handoff protocol (docs/protocol.md), stdlib only, asyncio-native.

Roles: Blue (serves the socket and decides), Green (one handoff, step by step), Observer (reserves,
watches, aborts). The gateway implements the Gateway hooks. See docs/python.md for the wiring.
"""

from .blue import Blue, BlueOutcome
from .cursors import Cursor, Cursors, DiscordCursor, TelegramCursor, discord, telegram
from .files import read_pid_file, read_token, read_verdict, write_file_atomic, write_pid_file
from .fmt import duration, percent
from .frames import PROTOCOL_VERSION, StoreRef, VerdictRecord
from .green import Green, GreenEnded, GreenHooks, GreenResult, Serving, Stopped, socket_path_from_env
from .health import Baseline, HealthWindow, ReplyStats, baseline_of
from .hooks import Gateway, Paused
from .listen import AlreadyListening, socket_answers
from .observer import Observer, PeerError
from .runtime import RuntimeChoiceError, SelectedRuntime, select_runtime
from .seam import Clock, ManualClock, PeerOs, RealOs, SystemClock
from .spawn import spawn_green
from .startup import Startup, startup_role, still_promoted

__version__ = "0.3.0"

__all__ = [
    "PROTOCOL_VERSION",
    "AlreadyListening",
    "Baseline",
    "Blue",
    "BlueOutcome",
    "Clock",
    "Cursor",
    "Cursors",
    "DiscordCursor",
    "Gateway",
    "Green",
    "GreenEnded",
    "GreenHooks",
    "GreenResult",
    "HealthWindow",
    "ManualClock",
    "Observer",
    "Paused",
    "PeerError",
    "PeerOs",
    "RealOs",
    "ReplyStats",
    "RuntimeChoiceError",
    "SelectedRuntime",
    "Serving",
    "Startup",
    "Stopped",
    "StoreRef",
    "SystemClock",
    "TelegramCursor",
    "VerdictRecord",
    "baseline_of",
    "discord",
    "duration",
    "percent",
    "read_pid_file",
    "read_token",
    "read_verdict",
    "select_runtime",
    "socket_answers",
    "socket_path_from_env",
    "spawn_green",
    "startup_role",
    "still_promoted",
    "telegram",
    "write_file_atomic",
    "write_pid_file",
]
