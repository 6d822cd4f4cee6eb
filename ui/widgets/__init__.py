"""Reusable widgets of the kiosk UI."""
