#!/usr/bin/env bash
# Install everything, then open the app. With no --db, it opens the database in the
# user's data folder, creating the demo school there on first start.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m app "$@"
