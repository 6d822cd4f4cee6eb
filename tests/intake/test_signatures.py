"""Request signing: intake.signing on its own (byte-exact, a known-answer vector, fuzzed) and the
running server refusing every kind of bad signature with 401 and a reason."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intake import signing
from intake.server import ServerHandle, provision
from intake.server.auth import Verifier
from intake.server.db import open_database
from tests.intake.conftest import KIOSK_ID

BEAT = {"software_version": "1.0", "uptime_s": 1, "outbox_pending": 0}
BEAT_BODY = b'{"software_version":"1.0","uptime_s":1,"outbox_pending":0}'
NONCE = "0123456789abcdef0123456789abcdef"
SECRET = bytes(range(32)).hex()  # 000102…1f


# -- intake.signing -------------------------------------------------------------------------------


def test_string_to_sign_is_byte_exact():
    digest = hashlib.sha256(b"").hexdigest()
    assert signing.string_to_sign("patch", "/api/v1/materials/ab?offset=7", "k-0101", "1795334400", NONCE, digest) == (
        b"KIOSK-HMAC-SHA256\nPATCH\n/api/v1/materials/ab?offset=7\nk-0101\n1795334400\n"
        b"0123456789abcdef0123456789abcdef\n"
        b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_sign_matches_a_known_answer_vector():
    headers = signing.sign("POST", "/api/v1/heartbeat", BEAT_BODY, "k-0101", SECRET, now=1795334400.9, nonce=NONCE)
    # Computed independently with hmac/hashlib over the documented string_to_sign …
    digest = hashlib.sha256(BEAT_BODY).hexdigest()
    message = f"KIOSK-HMAC-SHA256\nPOST\n/api/v1/heartbeat\nk-0101\n1795334400\n{NONCE}\n{digest}".encode()
    independent = hmac.new(bytes.fromhex(SECRET), message, hashlib.sha256).hexdigest()
    # … and pinned, so that a change on both sides of that computation still shows.
    assert independent == "a45abc05031f401421a4b6c7cef449e5f6ca7577fbd2a3d814ed2afd1385a46a"
    assert headers == {
        "X-Kiosk-Id": "k-0101",
        "X-Timestamp": "1795334400",  # whole seconds
        "X-Nonce": NONCE,
        "X-Content-SHA256": "ed2bdce8898cc9e360093b48e28beec200c90d24c18e235cad48fd80929399a4",
        "Authorization": f"KIOSK-HMAC-SHA256 {independent}",
    }


def test_verify_accepts_what_sign_makes_and_names_the_kiosk():
    headers = signing.sign("PUT", "/p?q=1", b"x", "k-1", SECRET, now=1000)
    lowered = {k.lower(): v for k, v in headers.items()}
    signed = signing.verify("PUT", "/p?q=1", b"x", lowered, {"k-1": SECRET}.get, now=1100)
    assert signed == signing.Signed("k-1", 1000, headers["X-Nonce"])
    with pytest.raises(signing.SignatureError, match="bad signature"):
        signing.verify("PUT", "/p?q=2", b"x", lowered, {"k-1": SECRET}.get, now=1100)


def test_a_signed_non_ascii_digit_timestamp_is_refused_not_crashed_on():
    """'²' passes str.isdigit() but int() refuses it: a holder of the secret could sign one."""
    digest = hashlib.sha256(b"").hexdigest()
    mac = hmac.new(bytes.fromhex(SECRET), signing.string_to_sign("GET", "/p", "k-1", "1²", NONCE, digest),
                   hashlib.sha256).hexdigest()
    headers = {"x-kiosk-id": "k-1", "x-timestamp": "1²", "x-nonce": NONCE, "x-content-sha256": digest,
               "authorization": f"KIOSK-HMAC-SHA256 {mac}"}
    with pytest.raises(signing.SignatureError, match="bad timestamp"):
        signing.verify("GET", "/p", b"", headers, {"k-1": SECRET}.get, now=1000)


# Header values as a server sees them (HTTP headers decode as latin-1). Each request is a
# well-formed one with one or two headers broken (malformed, '²' which str.isdigit() takes and
# int() refuses, non-ASCII, or missing), signed or not by an insider who holds the secret.
_latin1 = st.text(st.characters(codec="latin-1"), max_size=70)
_BROKEN: dict[str, st.SearchStrategy[str | None]] = {
    "x-kiosk-id": st.one_of(st.just("k-9999"), _latin1, st.none()),
    "x-timestamp": st.one_of(st.text("0123456789²³¹", min_size=1, max_size=13), _latin1, st.none()),
    "x-nonce": st.one_of(st.from_regex(r"[0-9a-fA-F]{30,34}", fullmatch=True), _latin1, st.none()),
    "x-content-sha256": st.one_of(st.text(st.characters(codec="latin-1"), min_size=64, max_size=64),
                                  st.from_regex(r"[0-9a-f]{64}", fullmatch=True), _latin1, st.none()),
    "authorization": st.one_of(st.from_regex(r"KIOSK-HMAC-SHA256 [0-9a-f]{64}", fullmatch=True), _latin1, st.none()),
}


@st.composite
def _requests(draw: st.DrawFn) -> tuple[dict[str, str | None], bytes]:
    body = draw(st.binary(max_size=32))
    fields: dict[str, str | None] = {
        "x-kiosk-id": "k-0101",
        "x-timestamp": str(draw(st.integers(1795334400 - 400, 1795334400 + 400))),
        "x-nonce": draw(st.from_regex(r"[0-9a-f]{32}", fullmatch=True)),
        "x-content-sha256": hashlib.sha256(body).hexdigest(),
        "authorization": "KIOSK-HMAC-SHA256 " + draw(st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
    }
    broken = draw(st.sets(st.sampled_from(signing.HEADERS), max_size=2))
    for name in broken:
        fields[name] = draw(_BROKEN[name])
    if "authorization" not in broken and draw(st.integers(0, 3)) > 0 and None not in [fields[n] for n in signing.HEADERS[:4]]:
        # The insider: the right MAC over whatever the other headers say (computed here, not by sign()).
        message = "\n".join(["KIOSK-HMAC-SHA256", "POST", "/api/v1/events", *(str(fields[n]) for n in signing.HEADERS[:4])])
        fields["authorization"] = "KIOSK-HMAC-SHA256 " + hmac.new(bytes.fromhex(SECRET), message.encode(),
                                                                  hashlib.sha256).hexdigest()
    return {k: v for k, v in fields.items() if v is not None}, body


@settings(max_examples=500, deadline=None, derandomize=True)
@given(request=_requests())
def test_verify_on_random_headers_only_ever_raises_signature_error(request):
    headers, body = request
    try:
        signed = signing.verify("POST", "/api/v1/events", body, headers, {"k-0101": SECRET}.get, now=1795334400)
    except signing.SignatureError as e:
        assert SECRET not in str(e)
    else:  # only what a holder of the secret signed, well-formed and in time, gets through
        assert signed.kiosk_id == "k-0101" and headers["x-content-sha256"] == hashlib.sha256(body).hexdigest()
        assert abs(signed.timestamp - 1795334400) <= signing.MAX_SKEW


def test_a_nonce_is_remembered_as_long_as_its_request_could_be_accepted(tmp_path):
    """Nonces are purged by their request's timestamp, not by when they were seen: a request
    stamped in the future (within the skew) stays refusable until it would be stale anyway."""
    db = open_database(tmp_path)
    try:
        from intake.server.kiosks import register

        register(db, KIOSK_ID, SECRET)
        clock = [1_000_000.0]
        verifier = Verifier(db, lambda: clock[0])
        headers = httpx.Headers(signing.sign("GET", "/api/v1/config", b"", KIOSK_ID, SECRET,
                                             now=clock[0] + 250, nonce=NONCE))
        verifier.check("GET", "/api/v1/config", b"", headers)  # stamped 250 s ahead: within the skew
        clock[0] += 400  # more than MAX_SKEW after it was seen, still within the skew of its stamp
        with pytest.raises(signing.SignatureError, match="replayed"):
            verifier.check("GET", "/api/v1/config", b"", headers)
        clock[0] += 200  # now stale: refused for that, and its nonce row can go
        with pytest.raises(signing.SignatureError, match="timestamp"):
            verifier.check("GET", "/api/v1/config", b"", headers)
        fresh = httpx.Headers(signing.sign("GET", "/api/v1/config", b"", KIOSK_ID, SECRET, now=clock[0]))
        verifier.check("GET", "/api/v1/config", b"", fresh)
        assert [r["nonce"] for r in db.query("SELECT nonce FROM nonces")] == [fresh["x-nonce"]]
    finally:
        db.close()


# -- the running server ---------------------------------------------------------------------------


def send(server: ServerHandle, method: str, path: str, body: bytes = b"",
         headers: dict[str, str] | None = None) -> httpx.Response:
    """One request exactly as given: no auth added, body bytes as they are."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return httpx.request(method, server.url + path, content=body, headers=all_headers, timeout=10)


