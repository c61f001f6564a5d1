"""What every adapter of the reference gateway hands a message to, and what comes back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

#: A message by its adapter's name and its id on the platform (Telegram's update_id, Discord's snowflake string).
MessageKey = tuple[str, "int | str"]


@dataclass(frozen=True)
class AgentReply:
    """What the agent answers; `error` marks a failed run (still answered, counted as an error)."""

    text: str
    error: bool


#: The agent: a message's key and text in, a reply out.
Agent = Callable[[MessageKey, str], Awaitable[AgentReply]]
#: Told once a message's answer is recorded in the store.
OnRecorded = Callable[[MessageKey], None]
