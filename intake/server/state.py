"""What the request handlers share: one per app, kept in ``app.state.intake``."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from intake.server.business_day import BusinessDays, Clock
from intake.server.catalogue import Catalogue
from intake.server.db import Database
from intake.server.materials import MaterialStore


@dataclass
class Backend:
    db: Database
    catalogue: Catalogue
    days: BusinessDays
    clock: Clock
    materials: MaterialStore
    staff_token: str

    def close(self) -> None:
        self.db.close()


def backend(request: Request) -> Backend:
    """Dependency: this app's Backend."""
    state: Backend = request.app.state.intake
    return state
