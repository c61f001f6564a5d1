"""The Telegram Bot API calls the reference gateway makes, in the real API's shapes: the one place to adapt.

getUpdates (long poll with `offset`: every update below it is confirmed), sendMessage (a reply carries
`reply_parameters.message_id`), getMe. POST /bot<token>/<method> with a JSON body; `{ok, result}` or
`{ok: false, error_code, description}` back, as Telegram answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypedDict, cast

from .http_client import HttpClient, HttpError


class Chat(TypedDict):
    """A chat (only its id is used)."""

    id: int | str


class Message(TypedDict, total=False):
    """An incoming message (the fields used here)."""

    message_id: int
    date: int
    chat: Chat
    text: str


class Update(TypedDict, total=False):
    """One update from getUpdates; only messages are answered."""

    update_id: int
    message: Message


class BotApiError(Exception):
    """The platform refused (HTTP status and Telegram's description), or the exchange failed (status 0)."""

    def __init__(self, method: str, status: int, description: str) -> None:
        super().__init__(f"{method}: HTTP {status}: {description}")
        self.status = status
        self.description = description


@dataclass(frozen=True)
class Reply:
    """A reply to one incoming message."""

    chat_id: int | str
    text: str
    message_id: int
    update_id: int


class BotApi:
    """One bot's Bot API client; the token goes in the path and never into an error or a log."""

    def __init__(self, base_url: str, token: str, poller_id: str) -> None:
        # X-Poller-Id lets the fake platform tell blue's polls from green's; Telegram ignores it.
        self._http = HttpClient(base_url, {"X-Poller-Id": poller_id})
        self._token = token

    async def get_updates(self, offset: int | None, timeout_s: float, on_sent: Callable[[int], None] | None = None) -> list[Update]:
        """One long poll from `offset`; `on_sent` gets the epoch ms as the request goes out. Cancelling it ends the poll."""
        whole = float(timeout_s).is_integer()
        params: dict[str, object] = {"timeout": int(timeout_s) if whole else timeout_s, "allowed_updates": ["message"]}
        if offset is not None:
            params["offset"] = offset
        if on_sent is not None:
            on_sent(time.time_ns() // 1_000_000)
        result = await self._call("getUpdates", params, timeout_s + 10)
        if not isinstance(result, list):
            raise BotApiError("getUpdates", 200, "result is not a list")
        return [cast(Update, u) for u in result if isinstance(u, dict) and isinstance(u.get("update_id"), int)]

    async def send_message(self, reply: Reply) -> None:
        """Sends `reply` as an answer to its message."""
        params: dict[str, object] = {
            "chat_id": reply.chat_id,
            "text": reply.text,
            "reply_parameters": {"message_id": reply.message_id, "allow_sending_without_reply": True},
        }
        await self._call("sendMessage", params, 10)

    async def get_me(self) -> None:
        """Checks the token and leaves a kept-alive connection for the next request."""
        await self._call("getMe", {}, 10)

    def release(self) -> None:
        """Drops the kept-alive connections; the next call opens one again."""
        self._http.release()

    def close(self) -> None:
        """Drops the kept-alive connections."""
        self._http.close()

    async def _call(self, method: str, params: dict[str, object], timeout_s: float) -> object:
        try:
            resp = await self._http.post_json(f"/bot{self._token}/{method}", params, timeout_s)
        except HttpError as e:
            raise BotApiError(method, 0, str(e).replace(self._token, "<token>")) from None
        body = resp.body
        if isinstance(body, dict) and body.get("ok") is True and resp.status == 200:
            return body.get("result")
        desc = body.get("description") if isinstance(body, dict) else None
        raise BotApiError(method, resp.status, str(desc) if desc is not None else resp.raw[:200].decode("utf-8", "replace"))
