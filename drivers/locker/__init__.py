"""Locker lock-control boards (锁控板) on RS-485, sans-IO: Family A "8A / 80" BCC boards
(`bcc8a`) and Kerong KR-CU12/CU16 (`kerong`), sharing the typed results in `types`."""
