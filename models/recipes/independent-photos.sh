#!/usr/bin/env bash
# independent-photos.sh: the reserved photos for independent evaluation of the
# styles: sample photos that image-processing libraries ship in Debian 12
# (scikit-image's data folder, OpenCV's example data). They hold what the
# training photos lack most (a face, a footballer, a cat, a squirrel, a
# baboon, coffee, fruit, sweets, a motorbike, streets, a building, a rocket at
# night, plants), and comicgan never trains or tunes on them: they are only
# read by `comicgan eval` to report figures in the model cards, and neither
# they nor pictures made from them are committed.
#
#   models/recipes/independent-photos.sh [OUT]    (default: <repo>/data/independent)
#
# Each photo is written as OUT/NAME.png, longest side at most 512 px (Lanczos,
# never enlarged), sRGB 8-bit. The .debs are fetched with `apt-get download`
# into COMICGAN_DEB_CACHE (default <repo>/data/debs) and never installed.
# Needs apt-get, dpkg-deb and ImageMagick's convert.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:-$root/data/independent}
debs=${COMICGAN_DEB_CACHE:-$root/data/debs}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# package  path-inside-the-package  output-name
photos="
python3-skimage usr/lib/python3/dist-packages/skimage/data/astronaut.png astronaut
python3-skimage usr/lib/python3/dist-packages/skimage/data/chelsea.png chelsea
python3-skimage usr/lib/python3/dist-packages/skimage/data/coffee.png coffee
python3-skimage usr/lib/python3/dist-packages/skimage/data/motorcycle_left.png motorcycle
python3-skimage usr/lib/python3/dist-packages/skimage/data/rocket.jpg rocket
opencv-doc usr/share/doc/opencv-doc/examples/data/baboon.jpg baboon
opencv-doc usr/share/doc/opencv-doc/examples/data/fruits.jpg fruits
opencv-doc usr/share/doc/opencv-doc/examples/data/messi5.jpg football
opencv-doc usr/share/doc/opencv-doc/examples/data/building.jpg building
opencv-doc usr/share/doc/opencv-doc/examples/data/home.jpg home
opencv-doc usr/share/doc/opencv-doc/examples/data/orange.jpg orange
opencv-doc usr/share/doc/opencv-doc/examples/data/squirrel_cls.jpg squirrel
opencv-doc usr/share/doc/opencv-doc/examples/data/butterfly.jpg butterfly
opencv-doc usr/share/doc/opencv-doc/examples/data/smarties.png smarties
opencv-doc usr/share/doc/opencv-doc/examples/data/leuvenA.jpg street
opencv-doc usr/share/doc/opencv-doc/examples/alphamat/input_images/plant.jpg plant
"

mkdir -p "$debs" "$out"
for pkg in $(echo "$photos" | awk 'NF {print $1}' | sort -u); do
    if ! ls "$debs/${pkg}"_*.deb >/dev/null 2>&1; then
        (cd "$debs" && apt-get download "$pkg" >/dev/null) || { echo "independent-photos.sh: cannot download $pkg" >&2; exit 1; }
    fi
    dpkg-deb -x "$(ls "$debs/${pkg}"_*.deb | tail -n 1)" "$work/$pkg"
done
echo "$photos" | while read -r pkg path name; do
    [[ -n $pkg ]] || continue
    src=$work/$pkg/$path
    [[ -f $src ]] || { echo "independent-photos.sh: $pkg has no $path" >&2; exit 1; }
    convert "$src" -auto-orient -colorspace sRGB -alpha off -resize '512x512>' -depth 8 -strip "$out/$name.png"
done
echo "independent-photos.sh: $(ls "$out" | wc -l) photos in $out"
