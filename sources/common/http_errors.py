"""HTTP errors that keep requests' own message (non-retryable prefixes match it) and add the vendor's reason."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import requests

ErrorDetail = Callable[[requests.Response], str]

BODY_EXCERPT_CHARS = 120


def body_excerpt(response: requests.Response) -> str:
    """The start of the body, for an error body that is not in the vendor's documented shape."""
    return response.text[:BODY_EXCERPT_CHARS] or "empty body"


def code_and_message(response: requests.Response, code_keys: Sequence[str], message_key: str) -> str:
    """`code: message` from a JSON object error body: the first non-empty of `code_keys`, then `message_key`.

    Without a code it is the message alone; without either, or for a body that is not a JSON object, the start
    of the body.
    """
    try:
        body = response.json()
    except ValueError:
        return body_excerpt(response)
    if not isinstance(body, dict):
        return str(body)[:BODY_EXCERPT_CHARS]
    code = next((body[key] for key in code_keys if body.get(key)), None)
    message = body.get(message_key) or ""
    return f"{code}: {message}" if code else message or str(body)[:BODY_EXCERPT_CHARS]


def raise_for_status_with_detail(
    response: requests.Response, resource: str, detail: ErrorDetail, *, brackets: str = "[]"
) -> None:
    """`response.raise_for_status()`, with `[<resource>: <vendor detail>]` appended to requests' message.

    `brackets` is the opening and closing character around the appended part, e.g. `"()"`.
    """
    if response.ok:
        return
    try:
        response.raise_for_status()
    except requests.HTTPError as exc:
        opening, closing = brackets
        message = f"{exc} {opening}{resource}: {detail(response)}{closing}"
        raise requests.HTTPError(message, response=response) from None


def status_checker(resource: str, detail: ErrorDetail, *, brackets: str = "[]") -> Callable[[requests.Response], None]:
    """`raise_for_status_with_detail` bound to one resource: a `RESTClient(raise_for_status=...)` argument."""

    def check(response: requests.Response) -> None:
        raise_for_status_with_detail(response, resource, detail, brackets=brackets)

    return check
