"""The contract's operations (all under /api/v1), with the contract's models as request and
response types so that the generated OpenAPI document is the contract's normative form.

Handlers are plain ``def`` (FastAPI runs them in its thread pool): they block on SQLite and
fsync, never on the event loop. Every operation but health is signed: the middleware in
:mod:`intake.server.auth` has already refused unsigned requests, and :func:`signed_kiosk` names
the kiosk that signed.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from intake.contract import (
    API,
    Appointment,
    DepositCheck,
    DepositValidation,
    EventAck,
    EventBatch,
    Heartbeat,
    HeartbeatReply,
    Inventory,
    InventoryAck,
    KioskSettings,
    MaterialStart,
    PickupAuthorisation,
    PickupRequest,
    Ticket,
    TicketRequest,
    UploadState,
)
from intake.server import appointments, events, kiosks, lockers, tickets
from intake.server.auth import signed_kiosk
from intake.server.problems import ProblemError, problems
from intake.server.state import Backend, backend

router = APIRouter(prefix=API)

SignedKiosk = Annotated[str, Depends(signed_kiosk)]
State = Annotated[Backend, Depends(backend)]
CodeParam = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,32}$", max_length=32)]
ShaParam = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", min_length=64, max_length=64,
                               description="hex SHA-256 of the whole content: the material's address")]

_BINARY_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the next bytes of the content, at most 8 MiB, starting at `offset`",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}
_RESYNC = {409: {"model": UploadState,
                 "description": "offset is not the number of bytes held, or the upload is complete: "
                                "the body is the current state; resume from its offset"}}


class Health(BaseModel):
    status: Literal["ok"]


@router.get("/health", operation_id="health", response_model=Health)
def health() -> Health:
    """Liveness; the only operation without a signature."""
    return Health(status="ok")


@router.put("/kiosks/{kiosk_id}/inventory", operation_id="putInventory", response_model=InventoryAck,
            responses=problems(400, 401, 403, 422))
def put_inventory(kiosk_id: CodeParam, inventory: Inventory, signer: SignedKiosk, b: State) -> InventoryAck:
    """The kiosk's devices (at start and whenever they change). A kiosk reports only itself."""
    if kiosk_id != signer:
        raise ProblemError(403, "not this kiosk", "a kiosk may report only its own inventory")
    kiosks.record_inventory(b.db, signer, inventory, b.clock())
    return InventoryAck(kiosk_id=signer, devices=len(inventory.devices))


@router.post("/events", operation_id="postEvents", response_model=EventAck, responses=problems(400, 401, 422))
def post_events(batch: EventBatch, signer: SignedKiosk, b: State) -> EventAck:
    """Outbox events; each key stored once (a repeat is acked again, not stored twice).

    Acted on: `ticket.issued` (a ticket the kiosk numbered offline), `locker.deposit` and
    `locker.pickup` (the case's state), `diagnostics.bundle` (a technician's redacted
    diagnostics zip, kept for the hall's staff; payload `DiagnosticsBundle`, at most 2 MiB of
    zip). `x-event-payloads` names the payload schema of each typed event. Every other type is
    stored as sent. An event whose payload does not check out is still acknowledged (and an
    alarm raised), so that it never holds up the events behind it."""
    return EventAck(acked=events.receive(b.db, signer, batch, b.clock()))


@router.post("/heartbeat", operation_id="heartbeat", response_model=HeartbeatReply, responses=problems(400, 401, 422))
def heartbeat(beat: Heartbeat, signer: SignedKiosk, b: State) -> HeartbeatReply:
    """The kiosk is alive; the reply carries the server's clock (the kiosk checks its own skew)."""
    now = b.clock()
    kiosks.record_heartbeat(b.db, signer, beat, now)
    return HeartbeatReply(server_time=now)


@router.post("/tickets", operation_id="issueTicket", response_model=Ticket, responses=problems(400, 401, 404, 409, 422))
def issue_ticket(request: TicketRequest, signer: SignedKiosk, b: State) -> Ticket:
    """Number a queue ticket. Idempotent on (kiosk, request_key): a retry gets the same ticket."""
    return tickets.issue(b.db, b.catalogue, b.days, signer, request, b.clock())


@router.get("/appointments/{code}", operation_id="getAppointment", response_model=Appointment,
            responses=problems(401, 404, 422))
def get_appointment(code: CodeParam, signer: SignedKiosk, b: State) -> Appointment:
    """An appointment by its code (the name comes masked: 张*)."""
    return appointments.lookup(b.db, b.days, code, b.clock())


@router.post("/lockers/deposits/validate", operation_id="validateDeposit", response_model=DepositValidation,
             responses=problems(400, 401, 422))
def validate_deposit(check: DepositCheck, signer: SignedKiosk, b: State) -> DepositValidation:
    """May a document for this case be deposited? (valid=false with a reason, not an error)"""
    return lockers.validate_deposit(b.db, signer, check, b.clock())


@router.post("/lockers/pickups/authorise", operation_id="authorisePickup", response_model=PickupAuthorisation,
             responses=problems(400, 401, 422))
def authorise_pickup(request: PickupRequest, signer: SignedKiosk, b: State) -> PickupAuthorisation:
    """May this case's document be released (to the holder of this ID card, if id_hash is given)?"""
    return lockers.authorise_pickup(b.db, request)


@router.put("/materials/{sha256}", operation_id="startMaterial", response_model=UploadState,
            responses=problems(400, 401, 409, 422))
def start_material(sha256: ShaParam, start: MaterialStart, signer: SignedKiosk, b: State) -> UploadState:
    """Start (or resume) an upload; complete=true at once when this content is already held."""
    return b.materials.start(signer, sha256, start, b.clock())


@router.get("/materials/{sha256}", operation_id="getMaterial", response_model=UploadState,
            responses=problems(401, 404, 422))
def get_material(sha256: ShaParam, signer: SignedKiosk, b: State) -> UploadState:
    """How much of an upload the server holds."""
    return b.materials.state(sha256)


@router.patch("/materials/{sha256}", operation_id="appendMaterial", response_model=UploadState,
              responses={**problems(401, 404, 413, 422), **_RESYNC}, openapi_extra=_BINARY_BODY)
async def append_material(sha256: ShaParam, offset: Annotated[int, Query(ge=0, description="bytes held before this chunk")],
                          request: Request, signer: SignedKiosk, b: State) -> UploadState:
    """Append a chunk at `offset`, which must equal the bytes held (else 409 with the state). The
    chunk that makes the content whole also verifies it, as `complete` does (complete=true, or 422
    and the partial discarded)."""
    chunk = await request.body()  # the raw bytes the signature covered
    return await run_in_threadpool(b.materials.append, sha256, offset, chunk, b.clock())


@router.post("/materials/{sha256}/complete", operation_id="completeMaterial", response_model=UploadState,
             responses=problems(401, 404, 409, 422))
def complete_material(sha256: ShaParam, signer: SignedKiosk, b: State) -> UploadState:
    """Verify the whole content against its SHA-256: 409 while bytes are missing (resume); 422 when
    the content does not hash to its address, and the partial is discarded (upload again from 0)."""
    return b.materials.complete(sha256, b.clock())


@router.get("/config", operation_id="getConfig", response_model=KioskSettings, responses=problems(401))
def get_config(signer: SignedKiosk, b: State) -> KioskSettings:
    """The hall's service catalogue and ticket footer, as the kiosk shows them."""
    return b.catalogue.settings
