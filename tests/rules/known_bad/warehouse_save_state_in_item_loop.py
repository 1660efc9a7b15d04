"""Known bad: the resume state points past the page after its first ticket; the rest of the page is still to come."""

import dataclasses
from collections.abc import Iterator
from typing import Any

from sources.common.rest_source import RESTClient
from sources.common.resumable import ResumableSourceManager


@dataclasses.dataclass
class AcmeResumeConfig:
    request: dict[str, Any]


def tickets(client: RESTClient, manager: ResumableSourceManager[AcmeResumeConfig]) -> Iterator[dict[str, Any]]:
    for page in client.paginate("/tickets", params={"limit": 100}):
        for ticket in page.items:
            yield ticket
            if page.next_request is not None:
                manager.save_state(AcmeResumeConfig(request=page.next_request.to_state()))
