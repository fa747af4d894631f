"""`python -m app`: the command line, or the desktop app when no command is given."""

from __future__ import annotations

import sys

from app.main import main

if __name__ == "__main__":
    sys.exit(main())
