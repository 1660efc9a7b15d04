"""What the harness and its mitmdump addon agree on: marker headers and the control socket's framing.

Kept free of mitmproxy imports, so the harness side does not load mitmproxy.
"""

from __future__ import annotations

import base64
import pickle
import socket
import struct
from typing import Any

ID_HEADER = "x-conformance-request"
TIMEOUT_HEADER = "x-conformance-timeout"
STOP_HEADER = "x-conformance-stop"
# On every replayed response: how many requests the addon has logged for the run (taken off before the source).
LOGGED_HEADER = "x-conformance-logged"
# Forward mode to a served simulator: the URL the client asked for, for the simulator to answer.
ORIGINAL_URL_HEADER = "x-conformance-original-url"
MARKER_HEADERS = frozenset({ID_HEADER, TIMEOUT_HEADER, ORIGINAL_URL_HEADER})
FRAME = struct.Struct("!I")


def encode_timeout(timeout: Any) -> str:
    return base64.b64encode(pickle.dumps(timeout)).decode()


def decode_timeout(value: str | None) -> Any:
    return pickle.loads(base64.b64decode(value)) if value else None


def frame(payload: Any) -> bytes:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return FRAME.pack(len(data)) + data


def send_message(sock: socket.socket, payload: Any) -> None:
    sock.sendall(frame(payload))


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            raise ConnectionError("control socket closed")
        chunks += chunk
    return bytes(chunks)


def receive_message(sock: socket.socket) -> Any:
    (size,) = FRAME.unpack(_read_exactly(sock, FRAME.size))
    return pickle.loads(_read_exactly(sock, size))
