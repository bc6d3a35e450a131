"""Meta WhatsApp Cloud API: a template message per recipient (the only valid first contact).

``POST {base_url}/{api_version}/{phone_number_id}/messages`` with a Bearer token. Answers are
classified by Meta's ``error.code`` (never by HTTP status alone: Meta's own tables disagree on
statuses), then by ``is_transient``, then by status when there is no Graph envelope at all.
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

DEFAULT_BASE_URL = "https://graph.facebook.com"

# Meta error codes -> class. Sources: DESIGN.md (Sending), research/whatsapp.md §1.6.
RATE_LIMITED_CODES = frozenset({4, 17, 613, 80007, 130429, 131056})
RETRYABLE_CODES = frozenset({1, 2, 131000, 131016, 131057})
AUTH_CODES = frozenset({0, 3, 10, 102, 190, *range(200, 300)})
STOP_CODES = frozenset(
    {
        100,  # invalid parameter: our request shape (e.g. named params without names)
        368,  # temporarily blocked for policy violations
        130497,  # business restricted from messaging this country (all our recipients are BR)
        131008,  # required parameter missing (we never send empty ones: shape problem)
        131009,  # parameter value invalid (shape)
        131031,  # account locked
        131037,  # display name not approved
        131042,  # payment issue
        131044,  # payment issue
        131045,  # certificate / registration
        131048,  # spam rate limit: the number is restricted for hours
        131051,  # unsupported message type
        131063,  # marketing templates disabled on Cloud API
        131064,  # messaging limit after template classification violations
        132000,  # parameter count mismatch
        132001,  # template does not exist in that language
        132005,  # translated text too long
        132007,  # template policy violation
        132012,  # parameter format mismatch (positional vs named)
        132015,  # template paused
        132016,  # template disabled
        132068,  # flow blocked
        132069,  # flow throttled
        133010,  # sender number not registered
    }
)
PERMANENT_CODES = frozenset(
    {
        130472,  # recipient is part of an experiment
        131021,  # sender and recipient are the same
        131026,  # undeliverable: not on WhatsApp, old client, ...
        131030,  # recipient not in the allowed list (test number)
        131047,  # re-engagement: outside the 24 h window
        131049,  # per-user marketing cap ("wait at least 24 hours")
        131050,  # user stopped marketing messages
        132008,  # a parameter value was refused (this request's data)
        132018,  # parameter text with new lines/tabs/spaces (this request's data)
        135000,  # generic user error
        137000,  # recipient identity key mismatch
    }
)
# (#100) with these subcodes concerns the recipient, not our request shape.
PERMANENT_100_SUBCODES = frozenset({2494010})


def classify(status: int | None, body: Any, exc: BaseException | None = None) -> ErrorClass:
    """The pure table: HTTP status and parsed body (or a transport exception) -> class.

    A 2xx is never passed here. An unlisted code inside Meta's envelope: ``is_transient`` true ->
    retryable; 5xx -> retryable (Meta's envelope says it failed, so nothing was sent); other 4xx
    -> permanent for this recipient, so one odd answer does not stop the batch (the dispatch sees
    a run of identical codes and the operator can `retry --force` after fixing an account issue).
    """
    return _classify(status, body, exc)[0]


def _classify(status: int | None, body: Any, exc: BaseException | None) -> tuple[ErrorClass, bool]:
    if exc is not None or status is None:
        return no_answer_class(exc)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), int):
        return http_status_class(status)
    code: int = error["code"]
    if code in RATE_LIMITED_CODES:
        return ErrorClass.RATE_LIMITED, False
    if code in AUTH_CODES:
        return ErrorClass.STOP, True
    if code == 100 and error.get("error_subcode") in PERMANENT_100_SUBCODES:
        return ErrorClass.PERMANENT, False
    if code in STOP_CODES:
        return ErrorClass.STOP, False
    if code in PERMANENT_CODES:
        return ErrorClass.PERMANENT, False
    if code in RETRYABLE_CODES or error.get("is_transient") is True or status >= 500:
        return ErrorClass.RETRYABLE, False
    if status == 401:
        return ErrorClass.STOP, True
    return ErrorClass.PERMANENT, False


def error_detail(body: Any) -> tuple[str | None, str | None]:
    """(code, scrubbed detail) from a Graph error envelope."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, None
    data = error.get("error_data")
    text = data.get("details") if isinstance(data, dict) else None
    return (
        str(error.get("code")) if error.get("code") is not None else None,
        scrub(text or error.get("message") or ""),
    )


class CloudProvider(HttpProvider):
    name = "cloud"

    @property
    def base_url(self) -> str:
        return (self.cfg.base_url or DEFAULT_BASE_URL).rstrip("/")

    def _url(self, *parts: str) -> str:
        return "/".join([self.base_url, self.cfg.api_version, *parts])

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}", "Content-Type": "application/json"}

    def build_request(self, msg: Message) -> HttpRequest:
        named = msg.parameter_format == "named"
        params: list[dict[str, str]] = []
        for name, value in msg.parameters:
            param = {"type": "text", "text": value}
            if named:
                param["parameter_name"] = name
            params.append(param)
        template: dict[str, Any] = {
            "name": msg.template,
            "language": {"code": msg.language, "policy": "deterministic"},
        }
        if params:
            template["components"] = [{"type": "body", "parameters": params}]
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": digits(msg.to),
            "type": "template",
            "template": template,
        }
        return HttpRequest(
            "POST", self._url(self.cfg.phone_number_id, "messages"), self._headers(), body
        )

    def interpret(self, response: httpx.Response) -> SendResult:
        body = json_or_none(response)
        if response.is_success:
            try:
                message_id = body["messages"][0]["id"]
                contact = (body.get("contacts") or [{}])[0]
            except (TypeError, KeyError, IndexError, AttributeError):
                message_id = None
            if not isinstance(message_id, str) or not message_id:
                return SendResult(
                    ok=False,
                    error_class=ErrorClass.UNKNOWN,
                    code=f"http_{response.status_code}",
                    detail="accepted without a readable message id: it may have been sent",
                )
            wa_id = (
                (contact.get("wa_id") or contact.get("user_id"))
                if isinstance(contact, dict)
                else None
            )
            return SendResult(ok=True, message_id=message_id, wa_id=str(wa_id) if wa_id else None)
        klass, auth = _classify(response.status_code, body, None)
        code, detail = error_detail(body)
        if code is None:
            code = f"http_{response.status_code}"
            detail = f"HTTP {response.status_code} without a Graph API error"
        return answered_failure(response, klass, auth=auth, code=code, detail=detail)

    # --- for doctor -------------------------------------------------------------------------

    async def get_json(self, *parts: str, params: dict[str, str] | None = None) -> tuple[int, Any]:
        """GET a Graph node (no retries); (status, body). Transport errors propagate."""
        response = await self._client.get(
            self._url(*parts), params=params, headers={"Authorization": f"Bearer {self._token}"}
        )
        return response.status_code, json_or_none(response)

    async def phone_number_info(self) -> tuple[int, Any]:
        return await self.get_json(self.cfg.phone_number_id)

    async def template_info(self, name: str) -> tuple[int, Any]:
        return await self.get_json(self.cfg.waba_id, "message_templates", params={"name": name})
