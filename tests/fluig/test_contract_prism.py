"""Contract tests: fluigbot's Fluig requests, validated by Prism against the vendor's own specs.

Prism runs with `--errors` and dynamic data, so each request is checked against the spec and the
parser meets random, schema-valid answers. Any violation Prism reports (log or sl-violations
header) fails the test. Skipped where Prism or ../shared is missing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice
from typing import Any

import httpx
import pytest

from fluigbot.fluig.client import FluigClient, FluigCredentials, FluigHTTPError
from fluigbot.fluig.requests import REQUESTS_PATH, iter_requests
from fluigbot.fluig.writeback import set_form_field

pytestmark = pytest.mark.prism
CREDS = FluigCredentials("ck", "cs", "tk", "ts")


def client_for(prism: Any) -> FluigClient:
    http = httpx.Client(timeout=30.0, event_hooks={"response": [prism.watch]})
    return FluigClient(prism.url, CREDS, client=http, sleep=lambda s: None, retries=0)


def test_listing_requests_follow_the_process_management_spec(prism_process_management: Any) -> None:
    prism = prism_process_management
    start = prism.mark()
    fluig = client_for(prism)
    pages = list(
        islice(
            iter_requests(
                fluig,
                source=prism.url,
                process_ids=["abertura_chamado", "Abertura de Chamados"],
                since=datetime(2026, 7, 1, 3, 0, tzinfo=UTC),
                min_id=1000,
                page_size=500,
                prefetch=False,  # calls = pages exactly; reading ahead is tested in test_ahead
            ),
            2,
        )
    )
    assert pages, "no page read"
    assert fluig.calls == len(pages)
    assert prism.errors(since=start) == []


def test_the_contract_check_is_not_vacuous(prism_process_management: Any) -> None:
    prism = prism_process_management
    start = prism.mark()
    with pytest.raises(FluigHTTPError):
        client_for(prism).get_json(REQUESTS_PATH, {"pageSize": 5000, "status": "ABERTO"})
    assert len(prism.errors(since=start)) >= 2


def test_card_update_follows_the_ecm_forms_spec(prism_ecm_forms: Any) -> None:
    prism = prism_ecm_forms
    start = prism.mark()
    fluig = client_for(prism)
    set_form_field(
        fluig,
        form_id=41123,
        form_record_id=1139863,
        field="whatsapp_contato",
        value="enviado 06/02/2026 10:00",
    )
    assert fluig.calls == 1
    assert prism.errors(since=start) == []
