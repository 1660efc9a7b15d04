"""The Acme Helpdesk API as a vendor model: the simulator over a dataset that can change between requests.

Tickets are edited (`updated_at` moves), created and deleted; agents change role and join (agents are
deactivated, never deleted); events are an append-only log.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from acme_vendor.dataset import START, AcmeData, iso, parse
from acme_vendor.simulator import simulator
from harness.simulators.model import ListEndpoint, VendorModel

DATASET_FILE = "dataset.json"
# Written next to each recorded Acme fixture set, so the harness finds the model like any fixture's simulator.
SIMULATOR_STUB = '''"""The Acme vendor model over the dataset these fixtures were recorded from."""

from pathlib import Path

from acme_vendor.model import DATASET_FILE, model_from_file


def vendor_model():
    return model_from_file(Path(__file__).with_name(DATASET_FILE))
'''


def vendor_model(data: AcmeData) -> VendorModel:
    def edit_ticket(row: dict[str, Any], at: dt.datetime) -> None:
        row["updated_at"] = iso(at)
        row["status"] = "open" if row["status"] != "open" else "pending"

    def new_ticket(at: dt.datetime) -> dict[str, Any]:
        number = max((int(row["id"].split("_")[1]) for row in data.tickets), default=0) + 1
        return {
            "id": f"tkt_{number:04d}",
            "subject": "Opened while the sync was down",
            "status": "new",
            "priority": 3,
            "created_at": iso(at),
            "updated_at": iso(at),
            "requester": {"id": "cus_777", "email": f"c{number}@example.org"},
            "tags": [],
        }

    def new_agent(at: dt.datetime) -> dict[str, Any]:
        number = max((row["id"] for row in data.agents), default=9000) + 1
        return {
            "id": number,
            "name": f"Agent {number - 9000:02d}",
            "email": f"agent{number - 9000:02d}@acme-helpdesk.test",
            "role": "agent",
            "created_at": iso(at),
        }

    def new_event(at: dt.datetime) -> dict[str, Any]:
        number = len(data.events) + 1
        ticket = data.tickets[0]["id"] if data.tickets else "tkt_0001"
        return {"id": f"evt_{number:05d}", "type": "ticket.updated", "occurred_at": iso(at), "ticket_id": ticket}

    def promote(row: dict[str, Any], at: dt.datetime) -> None:
        row["role"] = "lead" if row["role"] != "lead" else "admin"

    stamps = [row["updated_at"] for row in data.tickets] + [row["occurred_at"] for row in data.events]
    stamps += [row["created_at"] for row in data.agents]
    now = max((parse(stamp) for stamp in stamps), default=START) + dt.timedelta(days=1)
    endpoints = {
        "tickets": ListEndpoint(
            data.tickets,
            version_of=lambda row: row["updated_at"],
            touch=edit_ticket,
            create=new_ticket,
            field="updated_at",
        ),
        "agents": ListEndpoint(data.agents, touch=promote, create=new_agent, deletable=False),
        "events": ListEndpoint(data.events, create=new_event, deletable=False),
    }
    return VendorModel(simulator(data), endpoints, now, step=dt.timedelta(minutes=7))


def save(data: AcmeData, out_dir: Path) -> None:
    """The dataset and the simulator stub that builds the model from it, beside the recorded fixtures."""
    (out_dir / DATASET_FILE).write_text(json.dumps(dataclasses.asdict(data)))
    (out_dir / "simulator.py").write_text(SIMULATOR_STUB)


def model_from_file(path: Path) -> VendorModel:
    return vendor_model(AcmeData(**json.loads(path.read_text())))
