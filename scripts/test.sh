#!/usr/bin/env bash
# Install everything, then run every test. Extra arguments go to pytest.
# Two processes by default (HOCBA_TEST_WORKERS=0 runs in this one process): each test file
# stays on one process, the SoftHSM files all on the same one (tests/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
workers="${HOCBA_TEST_WORKERS:-2}"
if [ "$workers" = "0" ]; then
  exec .venv/bin/python -m pytest "$@"
fi
exec .venv/bin/python -m pytest -n "$workers" --dist loadgroup "$@"
