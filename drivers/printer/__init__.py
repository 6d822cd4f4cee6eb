"""ESC/POS ticket printers (Chinese thermal printers: GBK/GB18030 text, native QR, real-time status)."""