def refused(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, response.text
    problem = response.json()
    assert set(problem) == {"title", "detail"}
    assert reason in problem["detail"], problem
    assert response.headers["www-authenticate"] == signing.SCHEME


def test_a_correctly_signed_request_succeeds(server, secret):
    headers = signing.sign("POST", "/api/v1/heartbeat", BEAT_BODY, KIOSK_ID, secret)
    response = send(server, "POST", "/api/v1/heartbeat", BEAT_BODY, headers)
    assert response.status_code == 200, response.text
    assert abs(response.json()["server_time"] - time.time()) < 5


def test_the_query_string_is_signed_as_sent(server, secret):
    path = f"/api/v1/materials/{'0' * 64}?offset=0"
    response = send(server, "PATCH", path, b"abc", signing.sign("PATCH", path, b"abc", KIOSK_ID, secret))
    assert response.status_code == 404  # past the signature check: no such upload
    other = f"/api/v1/materials/{'0' * 64}?offset=1"
    refused(send(server, "PATCH", other, b"abc", signing.sign("PATCH", path, b"abc", KIOSK_ID, secret)),
            "bad signature")


def test_health_needs_no_signature(server):
    response = httpx.get(server.url + "/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_unsigned_request_is_refused(server, secret):
    refused(send(server, "POST", "/api/v1/heartbeat", BEAT_BODY), "missing x-kiosk-id")
    refused(send(server, "GET", "/api/v1/config"), "missing")


def test_an_unsigned_malformed_body_learns_nothing_but_401(server, secret):
    refused(send(server, "POST", "/api/v1/tickets", b"{not json"), "missing")


def test_signature_with_another_secret_is_refused(server, secret):
    headers = signing.sign("POST", "/api/v1/heartbeat", BEAT_BODY, KIOSK_ID, signing.new_secret())
    refused(send(server, "POST", "/api/v1/heartbeat", BEAT_BODY, headers), "bad signature")


def test_altered_body_is_refused(server, secret):
    headers = signing.sign("POST", "/api/v1/heartbeat", BEAT_BODY, KIOSK_ID, secret)
    altered = json.dumps({**BEAT, "outbox_pending": 9}).encode()
    refused(send(server, "POST", "/api/v1/heartbeat", altered, headers), "body does not match its digest")
    # … also when the digest header is recomputed for the new body: the MAC covers the digest
    headers["X-Content-SHA256"] = hashlib.sha256(altered).hexdigest()
    refused(send(server, "POST", "/api/v1/heartbeat", altered, headers), "bad signature")


def test_altered_path_is_refused(server, secret):
    body = json.dumps({"events": [{"key": "e1", "seq": 1, "type": "x", "event_class": "telemetry",
                                   "time": 1}]}).encode()
    headers = signing.sign("POST", "/api/v1/heartbeat", body, KIOSK_ID, secret)
    refused(send(server, "POST", "/api/v1/events", body, headers), "bad signature")


def test_altered_method_is_refused(server, secret):
    path = f"/api/v1/materials/{'0' * 64}"
    refused(send(server, "POST", path + "/complete", b"", signing.sign("GET", path + "/complete", b"", KIOSK_ID, secret)),
            "bad signature")


@pytest.mark.parametrize("offset", [-1000, +1000], ids=["stale", "future"])
def test_timestamp_outside_the_skew_is_refused(server, secret, offset):
    headers = signing.sign("GET", "/api/v1/config", b"", KIOSK_ID, secret, now=time.time() + offset)
    refused(send(server, "GET", "/api/v1/config", headers=headers), f"more than {signing.MAX_SKEW} s")


def test_replayed_request_is_refused(server, secret):
    headers = signing.sign("POST", "/api/v1/heartbeat", BEAT_BODY, KIOSK_ID, secret)
    assert send(server, "POST", "/api/v1/heartbeat", BEAT_BODY, headers).status_code == 200
    refused(send(server, "POST", "/api/v1/heartbeat", BEAT_BODY, headers), "nonce already used")


def test_unknown_kiosk_is_refused(server, secret):
    headers = signing.sign("GET", "/api/v1/config", b"", "k-9999", secret)
    refused(send(server, "GET", "/api/v1/config", headers=headers), "unknown kiosk")


def test_malformed_header_values_are_refused_not_crashed_on(server, secret):
    """Header values arrive as latin-1: '²' is str.isdigit() but not int()-able, and a non-ASCII
    digest would make hmac.compare_digest raise TypeError (both were 500s)."""
    base = signing.sign("GET", "/api/v1/config", b"", KIOSK_ID, secret)
    for name, value, reason in [("X-Timestamp", "\xb2", "bad timestamp"),
                                ("X-Content-SHA256", "\xe9" * 64, "x-content-sha256"),
                                ("Authorization", "Bearer x", "authorization must be"),
                                ("X-Nonce", "NOT-HEX", "nonce")]:
        headers = {k: v.encode("latin-1") for k, v in {**base, name: value}.items()}
        response = httpx.get(server.url + "/api/v1/config", headers=headers, timeout=10)
        refused(response, reason)


def test_reprovisioning_replaces_the_secret(server, secret):
    new = provision(server.data_dir, KIOSK_ID)
    assert new != secret and len(new) == 64
    old_headers = signing.sign("GET", "/api/v1/config", b"", KIOSK_ID, secret)
    refused(send(server, "GET", "/api/v1/config", headers=old_headers), "bad signature")
    ok = send(server, "GET", "/api/v1/config", headers=signing.sign("GET", "/api/v1/config", b"", KIOSK_ID, new))
    assert ok.status_code == 200


def test_refusals_never_carry_the_secret(server, secret):
    headers = signing.sign("GET", "/api/v1/config", b"", KIOSK_ID, signing.new_secret())
    response = send(server, "GET", "/api/v1/config", headers=headers)
    assert response.status_code == 401
    assert secret not in response.text


def test_provision_rejects_ids_and_secrets_the_contract_cannot_carry(tmp_path):
    with pytest.raises(ValueError):
        provision(tmp_path, "has space")
    with pytest.raises(ValueError):
        provision(tmp_path, "k-1", secret="NOT-HEX")
    assert provision(tmp_path, "k-1", secret="ab" * 32) == "ab" * 32
