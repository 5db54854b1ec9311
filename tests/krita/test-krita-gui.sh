#!/bin/sh
# comicgan in Krita's real window (TAP): installs the plug-in with
# install-pykrita.sh into a scratch home, starts Krita under Xvfb and lets
# gui/comicgan_gui_check drive it through the actions under Tools > Scripts
# and the dialog's buttons, on U8 and U16 documents.
# Environment (set by meson): BRIDGE, TESTTOOL, COMICGAN (optional),
# COMICGAN_MODEL_PATH, KRITA_REFERENCE_MODELS, KRITA_TEST_SCRIPTS, INSTALL_PYKRITA; KRITA_GUI_SHOTS
# (optional): a folder to copy the screenshots (dialog, running, after,
# reference, reference-after) into.
set -u

for tool in krita xvfb-run xauth; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "1..0 # SKIP $tool is not installed (Debian: apt-get install krita python3-pyqt5 xvfb xauth)"
        exit 0
    fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$KRITA_TEST_SCRIPTS/prepare-inputs.sh" "$tmp" || exit 1

export HOME="$tmp/home" XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" XDG_RUNTIME_DIR="$tmp/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
export PYTHONDONTWRITEBYTECODE=1 KRITA_GUI_DIR="$tmp"
# The reference model too: the other actions do not list its style.
export COMICGAN_MODEL_PATH="$COMICGAN_MODEL_PATH:$KRITA_REFERENCE_MODELS"
unset COMICGAN_BRIDGE

n=0
check() { # STATUS NAME
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}

"$INSTALL_PYKRITA" "$BRIDGE" >"$tmp/install.log" 2>&1
check $? "install-pykrita.sh installs the plug-in"
pykrita=$XDG_DATA_HOME/krita/pykrita
[ -f "$pykrita/comicgan.desktop" ] && [ -f "$pykrita/comicgan/__init__.py" ] &&
    [ "$(cat "$pykrita/comicgan/bridge-path")" = "$BRIDGE" ]
check $? "into Krita's pykrita folder, with the bridge's path"
grep -qx 'enable_comicgan=true' "$XDG_CONFIG_HOME/kritarc"
check $? "and enables it in kritarc"

cp -R "$KRITA_TEST_SCRIPTS/gui/comicgan_gui_check" "$KRITA_TEST_SCRIPTS/gui/comicgan_gui_check.desktop" "$pykrita/"
sed -i 's/^enable_comicgan=true$/enable_comicgan=true\nenable_comicgan_gui_check=true/' "$XDG_CONFIG_HOME/kritarc"

# Krita in the background; wait for the check's plan line, then stop Krita.
xvfb-run -a -s "-screen 0 1400x900x24" sh -c '
    krita --nosplash >"$KRITA_GUI_DIR/krita.log" 2>&1 &
    pid=$!
    for i in $(seq 1 300); do
        grep -q "^1\.\." "$KRITA_GUI_DIR/gui.tap" 2>/dev/null && break
        kill -0 $pid 2>/dev/null || break
        sleep 1
    done
    kill $pid 2>/dev/null
    sleep 2
    kill -9 $pid 2>/dev/null
    wait $pid 2>/dev/null
    true'

if [ -n "${KRITA_GUI_SHOTS:-}" ]; then
    mkdir -p "$KRITA_GUI_SHOTS" && cp "$tmp"/*.png "$KRITA_GUI_SHOTS/" 2>/dev/null
fi
if [ ! -f "$tmp/gui.tap" ] || ! grep -q '^1\.\.' "$tmp/gui.tap"; then
    check 1 "Krita ran the GUI check"
    grep -v "krita.lib.resources" "$tmp/krita.log" 2>/dev/null | tail -30 | sed 's/^/# /'
    echo "1..$n"
    exit 1
fi
# Renumber the check's TAP after the install checks.
while IFS= read -r line; do
    case $line in
    "ok "*) check 0 "${line#ok [0-9]* - }" ;;
    "not ok "*) check 1 "${line#not ok [0-9]* - }" ;;
    "1.."*) ;;
    *) echo "$line" ;;
    esac
done <"$tmp/gui.tap"
echo "1..$n"
! grep -q '^not ok' "$tmp/gui.tap"
