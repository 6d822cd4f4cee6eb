"""The kiosk ↔ window intake backend contract: paths and message types, shared by both sides.

The backend belongs to the hall; this is what it implements. The OpenAPI document generated from
the reference server (``intake/openapi.json``, checked in and tested to match) is the normative
form. All paths are under :data:`API`; every operation but ``GET /api/v1/health`` must be signed
(``intake/signing.py``) and answers 401 otherwise.

No message carries a name, an ID number, a phone number or a pickup code: a person appears only
as a keyed hash (``id_hash``: HMAC-SHA256 with the hall's key, 64 hex digits), so events and
logs on either side stay free of personal data.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

API = "/api/v1"

Key = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,79}$", description="idempotency key")]
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
KeyedHash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="HMAC-SHA256 of an ID number with the hall key")]
Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Text = Annotated[str, Field(max_length=200)]


def _json_number(value: Any) -> Any:
    # A JSON number, as the OpenAPI document says: pydantic's lax mode would also take true as 1
    # and "12" as 12 (strict mode is no cure: it refuses 12.0 for an integer, which JSON Schema
    # allows, and enum values given as strings).
    if isinstance(value, bool | str | bytes):
        raise ValueError("must be a JSON number")
    return value


Int = Annotated[int, BeforeValidator(_json_number)]
Number = Annotated[float, BeforeValidator(_json_number)]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- registration and inventory ------------------------------------------------------------------


class DeviceEntry(Message):
    id: Code
    kind: Annotated[str, Field(pattern=r"^(printer|idcard|camera|locker)$")]
    model: Text
    firmware: Text | None = None
    serial_number: Text | None = None
    capabilities: list[Text] = Field(default_factory=list, max_length=64)
    state: Annotated[str, Field(pattern=r"^[a-z_]{1,20}$")]


class Inventory(Message):
    hall_name: Text
    software_version: Text
    devices: list[DeviceEntry] = Field(max_length=64)


class InventoryAck(Message):
    kiosk_id: Code
    devices: int


# -- events --------------------------------------------------------------------------------------


class EventClass(enum.StrEnum):
    BUSINESS = "business"  # ticket issued, submission made, deposit, pickup, recovery, alarm: never dropped
    TELEMETRY = "telemetry"  # status deltas, statistics, health: may be shed under a full disk, counted


class Event(Message):
    key: Key
    # Bounded to what every JSON parser holds exactly (and SQLite stores): 2**53 - 1.
    seq: Int = Field(ge=1, le=2**53 - 1, description="the kiosk's outbox order; strictly increasing per kiosk")
    type: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=64)]
    event_class: EventClass
    time: Number = Field(ge=0, description="Unix seconds when the kiosk recorded it")
    payload: dict[str, Any] = Field(default_factory=dict)


class EventBatch(Message):
    events: list[Event] = Field(min_length=1, max_length=500)


class EventAck(Message):
    acked: list[Key] = Field(description="keys the backend now holds, new or already held")


# Events the backend acts on carry a typed payload (the OpenAPI document lists them under the
# postEvents operation's ``x-event-payloads``); any other event's payload is stored as it came.
BUNDLE_EVENT = "diagnostics.bundle"
MAX_BUNDLE_BYTES = 2 * 1024 * 1024  # a batch with one bundle stays well under the 8 MiB request cap


class DiagnosticsBundle(Message):
    """Payload of `diagnostics.bundle`: a technician's redacted diagnostics zip (config without
    secrets, devices, statistics, health, events, logs; no personal data), sent when no USB stick
    was at hand. The backend keeps the zip for the hall's staff (reference server: the `/staff`
    page) and stores the event without its content."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\.zip$", description="file name to save it as")]
    size: Int = Field(ge=1, le=MAX_BUNDLE_BYTES, description="bytes of the zip")
    sha256: Sha256Hex = Field(description="hex SHA-256 of the zip")
    technician: Text | None = Field(default=None, description="the technician account that sent it")
    content_base64: str = Field(max_length=(MAX_BUNDLE_BYTES + 2) // 3 * 4, description="the zip, base64 (RFC 4648)")


EVENT_PAYLOADS: dict[str, type[Message]] = {BUNDLE_EVENT: DiagnosticsBundle}


class Heartbeat(Message):
    software_version: Text
    uptime_s: Number = Field(ge=0)
    outbox_pending: Int = Field(ge=0)


class HeartbeatReply(Message):
    server_time: float


# -- queue tickets -------------------------------------------------------------------------------


class Priority(enum.StrEnum):
    NORMAL = "normal"
    PRIORITY = "priority"  # elderly, disabled, pregnant, military (domain.md: 绿色通道)


class TicketRequest(Message):
    request_key: Key
    service_code: Code
    priority: Priority = Priority.NORMAL
    id_hash: KeyedHash | None = None
    appointment_code: Code | None = None


class TicketSource(enum.StrEnum):
    BACKEND = "backend"
    KIOSK = "kiosk"  # allocated offline from the kiosk's own block, reported later


class Ticket(Message):
    number: Annotated[str, Field(pattern=r"^[A-Z]{1,2}(-[A-Z0-9]{1,3}-)?[0-9]{3,4}$",
                                 description="A001 from the backend; A-K1-001 from kiosk K1's offline block")]
    service_code: Code
    waiting: int = Field(ge=0)
    issued_at: float
    business_day: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    source: TicketSource


# -- appointments --------------------------------------------------------------------------------


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    CHECKED_IN = "checked_in"
    EXPIRED = "expired"


class Appointment(Message):
    code: Code
    service_code: Code
    starts_at: float
    ends_at: float
    status: AppointmentStatus
    name_masked: Text = Field(description="e.g. 张*: the only form of the name a kiosk ever sees")


# -- lockers -------------------------------------------------------------------------------------


class DepositCheck(Message):
    case_number: Code


class DepositValidation(Message):
    case_number: Code
    valid: bool
    reason: Text = ""
    recipient_hash: KeyedHash | None = None


class PickupRequest(Message):
    case_number: Code
    id_hash: KeyedHash | None = None


class PickupAuthorisation(Message):
    case_number: Code
    authorised: bool
    reason: Text = ""


# -- materials (resumable, content-addressed upload) ---------------------------------------------


class MaterialStart(Message):
    size: Int = Field(ge=1, le=512 * 1024 * 1024)
    kind: Annotated[str, Field(pattern=r"^[a-z_]{1,32}$")]
    pages: Int = Field(ge=1, le=500)
    verification: Annotated[str, Field(pattern=r"^[a-z_]{1,40}$")]
    key: Key


class UploadState(Message):
    sha256: Sha256Hex
    size: int
    offset: int = Field(description="bytes the backend holds; the next PATCH starts here")
    complete: bool = Field(description="true only after the backend verified the whole content's SHA-256")


# -- configuration -------------------------------------------------------------------------------


class ServiceEntry(Message):
    code: Code
    name: Text
    name_en: Text = ""
    prefix: Annotated[str, Field(pattern=r"^[A-Z]{1,2}$")]
    group: Code


class KioskSettings(Message):
    services: list[ServiceEntry]
    ticket_footer: list[Text] = Field(default_factory=list, max_length=5)


class Problem(Message):
    """Error body (RFC 9457 style, trimmed): never carries personal data or secrets."""

    title: Text
    detail: Text = ""
