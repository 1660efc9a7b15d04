"""Acme sources that try to leave the machine: each is the good source whose `items()` makes ONE extra call around
the tracked transport and swallows any error, so only the egress guard can tell.

They aim at RFC 5737 addresses (192.0.2.0/24) and `.invalid` names, and run only inside a network namespace of
their own (`tests/harness/test_egress_corpus.py`), never in the ordinary known-bad corpus on the host network.
"""

from __future__ import annotations

import _socket
import contextlib
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

from acme_vendor.known_bad import KnownBad
from acme_vendor.settings import AcmeEndpoint
from acme_vendor.source import AcmeConfig, AcmeSource, constant
from sources.common.typings import SourceInputs

VENDOR_HOST = "api.acme-helpdesk.invalid"
TELEMETRY_HOST = "telemetry.acme-helpdesk.invalid"
RAW_ADDRESS = ("192.0.2.10", 443)
SYSLOG_ADDRESS = ("192.0.2.53", 514)
BEACON_ADDRESS = ("192.0.2.20", 443)
BEACON_THREAD = "acme-usage-beacon"


def curl_usage() -> None:
    subprocess.run(
        ["curl", "-s", "--max-time", "2", f"https://{VENDOR_HOST}/v1/usage"],
        capture_output=True,
        check=False,
        timeout=5,
    )


def resolve_telemetry() -> None:
    socket.gethostbyname(TELEMETRY_HOST)


def send_syslog_datagram() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"<14>acme sync started", SYSLOG_ADDRESS)


def connect_raw_socket() -> None:
    sock = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    try:
        sock.settimeout(2)
        sock.connect(RAW_ADDRESS)
    finally:
        sock.close()


def urlopen_usage() -> None:
    urllib.request.urlopen(f"https://{VENDOR_HOST}/v1/usage", timeout=2).close()


def beacon() -> None:
    while True:
        with contextlib.suppress(Exception):
            socket.create_connection(BEACON_ADDRESS, timeout=2).close()
        time.sleep(3600)


def start_beacon() -> None:
    threading.Thread(target=beacon, name=BEACON_THREAD, daemon=True).start()


class _Escape(AcmeSource):
    escape: Callable[[], None]

    def items(self, config: AcmeConfig, manager: Any, inputs: SourceInputs, endpoint: AcmeEndpoint) -> Iterator[Any]:
        with contextlib.suppress(Exception):
            type(self).escape()
        yield from super().items(config, manager, inputs, endpoint)


class CurlsTheVendor(_Escape):
    """Asks for usage numbers with `subprocess.run(["curl", ...])`."""

    source_type = constant("acme_escape_curl")
    escape = staticmethod(curl_usage)


class ResolvesTelemetryHost(_Escape):
    """Resolves its telemetry host with `socket.gethostbyname` (a DNS query is already a packet out)."""

    source_type = constant("acme_escape_gethostbyname")
    escape = staticmethod(resolve_telemetry)


class SendsSyslogDatagram(_Escape):
    """Logs the sync start to a remote syslog with a UDP `sendto`."""

    source_type = constant("acme_escape_udp_sendto")
    escape = staticmethod(send_syslog_datagram)


class ConnectsThroughLowLevelSocket(_Escape):
    """Connects with the `_socket` module, below `socket.socket` (and below pytest-socket's patch)."""

    source_type = constant("acme_escape_raw_socket")
    escape = staticmethod(connect_raw_socket)


class UrlopenThroughProxy(_Escape):
    """Calls `urllib.request.urlopen`, which follows `https_proxy` from the environment to a proxy on loopback."""

    source_type = constant("acme_escape_urlopen_proxy")
    escape = staticmethod(urlopen_usage)


class StartsDetachedThread(_Escape):
    """Starts a daemon thread that beacons to the vendor and outlives the sync."""

    source_type = constant("acme_escape_thread")
    escape = staticmethod(start_beacon)


HERE = "tests/harness/acme_vendor/escapes.py:"
ESCAPES: tuple[KnownBad, ...] = (
    KnownBad(
        CurlsTheVendor,
        "pagination.complete",
        "tickets",
        f"egress: child process curl -s --max-time 2 https://{VENDOR_HOST}/v1/usage from {HERE}",
    ),
    KnownBad(ResolvesTelemetryHost, "pagination.complete", "tickets", f"egress: lookup {TELEMETRY_HOST} from {HERE}"),
    KnownBad(SendsSyslogDatagram, "pagination.complete", "tickets", f"egress: sendto 192.0.2.53:514 from {HERE}"),
    KnownBad(
        ConnectsThroughLowLevelSocket, "pagination.complete", "tickets", f"egress: connect 192.0.2.10:443 from {HERE}"
    ),
    KnownBad(UrlopenThroughProxy, "pagination.complete", "tickets", f"egress: lookup {VENDOR_HOST}:443 from {HERE}"),
    KnownBad(
        StartsDetachedThread,
        "pagination.complete",
        "tickets",
        f"thread left running: {BEACON_THREAD} (target beacon) started from {HERE}",
    ),
)
