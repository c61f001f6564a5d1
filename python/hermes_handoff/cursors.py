"""Cursors: where each adapter stands on its platform, typed per platform (round-2 decision, issue 12)."""

from __future__ import annotations

from typing import Literal, TypedDict, Union
from urllib.parse import urlsplit

from . import schema as s
from .text import MAX_SAFE_INTEGER


class TelegramCursor(TypedDict):
    """The next getUpdates offset: everything below it is answered and recorded."""

    kind: Literal["telegram"]
    offset: int


class DiscordCursor(TypedDict):
    """A resumable gateway session; `seq` is the last dispatch processed (answered and recorded), not the last received."""

    kind: Literal["discord"]
    session_id: str
    seq: int
    resume_gateway_url: str


Cursor = Union[TelegramCursor, DiscordCursor]
#: Cursors by adapter name; an absent adapter means "start from your store's own position".
Cursors = dict[str, Cursor]

ADAPTER_NAME = r"[a-z0-9_-]{1,64}"
ADAPTER_NAME_RULE = "adapter names are 1-64 characters of a-z 0-9 _ -"


def _ws_url(value: object, path: s.Path) -> object:
    url = s.string(1, 512)(value, path)
    assert isinstance(url, str)
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("ws", "wss") or not parts.netloc or not url.startswith(parts.scheme + "://"):
        raise s.Invalid(path, "expected a ws:// or wss:// URL")
    return url


cursor_schema = s.tagged(
    "kind",
    {
        "telegram": s.obj({"kind": s.one_of("telegram"), "offset": s.integer(0, MAX_SAFE_INTEGER)}),
        "discord": s.obj(
            {
                "kind": s.one_of("discord"),
                "session_id": s.string(1, 128),
                "seq": s.integer(0),
                "resume_gateway_url": _ws_url,
            }
        ),
    },
    "adapter kind",
)

#: The schema of a Cursors field.
cursors_schema = s.record(ADAPTER_NAME, ADAPTER_NAME_RULE, cursor_schema)


def telegram(offset: int) -> TelegramCursor:
    """A Telegram cursor at `offset`."""
    return {"kind": "telegram", "offset": offset}


def discord(session_id: str, seq: int, resume_gateway_url: str) -> DiscordCursor:
    """A Discord cursor for resuming `session_id` after dispatch `seq`."""
    return {"kind": "discord", "session_id": session_id, "seq": seq, "resume_gateway_url": resume_gateway_url}
