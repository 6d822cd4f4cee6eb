"""Technician diagnostics (issue 9): health checks over all devices, live byte traces, the
redacted diagnostics bundle. Typed results only; `kiosk diag health|trace|bundle` and the
technician screens format them."""
