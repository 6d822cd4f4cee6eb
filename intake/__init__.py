"""The window intake backend: the contract with the kiosk, request signing, and the reference server."""
