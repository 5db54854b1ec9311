#!/usr/bin/env bash
# comicgan's quick start, on Debian 12: installs the packages it needs, builds,
# installs (the engine, the comicgan command, the Krita bridge, the models and
# the GIMP plug-in, for every user), puts the Krita plug-in into your profile,
# and stylizes the bundled sample photo with every shipped style.
#
#   scripts/install.sh [--prefix DIR]      (default prefix: /usr/local)
#
# Package installation needs root: run as root, or with sudo available.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
prefix=/usr/local
while [ $# -gt 0 ]; do
    case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

echo "== installing Debian packages"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -q
as_root apt-get install -y -q --no-install-recommends $(grep -v '^#' scripts/deps.txt) $(grep -v '^#' scripts/deps-apps.txt)

echo "== building"
if [ ! -f build/build.ninja ]; then
    meson setup build --prefix="$prefix" -Dbuildtype=release
else
    meson configure build --prefix="$prefix" >/dev/null
fi
ninja -C build

echo "== installing into $prefix"
as_root meson install -C build --quiet
as_root ldconfig 2>/dev/null || true

# The plug-ins go into the profile of the user who ran this (not root's, under sudo).
user=${SUDO_USER:-$(id -un)}
run_as_user() { if [ "$(id -un)" = "$user" ]; then "$@"; else sudo -u "$user" "$@"; fi; }
# meson install has put the GIMP plug-in into GIMP's own plug-in folder, for every
# user. A second copy in the user's profile (from plugin-gimp/install-user.sh, the
# way to install without root) would make every GIMP start warn "Skipping
# duplicate plug-in", so an old one is removed (its model files are kept).
# Its copies of the shipped models go too: first in the model search, they would
# hide the models just installed.
gimp_user_dir=$(run_as_user sh -c 'echo "${GIMP2_DIRECTORY:-${XDG_CONFIG_HOME:-$HOME/.config}/GIMP/2.10}"')
user_models=$(run_as_user sh -c 'echo "${XDG_DATA_HOME:-$HOME/.local/share}/comicgan/models"')
stale=no
for model in models/*.safetensors; do [ -f "$user_models/$(basename "$model")" ] && stale=yes; done
if [ -e "$gimp_user_dir/plug-ins/comicgan/comicgan" ] || [ $stale = yes ]; then
    echo "== removing the per-user GIMP plug-in copy and its model copies (the installed ones replace them)"
    run_as_user plugin-gimp/install-user.sh --gimp-dir "$gimp_user_dir" --uninstall
fi
if [ -x plugin-krita-bridge/install-pykrita.sh ]; then
    echo "== Krita plug-in for $user"
    run_as_user plugin-krita-bridge/install-pykrita.sh "$prefix"
fi

echo "== stylizing the sample"
mkdir -p out
sample=models/samples/valley3.jpg
info=$("$prefix/bin/comicgan" info --json)
styles=$(printf '%s' "$info" | python3 -c 'import json,sys; print(" ".join(s["name"] for s in json.load(sys.stdin)["styles"] if s["mode"] not in ("identity", "reference")))')
reference_styles=$(printf '%s' "$info" | python3 -c 'import json,sys; print(" ".join(s["name"] for s in json.load(sys.stdin)["styles"] if s["mode"] == "reference"))')
if [ -z "$styles" ]; then
    echo "install.sh: no style was found after installing; 'comicgan info' lists the folders searched." >&2
    exit 1
fi
for s in $styles; do
    "$prefix/bin/comicgan" stylize --style "$s" "$sample" "out/valley3-$s.png"
    echo "wrote out/valley3-$s.png"
done
# A reference style takes its look from a picture: here the other sample photo
# drawn by each shipped style in turn.
for s in $reference_styles; do
    for look in $styles; do
        [ -f "out/valley3-$look.png" ] || continue
        "$prefix/bin/comicgan" stylize --style "$s" --reference "out/valley3-$look.png" models/samples/city6.jpg \
            "out/city6-$s-like-$look.png"
        echo "wrote out/city6-$s-like-$look.png"
    done
done
