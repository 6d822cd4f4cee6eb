"""The signed HTTP client of the window intake backend (``intake/contract.py``, ``intake/signing.py``).

Explicit timeouts on every call (connect, read, write, pool), TLS verified against the configured
CA bundle (or the system's), and every request signed over its exact bytes. Errors are typed so the
sender can tell "try again later" (:class:`BackendUnavailable`) from "this will never work"
(:class:`BackendRejected`, :class:`BackendError`). No request or response body ever reaches a log
line or an exception message: they name the operation and the status only.
"""

from __future__ import annotations

import json
from typing import TypeVar

import httpx
from pydantic import BaseModel

from intake import contract as c
from intake.signing import sign

M = TypeVar("M", bound=BaseModel)


class BackendError(Exception):
    """The backend answered with an error that retrying will not fix (a 4xx other than 401/403/409)."""

    def __init__(self, operation: str, message: str, status: int | None = None) -> None:
        self.operation = operation
        self.status = status
        super().__init__(f"{operation}: {message}")


class BackendUnavailable(BackendError):
    """No answer, a cut link, a timeout or a 5xx: try again later."""


class BackendRejected(BackendError):
    """401/403: the kiosk's credentials or clock are wrong (an alarm for a technician)."""


class UploadConflict(BackendError):
    """409 on an upload: the backend holds a different offset; ``state`` says which."""

    def __init__(self, operation: str, state: c.UploadState) -> None:
        super().__init__(operation, f"backend holds {state.offset} bytes", 409)
        self.state = state


class BackendClient:
    def __init__(self, base_url: str, kiosk_id: str, secret: str, *, ca_bundle: str = "", timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.kiosk_id = kiosk_id
        self._secret = secret
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            verify=ca_bundle or True,
            transport=transport,
            headers={"User-Agent": "hall-kiosk"},
        )

    def __repr__(self) -> str:  # the secret stays out of reprs and tracebacks
        return f"<BackendClient {self.kiosk_id} {self._http.base_url}>"

    @property
    def base_url(self) -> str:
        return str(self._http.base_url)

    def set_base_url(self, url: str) -> None:
        """Point at another backend (the in-process reference server, once it has its port)."""
        self._http.base_url = url.rstrip("/")

    def close(self) -> None:
        self._http.close()

    # -- one signed call ----------------------------------------------------------------------
    def _call(self, operation: str, method: str, path: str, *, body: BaseModel | None = None,
              content: bytes | None = None, params: dict[str, str | int] | None = None,
              content_type: str = "application/json", ok: tuple[int, ...] = (200,),
              digest: str | None = None) -> httpx.Response:
        data = content if content is not None else (body.model_dump_json().encode() if body is not None else b"")
        request = self._http.build_request(method, c.API + path, content=data, params=params,
                                           headers={"Content-Type": content_type} if data else {})
        target = request.url.raw_path.decode("ascii")  # path and query exactly as sent
        request.headers.update(sign(method, target, data, self.kiosk_id, self._secret, digest=digest))
        try:
            response = self._http.send(request)
        except httpx.TimeoutException:
            raise BackendUnavailable(operation, "timed out") from None
        except httpx.HTTPError as e:
            raise BackendUnavailable(operation, f"no connection ({type(e).__name__})") from None
        if response.status_code in ok:
            return response
        status = response.status_code
        title = _problem_title(response)
        if status >= 500 or status == 429:
            raise BackendUnavailable(operation, f"HTTP {status} {title}", status)
        if status in (401, 403):
            raise BackendRejected(operation, f"HTTP {status} {title}", status)
        raise BackendError(operation, f"HTTP {status} {title}", status)

    def _get(self, model: type[M], response: httpx.Response, operation: str) -> M:
        try:
            return model.model_validate_json(response.content)
        except ValueError:
            raise BackendError(operation, "answer does not follow the contract", response.status_code) from None

    # -- the contract -------------------------------------------------------------------------
    def health(self) -> bool:
        try:
            return self._http.get(c.API + "/health").status_code == 200
        except httpx.HTTPError:
            return False

    def put_inventory(self, inventory: c.Inventory) -> c.InventoryAck:
        r = self._call("inventory", "PUT", f"/kiosks/{self.kiosk_id}/inventory", body=inventory)
        return self._get(c.InventoryAck, r, "inventory")

    def send_events(self, batch: c.EventBatch) -> c.EventAck:
        return self._get(c.EventAck, self._call("events", "POST", "/events", body=batch), "events")

    def heartbeat(self, beat: c.Heartbeat) -> c.HeartbeatReply:
        return self._get(c.HeartbeatReply, self._call("heartbeat", "POST", "/heartbeat", body=beat), "heartbeat")

    def request_ticket(self, request: c.TicketRequest) -> c.Ticket:
        return self._get(c.Ticket, self._call("ticket", "POST", "/tickets", body=request), "ticket")

    def appointment(self, code: str) -> c.Appointment | None:
        r = self._call("appointment", "GET", f"/appointments/{code}", ok=(200, 404))
        return None if r.status_code == 404 else self._get(c.Appointment, r, "appointment")

    def validate_deposit(self, check: c.DepositCheck) -> c.DepositValidation:
        r = self._call("deposit validation", "POST", "/lockers/deposits/validate", body=check)
        return self._get(c.DepositValidation, r, "deposit validation")

    def authorise_pickup(self, request: c.PickupRequest) -> c.PickupAuthorisation:
        r = self._call("pickup authorisation", "POST", "/lockers/pickups/authorise", body=request)
        return self._get(c.PickupAuthorisation, r, "pickup authorisation")

    def settings(self) -> c.KioskSettings:
        return self._get(c.KioskSettings, self._call("config", "GET", "/config"), "config")

    # -- resumable upload ---------------------------------------------------------------------
    def start_upload(self, sha256: str, start: c.MaterialStart) -> c.UploadState:
        r = self._call("upload start", "PUT", f"/materials/{sha256}", body=start)
        return self._get(c.UploadState, r, "upload start")

    def upload_state(self, sha256: str) -> c.UploadState | None:
        r = self._call("upload state", "GET", f"/materials/{sha256}", ok=(200, 404))
        return None if r.status_code == 404 else self._get(c.UploadState, r, "upload state")

    def upload_chunk(self, sha256: str, offset: int, chunk: bytes, digest: str | None = None) -> c.UploadState:
        """Append ``chunk`` at ``offset``; ``digest`` is its SHA-256 if already computed."""
        r = self._call("upload chunk", "PATCH", f"/materials/{sha256}", content=chunk, params={"offset": offset},
                       content_type="application/octet-stream", ok=(200, 409), digest=digest)
        state = self._get(c.UploadState, r, "upload chunk")
        if r.status_code == 409:
            raise UploadConflict("upload chunk", state)
        return state

    def complete_upload(self, sha256: str) -> c.UploadState:
        r = self._call("upload complete", "POST", f"/materials/{sha256}/complete")
        return self._get(c.UploadState, r, "upload complete")


def _problem_title(response: httpx.Response) -> str:
    """The Problem title of an error answer (short, from the contract; never the request body)."""
    try:
        title = json.loads(response.content).get("title", "")
    except (ValueError, AttributeError):
        return ""
    return str(title)[:80]
