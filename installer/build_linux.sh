#!/usr/bin/env bash
# Build the one-folder bundle on Linux with the same spec as the Windows release (used by
# CI through tests/installer/test_bundle_build.py, and by hand to try a bundle).
#
#   installer/build_linux.sh [OUT_DIR]
#
# OUT_DIR (default: build/bundle) receives dist/hocba/ (the bundle: hocba, hocba-console,
# _internal/) and work/ (PyInstaller's intermediate files). Nothing is cached between
# builds: PyInstaller's own cache lives inside OUT_DIR/work and --clean empties it.
# PYTHON selects the interpreter (default: the project's .venv, else python3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/build/bundle}" && cd "${1:-$root/build/bundle}" && pwd)
if [ -z "${PYTHON:-}" ]; then
  if [ -x "$root/.venv/bin/python" ]; then PYTHON=$root/.venv/bin/python; else PYTHON=python3; fi
fi
version=$("$PYTHON" -c 'import sys; sys.path.insert(0, sys.argv[1]); import bundle_rules; print(bundle_rules.project_version())' "$root/installer")

export PYINSTALLER_CONFIG_DIR="$out/work/pyinstaller-config"
started=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath "$out/dist" --workpath "$out/work" "$root/installer/hocba.spec"
elapsed=$(( $(date +%s) - started ))

bundle="$out/dist/hocba"
echo "Học bạ số $version: bundle $bundle"
echo "build time: ${elapsed} s; size on disk: $(du -sh "$bundle" | cut -f1)"
