#!/bin/sh
# The Krita plug-in in the real Krita (TAP): kritarunner, on Qt's offscreen
# platform (no display needed), runs krita_e2e.py, which drives the plug-in's
# dialog and layer code against comicgan-bridge and compares the new layers
# with the comicgan command's output for the same input.
# Environment (set by meson): BRIDGE, TESTTOOL, COMICGAN (optional),
# COMICGAN_MODEL_PATH, KRITA_REFERENCE_MODELS, PYKRITA, KRITA_TEST_SCRIPTS; KRITA_E2E_SHOT (optional):
# save a picture of the dialog there.
set -u

if ! command -v kritarunner >/dev/null 2>&1; then
    echo "1..0 # SKIP kritarunner is not installed (Debian: apt-get install krita python3-pyqt5)"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$KRITA_TEST_SCRIPTS/prepare-inputs.sh" "$tmp" || exit 1

export HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_RUNTIME_DIR="$tmp/run"
mkdir -p "$HOME" "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
export QT_QPA_PLATFORM=offscreen PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH="$KRITA_TEST_SCRIPTS:$PYKRITA${PYTHONPATH:+:$PYTHONPATH}"
export COMICGAN_BRIDGE="$BRIDGE" KRITA_E2E_DIR="$tmp" KRITA_E2E_TAP="$tmp/e2e.tap"
timeout 500 kritarunner -s krita_e2e -f main >"$tmp/kritarunner.log" 2>&1
status=$?
if [ ! -s "$tmp/e2e.tap" ] || ! grep -q '^1\.\.' "$tmp/e2e.tap"; then
    echo "not ok 1 - kritarunner ran the test script (status $status)"
    sed 's/^/# /' "$tmp/kritarunner.log" | grep -v "krita.lib.resources" | tail -40
    echo "1..1"
    exit 1
fi
cat "$tmp/e2e.tap"
! grep -q '^not ok' "$tmp/e2e.tap"
