"""The checked-in contract (intake/openapi.json) is exactly what the server generates.

If this fails after a deliberate change to intake/contract.py or intake/server/api.py,
regenerate the file and review its diff:

    kiosk intake-server --openapi > intake/openapi.json
"""

from __future__ import annotations

import json
from pathlib import Path

from intake import signing
from intake.server import create_app, openapi_document

CHECKED_IN = Path(__file__).resolve().parents[2] / "intake" / "openapi.json"


def test_checked_in_openapi_matches_the_server():
    assert CHECKED_IN.read_text(encoding="utf-8") == openapi_document(), (
        "intake/openapi.json is stale: run `kiosk intake-server --openapi > intake/openapi.json`")


def test_a_running_app_serves_the_same_document(tmp_path):
    app = create_app(tmp_path)
    try:
        assert app.openapi() == json.loads(openapi_document())
    finally:
        app.state.intake.close()


def test_document_declares_the_signature_on_every_operation_but_health():
    doc = json.loads(CHECKED_IN.read_text(encoding="utf-8"))
    schemes = doc["components"]["securitySchemes"]
    assert {s["name"].lower() for s in schemes.values()} == set(signing.HEADERS)
    assert all(s["type"] == "apiKey" and s["in"] == "header" for s in schemes.values())
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if path == "/api/v1/health":
                assert "security" not in operation and "401" not in operation["responses"]
                continue
            # one requirement object naming all five: all are needed together
            assert operation["security"] == [{name: [] for name in schemes}], (method, path)
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Problem"}
    assert not any(p.startswith("/staff") for p in doc["paths"])


def test_document_describes_the_binary_chunk_and_the_resync_body():
    patch = json.loads(CHECKED_IN.read_text(encoding="utf-8"))["paths"]["/api/v1/materials/{sha256}"]["patch"]
    assert patch["requestBody"]["content"] == {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    assert patch["responses"]["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/UploadState"}
    assert {p["name"] for p in patch["parameters"]} == {"sha256", "offset"}
