# Rule tests for warehouse-tracked-session-no-timeout: every tracked session keeps a finite timeout.
import requests

from sources.common import http
from sources.common.http import DEFAULT_TIMEOUT, make_tracked_session


def session_without_timeout(token: str) -> requests.Session:
    # ruleid: warehouse-tracked-session-no-timeout
    return make_tracked_session(headers={"Authorization": f"Bearer {token}"}, timeout=None)


def session_through_the_module(token: str) -> requests.Session:
    # ruleid: warehouse-tracked-session-no-timeout
    return http.make_tracked_session(headers={"Authorization": f"Bearer {token}"}, timeout=None)


def session_without_read_timeout(token: str) -> requests.Session:
    # ruleid: warehouse-tracked-session-no-timeout
    return make_tracked_session(headers={"Authorization": f"Bearer {token}"}, timeout=(10, None))


def session_with_a_constant_none(token: str) -> requests.Session:
    timeout = None
    # ruleid: warehouse-tracked-session-no-timeout
    return make_tracked_session(headers={"Authorization": f"Bearer {token}"}, timeout=timeout)


def session_with_the_default(token: str) -> requests.Session:
    # ok: warehouse-tracked-session-no-timeout
    return make_tracked_session(headers={"Authorization": f"Bearer {token}"})


def session_with_a_slow_export(token: str) -> requests.Session:
    # ok: warehouse-tracked-session-no-timeout
    return make_tracked_session(headers={"Authorization": f"Bearer {token}"}, timeout=(10, 300))


def session_with_the_sdk_default(token: str) -> requests.Session:
    # ok: warehouse-tracked-session-no-timeout
    return make_tracked_session(headers={"Authorization": f"Bearer {token}"}, timeout=DEFAULT_TIMEOUT)
