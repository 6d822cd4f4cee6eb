"""The typed configuration of one kiosk (one TOML file), validated with pydantic."""

from __future__ import annotations

import enum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from drivers.device import DeviceKind
from drivers.errors import BadPortUrl
from drivers.transport.url import parse_port_url


class Strict(BaseModel):
    # Unknown keys are errors: a misspelt key must not be silently ignored on a kiosk.
    # Strict: `locks = "16"` or `enabled = "yes"` is a wrong type, not a guess. Enum fields
    # opt out (TOML gives them as strings) with Field(strict=False).
    # nan and inf are no duration, count or size.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _valid_port(url: str) -> str:
    try:
        parse_port_url(url)
    except BadPortUrl as e:
        raise ValueError(str(e)) from None
    return url


# Named so that the loader can explain a pattern mismatch in words (devicecfg.messages).
IDENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
PREFIX_PATTERN = r"^[A-Z]{1,2}$"
HTTP_URL_PATTERN = r"^https?://"
# A staff PIN or staff-card number, kept only as `kiosk staff-pin` writes it: scrypt with a
# per-entry salt (kiosk/services/staff_auth.py). Never the PIN or ID number itself.
SECRET_HASH_PATTERN = r"^scrypt\$[0-9a-f]{32}\$[0-9a-f]{64}$"

# Context key for model_validate: the caller (devicecfg.loader) runs the whole-config checks
# itself, so that each problem is reported with its own key path and line.
SKIP_CROSS_CHECKS = "devicecfg.skip_cross_checks"

PortUrlStr = Annotated[str, AfterValidator(_valid_port)]
Ident = Annotated[str, Field(pattern=IDENT_PATTERN)]

# Bounds of numeric settings (every number has both; README, "Site config").
HOUR_S = 3600
DAY_S = 24 * HOUR_S
MAX_COMPARTMENT = 9999  # compartment numbers are shown and typed with at most 4 digits


class KioskSection(Strict):
    id: Ident
    hall_name: str = Field(min_length=1)
    hall_name_en: str = ""
    # Where the database and captured materials live; empty = the platform default
    # ($STATE_DIRECTORY under systemd, else ~/.local/share/kiosk).
    data_dir: str = ""
    elder_age: int = Field(default=60, ge=0, le=150)
    idle_timeout_s: float = Field(default=90, gt=0, le=HOUR_S)  # a person's data never stays on screen longer
    # Queue numbers: the business day starts at this local time (numbers restart then), and
    # while the backend is unreachable this kiosk numbers from its own block, A-<code>-001…;
    # give each kiosk of a hall its own code (default: the last 3 letters/digits of its id).
    day_starts_at: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")] = "04:00"
    # 预约签到: how early before the booked slot a person may check in, and how late after its
    # start (later arrivals are offered a normal ticket instead)
    check_in_early_min: int = Field(default=30, ge=0, le=240)
    check_in_late_min: int = Field(default=15, ge=0, le=240)
    check_in_code_prefix: Annotated[str, Field(pattern=r"^[A-Z]{0,4}$")] = ""  # typed digits get it in front
    offline_ticket_code: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,3}$")] | None = None
    # 语音提示: each step's words spoken (espeak-ng, Mandarin; English in English mode)
    voice_prompts: bool = True
    voice_volume: int = Field(default=100, ge=0, le=200)


class BackendSection(Strict):
    url: Annotated[str, Field(pattern=HTTP_URL_PATTERN)]
    ca_bundle: str = ""
    timeout_s: float = Field(default=10, gt=0, le=120)
    # File holding this kiosk's secret (64 hex digits, from `kiosk intake-server --provision`);
    # empty: <data dir>/backend.secret, created on first start.
    credentials: str = ""
    # Start the reference intake server in this process on the url's loopback host and port
    # (0 = any free port) and provision this kiosk on it: the simulated hall's whole loop.
    start_reference_server: bool = False
    outbox_budget_mb: int = Field(default=512, ge=1, le=65536)  # 64 GiB: more than a terminal's disk
    # Delivered events and uploaded materials are kept this long; citizens' documents never
    # stay on a public terminal for more than 30 days.
    retention_h: float = Field(default=24, ge=0, le=30 * 24)


class ServiceKind(enum.StrEnum):
    QUEUE = "queue"  # a place in a window queue
    HELP = "help"  # a request for staff (帮办, 办不成事反映)


class Service(Strict):
    code: Ident
    name: str = Field(min_length=1)
    name_en: str = ""
    prefix: Annotated[str, Field(pattern=PREFIX_PATTERN)]  # ticket number prefix
    kind: ServiceKind = Field(default=ServiceKind.QUEUE, strict=False)


class ServiceGroup(Strict):
    id: Ident
    name: str = Field(min_length=1)
    name_en: str = ""
    services: list[Service] = Field(min_length=1)


class MaterialType(enum.StrEnum):
    """What a required material is (the kiosk's kiosk.materials.MaterialKind has the same values)."""

    ID_CARD_COPY = "id_card_copy"  # 身份证复印件: front and back captured, one A4 page
    FORM = "form"
    CERTIFICATE = "certificate"
    OTHER = "other"


