"""Twilio Programmable Messaging, WhatsApp channel, with an approved Content template.

``POST {base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json`` (form), HTTP basic auth with
the Account SID and the auth token. ``message.template`` is the Content SID (``HX...``);
``ContentVariables`` is a JSON string with keys ``"1"``, ``"2"``, ... in ``message.parameters``
order (Twilio's WhatsApp templates are numbered, whatever ``parameter_format`` says).
A 201 with a ``sid`` means Twilio queued it, not that it was delivered.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from fluigbot.whatsapp.base import (
    ErrorClass,
    HttpProvider,
    HttpRequest,
    Message,
    SendResult,
    answered_failure,
    basic_auth,
    http_status_class,
    json_or_none,
    no_answer_class,
    scrub,
)

DEFAULT_BASE_URL = "https://api.twilio.com"

RATE_LIMITED_CODES = frozenset({14107, 20429, 63018})
RETRYABLE_CODES = frozenset({20503})  # service unavailable: nothing was queued
AUTH_CODES = frozenset({20003, 20005, 20006, 20008})
STOP_CODES = frozenset(
    {
        20404,  # account or resource not found: wrong AccountSid / base_url
        21408,  # permission to send to this region not enabled
        21606,  # From is not a valid sender for this account
        21654,  # ContentSid required / invalid
        21655,  # ContentSid invalid
        21656,  # ContentVariables invalid
        63005,  # channel did not accept the content
        63007,  # From is not a WhatsApp sender
        63016,  # outside the window: the template was not used
        63027,  # template does not exist for the language
        63028,  # number of parameters mismatch
        63038,  # account daily message limit
        63040,  # template rejected
        63041,  # template paused
        63042,  # template disabled
    }
)
PERMANENT_CODES = frozenset(
    {
        21211,  # invalid To
        21610,  # recipient unsubscribed (STOP)
        21612,  # cannot route to this number
        21614,  # To is not a mobile number
        63003,  # channel could not find To
        63014,  # blocked by the user
        63024,  # invalid recipient
        63032,  # user cannot receive this message
    }
)


def classify(status: int | None, body: Any, exc: BaseException | None = None) -> ErrorClass:
    """The pure table for Twilio's REST error envelope ``{"code", "message", "status"}``.

    An unlisted code: 4xx -> permanent for this recipient; 5xx -> unknown (Twilio does not
    promise that a 5xx queued nothing).
    """
    return _classify(status, body, exc)[0]


def _classify(status: int | None, body: Any, exc: BaseException | None) -> tuple[ErrorClass, bool]:
    if exc is not None or status is None:
        return no_answer_class(exc)
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, int):
        return http_status_class(status)
    if code in RATE_LIMITED_CODES:
        return ErrorClass.RATE_LIMITED, False
    if code in AUTH_CODES:
        return ErrorClass.STOP, True
    if code in STOP_CODES:
        return ErrorClass.STOP, False
    if code in PERMANENT_CODES:
        return ErrorClass.PERMANENT, False
    if code in RETRYABLE_CODES:
        return ErrorClass.RETRYABLE, False
    if status == 401:
        return ErrorClass.STOP, True
    if status == 429:
        return ErrorClass.RATE_LIMITED, False
    return (ErrorClass.UNKNOWN, False) if status >= 500 else (ErrorClass.PERMANENT, False)


def whatsapp_address(number: str) -> str:
    number = number.strip()
    return number if number.startswith("whatsapp:") else f"whatsapp:{number}"


class TwilioProvider(HttpProvider):
    name = "twilio"

    @property
    def base_url(self) -> str:
        return (self.cfg.base_url or DEFAULT_BASE_URL).rstrip("/")

    def _headers(self) -> dict[str, str]:
        return {
            "Authorization": basic_auth(self.cfg.account_sid, self._token),
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }

    def build_request(self, msg: Message) -> HttpRequest:
        form: dict[str, Any] = {"To": whatsapp_address(msg.to)}
        if self.cfg.from_number:
            form["From"] = whatsapp_address(self.cfg.from_number)
        if self.cfg.messaging_service_sid:
            form["MessagingServiceSid"] = self.cfg.messaging_service_sid
        form["ContentSid"] = msg.template
        if msg.parameters:
            variables = {str(i): value for i, (_, value) in enumerate(msg.parameters, start=1)}
            form["ContentVariables"] = json.dumps(variables, ensure_ascii=False)
        url = f"{self.base_url}/2010-04-01/Accounts/{self.cfg.account_sid}/Messages.json"
        return HttpRequest("POST", url, self._headers(), form)

    def interpret(self, response: httpx.Response) -> SendResult:
        body = json_or_none(response)
        if response.is_success:
            sid = body.get("sid") if isinstance(body, dict) else None
            if not isinstance(sid, str) or not sid:
                return SendResult(
                    ok=False,
                    error_class=ErrorClass.UNKNOWN,
                    code=f"http_{response.status_code}",
                    detail="accepted without a readable message sid: it may have been sent",
                )
            status = body.get("status")
            if status in ("failed", "undelivered", "canceled"):
                code = body.get("error_code")
                return SendResult(
                    ok=False,
                    message_id=sid,
                    error_class=ErrorClass.PERMANENT,
                    code=str(code) if code is not None else status,
                    detail=scrub(body.get("error_message") or f"Twilio says {status}"),
                )
            return SendResult(ok=True, message_id=sid)
        klass, auth = _classify(response.status_code, body, None)
        if isinstance(body, dict) and isinstance(body.get("code"), int):
            code, detail = str(body["code"]), scrub(body.get("message") or "")
        else:
            code = f"http_{response.status_code}"
            detail = f"HTTP {response.status_code} without a Twilio error"
        return answered_failure(response, klass, auth=auth, code=code, detail=detail)

    async def account_info(self) -> tuple[int, Any]:
        """GET the account (for doctor): (status, body). Transport errors propagate."""
        url = f"{self.base_url}/2010-04-01/Accounts/{self.cfg.account_sid}.json"
        response = await self._client.get(
            url, headers={"Authorization": basic_auth(self.cfg.account_sid, self._token)}
        )
        return response.status_code, json_or_none(response)
