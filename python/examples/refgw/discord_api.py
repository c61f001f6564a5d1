"""The Discord REST calls the reference gateway makes, in the real API's shapes (v10): where the gateway is, and
answering a message. The bot token goes in the Authorization header and never into an error or a log."""

from __future__ import annotations

import asyncio

from .http_client import HttpClient, HttpError

#: Discord's limit on a message's content.
MAX_CONTENT = 2000


class DiscordApiError(Exception):
    """Discord refused (HTTP status and its message), or the exchange failed (status 0)."""

    def __init__(self, what: str, status: int, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(f"{what}: HTTP {status}: {message}")
        self.status = status
        self.retry_after_s = retry_after_s


class DiscordApi:
    """One bot's REST client under `base_url` (e.g. https://discord.com or the fake's http://127.0.0.1:PORT)."""

    def __init__(self, base_url: str, token: str) -> None:
        self._http = HttpClient(base_url.rstrip("/") + "/api/v10", {"Authorization": f"Bot {token}"})
        self._token = token

    async def gateway_url(self) -> str:
        """GET /gateway/bot: the websocket URL to IDENTIFY on."""
        body = await self._call("GET", "/gateway/bot", None, "GET /gateway/bot")
        url = body.get("url") if isinstance(body, dict) else None
        if not isinstance(url, str) or not url.startswith(("ws://", "wss://")):
            raise DiscordApiError("GET /gateway/bot", 200, "no ws:// or wss:// url in the answer")
        return url

    async def reply(self, channel_id: str, message_id: str, content: str) -> None:
        """Answers message `message_id` of channel `channel_id` (a message_reference to it)."""
        payload = {
            "content": content[:MAX_CONTENT] or "(no answer)",
            "message_reference": {"message_id": message_id, "channel_id": channel_id, "fail_if_not_exists": False},
        }
        await self._call("POST", f"/channels/{channel_id}/messages", payload, "POST /channels/{id}/messages")

    def release(self) -> None:
        """Drops the kept-alive connections; the next call opens one again."""
        self._http.release()

    def close(self) -> None:
        """Drops the kept-alive connections."""
        self._http.close()

    async def _call(self, method: str, path: str, payload: object | None, what: str) -> object:
        try:
            resp = await self._http.request(method, path, payload, 10)
        except (HttpError, asyncio.TimeoutError, OSError) as e:
            raise DiscordApiError(what, 0, str(e).replace(self._token, "<token>") or type(e).__name__) from None
        if 200 <= resp.status < 300:
            return resp.body
        body = resp.body if isinstance(resp.body, dict) else {}
        retry = body.get("retry_after")
        message = body.get("message")
        raise DiscordApiError(
            what,
            resp.status,
            str(message) if message is not None else resp.raw[:200].decode("utf-8", "replace"),
            float(retry) if isinstance(retry, (int, float)) and not isinstance(retry, bool) else None,
        )
