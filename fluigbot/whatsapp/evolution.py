"""Evolution API v2: a Brazilian self-hosted gateway that sends free text.

UNOFFICIAL: Evolution (like Z-API and WPPConnect) drives an ordinary WhatsApp account through the
WhatsApp Web protocol. Meta does not sanction it: the account may be banned, there is no SLA, and
"accepted" does not mean delivered. It has no template or 24-hour rule, so the rendered body is
sent as text. Prefer ``cloud`` for anything that matters.

``POST {base_url}/message/sendText/{instance}``, header ``apikey``, body ``{"number", "text"}``.
Success is 201 with the Baileys message (``key.id``; ``key.remoteJid`` is the resolved account,
which may lack the ninth digit). Errors use ``{"status", "error", "response": {"message"}}``.
"""

from __future__ import annotations

from typing import Any

import httpx

from fluigbot.whatsapp.base import (
    ErrorClass,
    HttpProvider,
    HttpRequest,
    Message,
    SendResult,
    answered_failure,
    digits,
    http_status_class,
    json_or_none,
    no_answer_class,
    scrub,
)


def _envelope(body: Any) -> dict[str, Any] | None:
    if isinstance(body, dict) and isinstance(body.get("status"), int) and "response" in body:
        return body
    return None


def _not_on_whatsapp(env: dict[str, Any]) -> bool:
    response = env.get("response")
    message = response.get("message") if isinstance(response, dict) else None
    items = message if isinstance(message, list) else [message]
    return any(isinstance(i, dict) and i.get("exists") is False for i in items)


def classify(status: int | None, body: Any, exc: BaseException | None = None) -> ErrorClass:
    """The pure table. With Evolution's envelope: 400 "number does not exist" -> permanent; other
    400 (a Baileys send failure, a closed connection) -> retryable; 401/403 -> stop (auth);
    404 (no such instance) -> stop; 429 -> rate limited; 5xx -> unknown (an unhandled error
    may come after the send).
    """
    return _classify(status, body, exc)[0]


def _classify(status: int | None, body: Any, exc: BaseException | None) -> tuple[ErrorClass, bool]:
    if exc is not None or status is None:
        return no_answer_class(exc)
    env = _envelope(body)
    if env is None:
        return http_status_class(status)
    if status in (401, 403):
        return ErrorClass.STOP, True
    if status == 404:
        return ErrorClass.STOP, False
    if status == 429:
        return ErrorClass.RATE_LIMITED, False
    if status == 400:
        return (ErrorClass.PERMANENT if _not_on_whatsapp(env) else ErrorClass.RETRYABLE), False
    if status >= 500:
        return ErrorClass.UNKNOWN, False
    return ErrorClass.PERMANENT, False


class EvolutionProvider(HttpProvider):
    name = "evolution"

    @property
    def base_url(self) -> str:
        return (self.cfg.base_url or "").rstrip("/")

    def build_request(self, msg: Message) -> HttpRequest:
        headers = {"apikey": self._token, "Content-Type": "application/json"}
        url = f"{self.base_url}/message/sendText/{self.cfg.instance}"
        return HttpRequest("POST", url, headers, {"number": digits(msg.to), "text": msg.text})

    def interpret(self, response: httpx.Response) -> SendResult:
        body = json_or_none(response)
        if response.is_success:
            key = body.get("key") if isinstance(body, dict) else None
            message_id = key.get("id") if isinstance(key, dict) else None
            if not isinstance(key, dict) or not isinstance(message_id, str) or not message_id:
                return SendResult(
                    ok=False,
                    error_class=ErrorClass.UNKNOWN,
                    code=f"http_{response.status_code}",
                    detail="accepted without a readable message id: it may have been sent",
                )
            jid = str(key.get("remoteJid") or "")
            wa_id = jid.split("@", 1)[0] if jid.endswith("@s.whatsapp.net") else None
            return SendResult(ok=True, message_id=message_id, wa_id=wa_id or None)
        klass, auth = _classify(response.status_code, body, None)
        env = _envelope(body)
        if env is not None:
            code = "not_on_whatsapp" if _not_on_whatsapp(env) else f"http_{response.status_code}"
            response_part = env.get("response")
            message = response_part.get("message") if isinstance(response_part, dict) else None
            text = message if isinstance(message, str) else env.get("error") or ""
            detail = "the number is not on WhatsApp" if code == "not_on_whatsapp" else scrub(text)
        else:
            code = f"http_{response.status_code}"
            detail = f"HTTP {response.status_code} without an Evolution error"
        return answered_failure(response, klass, auth=auth, code=code, detail=detail)

    async def connection_state(self) -> tuple[int, Any]:
        """GET /instance/connectionState/{instance} (for doctor). Transport errors propagate."""
        url = f"{self.base_url}/instance/connectionState/{self.cfg.instance}"
        response = await self._client.get(url, headers={"apikey": self._token})
        return response.status_code, json_or_none(response)
