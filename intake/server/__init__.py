"""The reference window intake backend: implements intake/contract.py over SQLite and files.

``create_app`` builds the FastAPI app; ``run_in_thread`` and ``serve`` run it; ``provision``
registers a kiosk and returns its signing secret. Reference, not production: one process, one
SQLite connection, demo appointments and locker cases (``seed_demo``).
"""

from intake.server.app import create_app, openapi_document
from intake.server.demo import seed_demo
from intake.server.kiosks import provision
from intake.server.runner import ServerHandle, run_in_thread, serve

__all__ = ["ServerHandle", "create_app", "openapi_document", "provision", "run_in_thread", "seed_demo", "serve"]
