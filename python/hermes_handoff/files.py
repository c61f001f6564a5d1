"""The files of docs/protocol.md section 2: the token, verdict files, gateway.pid; every write atomic."""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path
from typing import cast

from . import schema as s
from .frames import VerdictRecord, verdict_record
from .ids import parse_handoff_id


def write_file_atomic(path: str | os.PathLike[str], data: str | bytes, mode: int = 0o600) -> None:
    """Writes `data` to `path` atomically: a temp file beside it, fsync, rename."""
    target = os.fspath(path)
    tmp = f"{target}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        try:
            view = memoryview(data.encode("utf-8") if isinstance(data, str) else data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def ensure_private_dir(path: str | os.PathLike[str]) -> None:
    """Creates `path` (and parents) and makes it 0700."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)


def default_socket_path(home: str) -> str:
    """`$HERMES_HOME/run/handoff.sock`."""
    return os.path.join(home, "run", "handoff.sock")


def token_path_for(socket_path: str) -> str:
    """The token file beside a socket path."""
    return os.path.join(os.path.dirname(socket_path), "handoff.token")


def read_token(socket_path: str) -> str | None:
    """The token beside the socket, stripped, or None when there is none."""
    try:
        token = Path(token_path_for(socket_path)).read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return token or None


def ensure_token(socket_path: str) -> str:
    """The existing token beside the socket (its mode reset to 0600), or a fresh random one written atomically."""
    ensure_private_dir(os.path.dirname(socket_path))
    existing = read_token(socket_path)
    if existing:
        os.chmod(token_path_for(socket_path), 0o600)
        return existing
    token = secrets.token_hex(32)
    write_file_atomic(token_path_for(socket_path), token + "\n", 0o600)
    return token


def verdict_path(home: str, handoff_id: str) -> str:
    """Where the verdict of `handoff_id` is kept; the id is validated first."""
    return os.path.join(home, "run", "handoffs", f"{parse_handoff_id(handoff_id)}.json")


def write_verdict(home: str, record: VerdictRecord) -> None:
    """Writes a verdict record atomically (0600, directory 0700); raises when the disk refuses."""
    directory = os.path.join(home, "run", "handoffs")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    write_file_atomic(verdict_path(home, record["handoff_id"]), json.dumps(record, indent=2, ensure_ascii=False) + "\n")


def read_verdict(home: str, handoff_id: str) -> VerdictRecord | None:
    """The validated verdict record of `handoff_id`, or None when it is missing or unreadable."""
    try:
        raw = json.loads(Path(verdict_path(home, handoff_id)).read_text("utf-8"))
        return cast(VerdictRecord, verdict_record(raw, ()))
    except (OSError, ValueError, s.Invalid):
        return None


def verdict_on_file(home: str, handoff_id: str) -> str | None:
    """The verdict already recorded for `handoff_id` (`unreadable` for a file that is not a record), or None."""
    record = read_verdict(home, handoff_id)
    if record is not None:
        return record["verdict"]
    return "unreadable" if os.path.exists(verdict_path(home, handoff_id)) else None


def write_pid_file(home: str, pid: int) -> None:
    """Rewrites `$HERMES_HOME/gateway.pid` atomically (0644)."""
    write_file_atomic(os.path.join(home, "gateway.pid"), f"{pid}\n", 0o644)


def read_pid_file(home: str) -> int | None:
    """The pid in `$HERMES_HOME/gateway.pid`, or None."""
    try:
        n = int(Path(home, "gateway.pid").read_text("utf-8").strip())
    except (OSError, ValueError):
        return None
    return n if n > 0 else None


def is_socket(path: str) -> bool:
    """True when `path` exists and is a socket."""
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False
