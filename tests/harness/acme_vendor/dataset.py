"""Acme Helpdesk data: tickets (incremental, asc-sortable), agents (full refresh) and events (desc only).

`AcmeData.generate` is deterministic for a seed; `later()` is the same account some time on: a few tickets were
updated (updated_at moved, created_at did not) and one ticket and one event are new.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Any

START = dt.datetime(2024, 1, 3, 9, 0, tzinfo=dt.UTC)
STATUSES = ("new", "open", "pending", "solved")
SUBJECTS = ("Refund request", "Login fails", "Invoice missing", "Shipping delay", "Feature question", "Bug report")
EVENT_TYPES = ("ticket.created", "ticket.updated", "agent.assigned", "comment.added")


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclasses.dataclass
class AcmeData:
    tickets: list[dict[str, Any]]
    agents: list[dict[str, Any]]
    events: list[dict[str, Any]]
    page_size: int

    @classmethod
    def generate(cls, tickets: int = 23, agents: int = 17, events: int = 17, page_size: int = 5, seed: int = 7):
        rng = random.Random(seed)
        agent_rows = []
        moment = START - dt.timedelta(days=90)
        for number in range(1, agents + 1):
            moment += dt.timedelta(hours=rng.randint(5, 200))
            agent_rows.append(
                {
                    "id": 9000 + number,
                    "name": f"Agent {number:02d}",
                    "email": f"agent{number:02d}@acme-helpdesk.test",
                    "role": rng.choice(("agent", "lead", "admin")),
                    "created_at": iso(moment),
                }
            )
        ticket_rows = []
        moment = START
        for number in range(1, tickets + 1):
            moment += dt.timedelta(hours=rng.randint(1, 40), minutes=rng.randint(0, 59))
            updated = moment + dt.timedelta(hours=rng.randint(0, 300))
            ticket_rows.append(
                {
                    "id": f"tkt_{number:04d}",
                    "subject": rng.choice(SUBJECTS),
                    "status": rng.choice(STATUSES),
                    "priority": rng.randint(1, 4),
                    "created_at": iso(moment),
                    "updated_at": iso(updated),
                    "requester": {"id": f"cus_{rng.randint(100, 999)}", "email": f"c{number}@example.org"},
                    "tags": rng.sample(["billing", "vip", "mobile", "web", "urgent"], k=rng.randint(0, 2)),
                }
            )
        event_rows = []
        moment = START
        for number in range(1, events + 1):
            moment += dt.timedelta(hours=rng.randint(2, 50), seconds=rng.randint(0, 59))
            event_rows.append(
                {
                    "id": f"evt_{number:05d}",
                    "type": rng.choice(EVENT_TYPES),
                    "occurred_at": iso(moment),
                    "ticket_id": f"tkt_{rng.randint(1, max(1, tickets)):04d}",
                }
            )
        return cls(ticket_rows, agent_rows, event_rows, page_size)

    def later(self) -> AcmeData:
        """The account some time on: every third ticket updated (a month later, so its month changes), one new
        ticket, one new event."""
        newest = max((parse(row["updated_at"]) for row in self.tickets), default=START)
        tickets = []
        for index, row in enumerate(self.tickets):
            if index % 3 == 1:
                row = {**row, "status": "solved", "updated_at": iso(newest + dt.timedelta(days=40, hours=index))}
            tickets.append(row)
        number = len(self.tickets) + 1
        tickets.append(
            {
                "id": f"tkt_{number:04d}",
                "subject": "New after the first sync",
                "status": "new",
                "priority": 2,
                "created_at": iso(newest + dt.timedelta(days=41)),
                "updated_at": iso(newest + dt.timedelta(days=41)),
                "requester": {"id": "cus_555", "email": "late@example.org"},
                "tags": [],
            }
        )
        last_event = max((parse(row["occurred_at"]) for row in self.events), default=START)
        events = [
            *self.events,
            {
                "id": f"evt_{len(self.events) + 1:05d}",
                "type": "ticket.created",
                "occurred_at": iso(last_event + dt.timedelta(days=1)),
                "ticket_id": f"tkt_{number:04d}",
            },
        ]
        agents = [{**row, "role": "lead"} if index == 0 else row for index, row in enumerate(self.agents)]
        return AcmeData(tickets, agents, events, self.page_size)

    # -- watermarks the scenarios use ---------------------------------------------------------------------------
    def middle(self, field: str = "updated_at", rows: str = "tickets") -> str:
        values = sorted(row[field] for row in getattr(self, rows))
        return values[len(values) // 2]

    def after_all(self, field: str = "updated_at", rows: str = "tickets") -> str:
        values = [parse(row[field]) for row in getattr(self, rows)]
        return iso(max(values, default=START) + dt.timedelta(hours=6))

    def newest(self, field: str = "updated_at", rows: str = "tickets") -> str:
        return max(row[field] for row in getattr(self, rows))
