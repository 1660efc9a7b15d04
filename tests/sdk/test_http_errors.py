"""Vendor-detail raise_for_status: requests' own message stays first (non-retryable prefixes match it)."""

from __future__ import annotations

import pytest
import requests

from sources.common.http_errors import body_excerpt, code_and_message, raise_for_status_with_detail, status_checker

URL = "https://api.acme.example/v1/orders?limit=1"


def response(status: int, body: str = "") -> requests.Response:
    made = requests.Response()
    made.status_code = status
    made.reason = {200: "OK", 401: "Unauthorized", 404: "Not Found", 503: "Service Unavailable"}.get(status, "")
    made.url = URL
    made._content = body.encode()
    return made


def vendor_code(answer: requests.Response) -> str:
    return answer.text.upper()


@pytest.mark.parametrize("status", [200, 204, 302])
def test_a_success_or_redirect_raises_nothing(status: int) -> None:
    raise_for_status_with_detail(response(status, "fine"), "acme orders", vendor_code)


@pytest.mark.parametrize(
    ("status", "prefix"),
    [
        (401, f"401 Client Error: Unauthorized for url: {URL}"),
        (404, f"404 Client Error: Not Found for url: {URL}"),
        (503, f"503 Server Error: Service Unavailable for url: {URL}"),
    ],
)
def test_the_message_is_requests_own_then_the_resource_and_vendor_detail(status: int, prefix: str) -> None:
    failed = response(status, "bad_key")
    with pytest.raises(requests.HTTPError) as caught:
        raise_for_status_with_detail(failed, "acme orders", vendor_code)
    assert str(caught.value) == f"{prefix} [acme orders: BAD_KEY]"
    assert caught.value.response is failed
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_brackets_are_the_callers_choice() -> None:
    with pytest.raises(requests.HTTPError) as caught:
        raise_for_status_with_detail(response(401, "bad_key"), "acme orders", vendor_code, brackets="()")
    assert str(caught.value).endswith(" (acme orders: BAD_KEY)")


def test_status_checker_binds_the_resource_for_a_rest_client() -> None:
    check = status_checker("acme refunds", vendor_code, brackets="()")
    check(response(200, "fine"))
    with pytest.raises(requests.HTTPError, match=r"^401 Client Error: .* \(acme refunds: NOPE\)$"):
        check(response(401, "nope"))


@pytest.mark.parametrize(
    ("body", "expected"), [("", "empty body"), ("<html>down</html>", "<html>down</html>"), ("x" * 500, "x" * 120)]
)
def test_body_excerpt(body: str, expected: str) -> None:
    assert body_excerpt(response(500, body)) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"category": "MISSING_SCOPES", "message": "No scope."}', "MISSING_SCOPES: No scope."),
        ('{"category": "", "errorType": "RATE_LIMIT", "message": "Slow down."}', "RATE_LIMIT: Slow down."),
        ('{"message": "Something failed."}', "Something failed."),
        ('{"status": "error"}', "{'status': 'error'}"),
        ('["not", "an", "object"]', "['not', 'an', 'object']"),
        ("<html>Bad Gateway</html>", "<html>Bad Gateway</html>"),
        ("", "empty body"),
    ],
)
def test_code_and_message(body: str, expected: str) -> None:
    assert code_and_message(response(400, body), ("category", "errorType"), "message") == expected
