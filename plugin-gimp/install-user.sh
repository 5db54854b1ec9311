#!/bin/sh
# Installs the built GIMP plug-in for the current user, without root:
#   plugin-gimp/install-user.sh [--gimp-dir DIR] [--uninstall] [BUILD_DIR]
# (--uninstall removes the program and the copies of the shipped model files;
# other model files in the model folder are kept)
# BUILD_DIR is the meson build folder (default: build). It puts
#   the program        DIR/plug-ins/comicgan/comicgan
#   translations       DIR/plug-ins/comicgan/locale/LANG/LC_MESSAGES/comicgan.mo
#   model files        $XDG_DATA_HOME/comicgan/models/ (~/.local/share/...)
# where DIR is GIMP's user folder: $GIMP2_DIRECTORY if set, else
# ~/.config/GIMP/2.10 (the Flatpak GIMP's is ~/.var/app/org.gimp.GIMP/config/GIMP/2.10).
# The plug-in finds models as the comicgan command does: COMICGAN_MODEL_PATH,
# then $XDG_DATA_HOME/comicgan/models, then the installed model folder.
# Restart GIMP afterwards; the menu entry is Filters > Artistic > Comic Style.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(dirname "$here")
gimp_dir=${GIMP2_DIRECTORY:-${XDG_CONFIG_HOME:-$HOME/.config}/GIMP/2.10}
build=
uninstall=0
while [ $# -gt 0 ]; do
    case $1 in
    --gimp-dir) gimp_dir=$2; shift 2 ;;
    --uninstall) uninstall=1; shift ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "install-user.sh: unknown option $1" >&2; exit 2 ;;
    *) build=$1; shift ;;
    esac
done
build=${build:-$source_dir/build}
target="$gimp_dir/plug-ins/comicgan"

models="${XDG_DATA_HOME:-$HOME/.local/share}/comicgan/models"
if [ $uninstall -eq 1 ]; then
    rm -rf "$target"
    echo "Removed $target."
    # The shipped models this script copied: left behind, they would come first
    # in the model search and hide newer ones installed for every user. Model
    # files of other names (the user's own) are kept.
    for model in "$source_dir"/models/*.safetensors; do
        [ -f "$model" ] || continue
        copy="$models/$(basename "$model")"
        [ -f "$copy" ] && rm -f "$copy" && echo "Removed $copy."
    done
    exit 0
fi

program="$build/plugin-gimp/comicgan"
if [ ! -x "$program" ]; then
    echo "install-user.sh: $program is missing; build first (meson setup $build && ninja -C $build)" >&2
    exit 1
fi

# GIMP may be running the old copy: write beside it, then rename over it.
mkdir -p "$target"
cp "$program" "$target/.comicgan.new"
chmod 755 "$target/.comicgan.new"
mv -f "$target/.comicgan.new" "$target/comicgan"
echo "Installed $target/comicgan"

for mo in "$build"/po/*/LC_MESSAGES/comicgan.mo; do
    [ -f "$mo" ] || continue
    lang=$(basename "$(dirname "$(dirname "$mo")")")
    mkdir -p "$target/locale/$lang/LC_MESSAGES"
    cp "$mo" "$target/locale/$lang/LC_MESSAGES/comicgan.mo"
done
[ -d "$target/locale" ] && echo "Installed translations: $(ls "$target/locale" | tr '\n' ' ')"

copied=0
for model in "$source_dir"/models/*.safetensors "$build"/models/*.safetensors; do
    [ -f "$model" ] || continue
    mkdir -p "$models"
    cp "$model" "$models/"
    copied=$((copied + 1))
done
if [ $copied -gt 0 ]; then
    echo "Installed $copied model file(s) into $models"
else
    echo "No model files to copy; put *.safetensors models into $models or set COMICGAN_MODEL_PATH."
fi
