"""Qt start-up check used by `selftest` (run in a child process, offscreen)."""

from __future__ import annotations

import sys


def main() -> int:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication(sys.argv[:1])
    label = QLabel("Học bạ số")
    label.resize(200, 40)
    label.show()
    app.processEvents()
    image = label.grab().toImage()
    print(f"Qt {QGuiApplication.platformName()} {image.width()}×{image.height()}")
    return 0 if image.width() > 0 else 1
