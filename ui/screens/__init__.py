"""The citizen screens. Each module loads its kv rules once per process (kivy-notes §5)."""
