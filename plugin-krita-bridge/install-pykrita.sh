#!/bin/sh
# Installs comicgan's Krita plug-in for the current user and enables it:
#   install-pykrita.sh [BRIDGE]
# BRIDGE is the comicgan-bridge program, or the prefix it was installed under
# (PREFIX/bin/comicgan-bridge); by default the one on $PATH.
# The plug-in (pykrita/ beside this script) goes into Krita's resource folder,
# ${XDG_DATA_HOME:-~/.local/share}/krita/pykrita, with the bridge's path
# recorded beside it, and "[python] enable_comicgan=true" is set in
# ${XDG_CONFIG_HOME:-~/.config}/kritarc. Krita reads both when it starts.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$here/pykrita
bridge=${1:-}
if [ -z "$bridge" ]; then
    bridge=$(command -v comicgan-bridge || true)
elif [ -d "$bridge" ]; then
    bridge=$bridge/bin/comicgan-bridge
fi
if [ -z "$bridge" ] || [ ! -x "$bridge" ]; then
    echo "install-pykrita.sh: comicgan-bridge not found${bridge:+ at $bridge}; install comicgan first" >&2
    exit 1
fi
bridge=$(cd "$(dirname "$bridge")" && pwd)/$(basename "$bridge")
if [ ! -f "$src/comicgan.desktop" ] || [ ! -f "$src/comicgan/__init__.py" ]; then
    echo "install-pykrita.sh: the plug-in's files are missing from $src" >&2
    exit 1
fi

data=${XDG_DATA_HOME:-$HOME/.local/share}/krita/pykrita
config=${XDG_CONFIG_HOME:-$HOME/.config}
mkdir -p "$data" "$config"

# A fresh copy, so files removed from the plug-in do not linger.
rm -rf "$data/comicgan.new"
cp -R "$src/comicgan" "$data/comicgan.new"
rm -rf "$data/comicgan.new/__pycache__"
printf '%s\n' "$bridge" >"$data/comicgan.new/bridge-path"
rm -rf "$data/comicgan"
mv "$data/comicgan.new" "$data/comicgan"
cp "$src/comicgan.desktop" "$data/comicgan.desktop"

# Sets enable_comicgan=true in the [python] group, keeping everything else.
rc=$config/kritarc
[ -f "$rc" ] || : >"$rc"
awk '
    /^\[/ {
        if (in_python && !done) { print "enable_comicgan=true"; done = 1 }
        in_python = ($0 == "[python]")
        print
        next
    }
    in_python && /^enable_comicgan=/ { if (!done) { print "enable_comicgan=true"; done = 1 } next }
    { print }
    END {
        if (!done) {
            if (!in_python) { if (NR > 0) print ""; print "[python]" }
            print "enable_comicgan=true"
        }
    }' "$rc" >"$rc.comicgan-tmp"
mv "$rc.comicgan-tmp" "$rc"

echo "comicgan's Krita plug-in is installed in $data and enabled (bridge: $bridge)."
echo "Restart Krita to load it; its actions are under Tools > Scripts."
