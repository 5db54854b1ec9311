#!/bin/sh
# The Script-Fu examples of plugin-gimp/README.md, run as written in the real
# GIMP 2.10 against the shipped models, in TAP. Each ```scheme block runs in a
# folder holding in.png (the bundled sample photo); every file it names with
# gimp-file-save must then exist, as a PNG that is not the input. Then the
# attention procedure's help must name the shipped styles' real points.
#   readme-examples.sh PLUGIN SOURCE_ROOT COMICGAN
set -u
plugin=$1 root=$2 comicgan=$3

if ! command -v gimp-console-2.10 >/dev/null 2>&1; then
    echo "1..0 # SKIP gimp-console-2.10 is not installed"
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/profile/gradients" "$work/data" "$work/run"
export GIMP2_DIRECTORY="$work/profile" XDG_DATA_HOME="$work/data" COMICGAN_MODEL_PATH="$root/models"
unset DISPLAY WAYLAND_DISPLAY
build=$(cd "$(dirname "$plugin")/.." && pwd)
"$root/plugin-gimp/install-user.sh" --gimp-dir "$work/profile" "$build" >"$work/install.log" 2>&1 ||
    { echo "Bail out! install-user.sh failed"; cat "$work/install.log"; exit 1; }
# install-user.sh copied the models; the test reads the source tree's
rm -rf "$work/data/comicgan"
"$comicgan" stylize --style identity "$root/models/samples/valley3.jpg" "$work/run/in.png" >/dev/null 2>&1 ||
    { echo "Bail out! could not make in.png"; exit 1; }

# The blocks, one file each.
awk -v dir="$work" '/^```scheme$/ { n++; inside = 1; next }
    /^```$/ { inside = 0; next }
    inside { print > (dir "/example-" n ".scm") }' "$root/plugin-gimp/README.md"
count=$(ls "$work"/example-*.scm 2>/dev/null | wc -l)
[ "$count" -gt 0 ] || { echo "Bail out! no scheme block in plugin-gimp/README.md"; exit 1; }
echo "1..$((count + 1))"
fail=0
n=0
for example in "$work"/example-*.scm; do
    n=$((n + 1))
    outputs=$(grep -o 'gimp-file-save [^"]*"[^"]*"' "$example" | sed 's/.*"\(.*\)"/\1/' | sort -u)
    (cd "$work/run" && rm -f $outputs &&
        timeout 300 gimp-console-2.10 -i -d -f -b "(begin $(cat "$example"))" -b '(gimp-quit 0)') \
        >"$work/gimp-$n.log" 2>&1
    why=
    [ -n "$outputs" ] || why="names no output file"
    for f in $outputs; do
        if [ ! -s "$work/run/$f" ]; then
            why="$why $f was not written;"
        elif cmp -s "$work/run/$f" "$work/run/in.png"; then
            why="$why $f is the input;"
        fi
    done
    if ! grep -q "batch command executed successfully" "$work/gimp-$n.log"; then
        why="$why the batch command failed;"
    fi
    if [ -z "$why" ]; then
        echo "ok $n - example $n ($(echo $outputs))"
    else
        echo "not ok $n - example $n:$why"
        sed 's/^/# /' "$example" "$work/gimp-$n.log" | tail -20
        fail=1
    fi
done

# The procedure's help names each installed style's real attention points.
n=$((n + 1))
(cd "$work/run" && timeout 300 gimp-console-2.10 -i -d -f \
    -b '(gimp-message (caddr (gimp-procedural-db-proc-arg "plug-in-comicgan-attention" 4)))' \
    -b '(gimp-quit 0)') >"$work/gimp-help.log" 2>&1
if grep -q 'painted: "cbam"' "$work/gimp-help.log" && grep -q 'manga: none' "$work/gimp-help.log"; then
    echo "ok $n - the point argument's help lists the shipped styles' attention points"
else
    echo "not ok $n - the point argument's help lists the shipped styles' attention points"
    sed 's/^/# /' "$work/gimp-help.log" | tail -5
    fail=1
fi
exit $fail
