"""The hall's service catalogue as the backend serves it (GET /config) and numbers tickets by it."""

from __future__ import annotations

from dataclasses import dataclass

from devicecfg import KioskConfig
from intake.contract import KioskSettings, ServiceEntry

# Printed under every ticket; the kiosk shows what the backend says (domain: 过号需重新取号).
TICKET_FOOTER = ["请留意叫号，过号需重新取号", "Please listen for your number; a missed number must be taken again"]


@dataclass(frozen=True)
class Catalogue:
    settings: KioskSettings
    by_code: dict[str, ServiceEntry]

    @classmethod
    def from_config(cls, config: KioskConfig) -> Catalogue:
        # Validated here, at start-up: a site config whose codes the contract cannot carry
        # (contract.Code is stricter than devicecfg's Ident) fails now, not on a kiosk's request.
        services = [
            ServiceEntry(code=s.code, name=s.name, name_en=s.name_en, prefix=s.prefix, group=g.id)
            for g in config.service_groups
            for s in g.services
        ]
        settings = KioskSettings(services=services, ticket_footer=TICKET_FOOTER)
        return cls(settings, {s.code: s for s in services})

    def service(self, code: str) -> ServiceEntry | None:
        return self.by_code.get(code)

    def name(self, code: str) -> str:
        entry = self.by_code.get(code)
        return entry.name if entry else code
