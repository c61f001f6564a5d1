"""spawn_green(): for a gateway that starts its own successor (the plan's model, beside the action starting it)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence

from .ids import parse_handoff_id


async def spawn_green(
    command: Sequence[str],
    env: Mapping[str, str],
    *,
    cwd: str | None = None,
    log_path: str | None = None,
) -> asyncio.subprocess.Process:
    """Starts green (`command`, this environment overlaid with `env`, which must name HERMES_HANDOFF_ID) in its own session; returns the live process.

    Reserve the handoff first (Observer.reserve) so that no two greens ever start; the green survives
    this process (blue exits after a promotion) because it is not in blue's session or process group.
    """
    if isinstance(command, str) or not command or not all(isinstance(a, str) and a for a in command):
        raise ValueError("spawn_green: command must be a non-empty list of program and arguments, e.g. ['python3', '-m', 'gateway']")
    if "HERMES_HANDOFF_ID" not in env:
        raise ValueError("spawn_green: env must set HERMES_HANDOFF_ID to the reserved handoff id")
    try:
        parse_handoff_id(env["HERMES_HANDOFF_ID"])
    except ValueError as e:
        raise ValueError(f"spawn_green: HERMES_HANDOFF_ID: {e}") from None
    full = {**os.environ, **env}
    out: int | None = None
    if log_path is not None:
        out = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        proc = await asyncio.create_subprocess_exec(
            *command,
            env=full,
            cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT if out is not None else None,
            start_new_session=True,
        )
    except OSError as e:
        raise OSError(e.errno, f"spawn_green: cannot start {command[0]!r}: {e.strerror}") from None
    finally:
        if out is not None:
            os.close(out)
    return proc
