#!/usr/bin/env bash
# Set up everything the app and its tests need on a Debian/Ubuntu machine (or any machine
# with Python 3.11 when not root): system packages (as root), then a virtualenv in .venv
# with the pinned versions of constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(
  python3-venv            # virtualenv for the app
  softhsm2                # a real PKCS#11 module for the signing tests
  postgresql              # the hub's tests start their own throwaway cluster (initdb + pg_ctl)
  poppler-utils           # pdftoppm/pdffonts/pdftotext: look at and check rendered PDFs
  xvfb                    # a virtual screen for screenshots of real windows
  binutils                # objdump/strip: PyInstaller reads and strips binaries for the bundle
  libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3  # Qt's runtime
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
  libxcb-randr0 libxcb-render-util0 libxcb-image0
)

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade "pip>=24"
.venv/bin/python -m pip install -q -c constraints.txt -e ".[dev]"