class RequiredMaterial(Strict):
    name: str = Field(min_length=1)
    name_en: str = ""
    kind: MaterialType = Field(default=MaterialType.OTHER, strict=False)
    required: bool = True  # optional ones may be skipped (所需材料 "如有")
    max_pages: int = Field(default=20, ge=1, le=50)


class Matter(Strict):
    """A matter (事项) that can be applied for at the kiosk: 自助申报 captures its materials."""

    code: Ident
    name: str = Field(min_length=1)
    name_en: str = ""
    materials: list[RequiredMaterial] = Field(min_length=1)


class SerialConfig(Strict):
    # None: the model profile's rate (an ID card reader then probes its usual rates)
    baudrate: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] | None = None
    bytesize: Literal[7, 8] = 8
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    xonxoff: bool = False
    rtscts: bool = False
    dsrdtr: bool = False


class DeviceConfig(Strict):
    id: Ident
    kind: DeviceKind = Field(strict=False)
    model: str  # a profile name from devicecfg/profiles/<kind>.toml
    port: PortUrlStr
    enabled: bool = True
    poll_interval_s: float = Field(default=2.0, gt=0, le=3600)
    serial: SerialConfig | None = None


class CompartmentSize(enum.StrEnum):
    S = "S"
    M = "M"
    L = "L"


class Polarity(enum.StrEnum):
    # NORMAL: a set bit / status 11 means latched (上锁短路, lock_shorted) or item present.
    NORMAL = "normal"
    INVERTED = "inverted"


class LockerBoard(Strict):
    device: Ident  # the [[devices]] id of the RS-485 line this board sits on
    address: int = Field(ge=0, le=255)
    locks: int = Field(ge=1, le=48)
    first_compartment: int = Field(ge=1, le=MAX_COMPARTMENT)
    size: CompartmentSize = Field(default=CompartmentSize.M, strict=False)
    item_sensor: bool = True
    disabled: list[Annotated[int, Field(ge=1, le=MAX_COMPARTMENT)]] = []  # compartment numbers out of service
    # Per-board overrides of the model profile's defaults (locker-boards.md §2.4, §3.3).
    feedback_polarity: Polarity | None = Field(default=None, strict=False)
    item_polarity: Polarity | None = Field(default=None, strict=False)


class Cabinet(Strict):
    id: Ident
    boards: list[LockerBoard] = Field(min_length=1)


SecretHash = Annotated[str, Field(pattern=SECRET_HASH_PATTERN)]


class StaffAccount(Strict):
    """A person who may sign in at this kiosk: a 投递员 ([staff]) or a technician ([technician])."""

    id: Ident  # what the ledger, the audit trail and the backend events name
    name: str = Field(min_length=1)  # shown after entry ("您好，王老师")
    pin_hash: SecretHash
    card_hash: SecretHash | None = None  # the person's ID card, hashed the same way


class SignInSection(Strict):
    """Who may sign in, how long a session lasts, and the wrong-PIN lockout."""

    # A session ends by itself this long after entry (besides 退出 and the idle reset).
    session_s: float = Field(default=300, gt=0, le=HOUR_S)
    # Wrong PINs: this many within the window lock the entry for lockout_s.
    max_pin_failures: int = Field(default=5, ge=1, le=50)
    failure_window_s: float = Field(default=300, gt=0, le=DAY_S)
    lockout_s: float = Field(default=300, gt=0, le=DAY_S)
    accounts: list[StaffAccount] = []


class StaffSection(SignInSection):
    # A deposit older than this is listed for recovery (its code stays valid until then).
    overdue_days: float = Field(default=5, ge=0, le=365)


class TechnicianSection(SignInSection):
    """维护模式: entered by a hidden gesture on the kiosk screen, then a technician PIN or card."""

    session_s: float = Field(default=1800, gt=0, le=8 * HOUR_S)
    # Without a touch for this long the technician is taken to have left: the mode ends.
    idle_s: float = Field(default=600, ge=30, le=HOUR_S)


class KioskConfig(Strict):
    kiosk: KioskSection
    backend: BackendSection
    service_groups: list[ServiceGroup] = Field(min_length=1)
    devices: list[DeviceConfig] = []
    cabinets: list[Cabinet] = []
    staff: StaffSection = StaffSection()
    technician: TechnicianSection = TechnicianSection()
    matters: list[Matter] = []  # 自助申报's catalogue; none: the journey is not offered

    @model_validator(mode="after")
    def _unique_ids(self, info: ValidationInfo) -> KioskConfig:
        if info.context and info.context.get(SKIP_CROSS_CHECKS):
            return self
        codes = [m.code for m in self.matters]
        if len(codes) != len(set(codes)):
            raise ValueError(f"matter code {next(c for c in codes if codes.count(c) > 1)!r} is used twice")
        seen: set[str] = set()
        for d in self.devices:
            if d.id in seen:
                raise ValueError(f"device id {d.id!r} is used twice")
            seen.add(d.id)
        return self

    def device(self, device_id: str) -> DeviceConfig:
        for d in self.devices:
            if d.id == device_id:
                return d
        raise KeyError(device_id)

    def services(self) -> list[Service]:
        return [s for g in self.service_groups for s in g.services]
