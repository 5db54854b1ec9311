#!/usr/bin/env bash
# compare-style.sh NAME: what a model card shows beside its own figures: the style
# next to the alternatives an artist would weigh, on photos it never trained on.
#
#   models/recipes/compare-style.sh NAME      (after train-style.sh NAME has exported it)
#
# Alternatives: the previous shipped model (models/NAME.safetensors as committed in git
# HEAD, when it differs from the new file), the engine's teacher filter when the style
# learnt from one, and G'MIC's cartoon filter (Debian's gmic). Writes:
#   models/cards/NAME-quality.json   `comicgan eval` of every alternative on the run's
#                                    validation photos (all of them)
#   models/cards/NAME-compare.jpg    six of those photos: input | NAME | previous |
#                                    teacher | G'MIC cartoon
#   models/cards/NAME-independent.json   the same figures on the reserved independent
#                                    photos (data/independent, from independent-photos.sh),
#                                    when that folder exists: numbers only, no pictures
# A model with several styles (multistyle) is compared style by style: its sheet has a
# column for each of its styles and each of the previous model's, and the previous
# model's own figures go to NAME-previous-quality.json and NAME-previous-independent.json.
# Settings: COMICGAN (the comicgan binary of a build tree, whose tests/filters/render-filters
# draws the teacher; for a binary elsewhere, <repo>/build's), COMICGAN_RUNS (default <repo>/data/runs).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
name=${1:?usage: compare-style.sh NAME}
comicgan=${COMICGAN:-$root/build/cli/comicgan}
render_filters=$(dirname "$(dirname "$comicgan")")/tests/filters/render-filters
# A comicgan copied out of its build tree (a long run's own copy): the source tree's build draws the teacher.
[[ -x $render_filters ]] || render_filters=$root/build/tests/filters/render-filters
run=${COMICGAN_RUNS:-$root/data/runs}/$name
model=$root/models/$name.safetensors
cards=$root/models/cards
[[ -f $model && -f $run/split.json ]] || { echo "compare-style.sh: needs $model and the run $run" >&2; exit 2; }
command -v gmic >/dev/null || { echo "compare-style.sh: needs gmic (apt-get install gmic)" >&2; exit 2; }
[[ -x $render_filters ]] || { echo "compare-style.sh: needs the build's tests/filters/render-filters" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/val"
python3 - "$run/split.json" "$work/val" <<'PY'
import json, os, sys
split = json.load(open(sys.argv[1]))["sources"]
src = split.get("photos") or next(iter(split.values()))
for f in src["val"]:
    os.symlink(os.path.join(src["folder"], f), os.path.join(sys.argv[2], f))
PY

styles_of() { # model: its styles that are not the identity
    "$comicgan" info --json "$1" | python3 -c 'import json,sys; print(" ".join(s["name"] for s in json.load(sys.stdin)["styles"] if s["mode"] != "identity"))'
}
# The model's first style that is not the identity: the one compared.
styles=$(styles_of "$model")
style=${styles%% *}
teacher=$(sed -n 's/^target_filter *= *\(manga\|cel\|painted\|anime\)$/\1/p' "$run/config.ini")
previous=$work/previous.safetensors
if ! git -C "$root" show "HEAD:models/$name.safetensors" > "$previous" 2>/dev/null || cmp -s "$previous" "$model"; then
    previous=""
fi
several=""
if [[ $styles == *" "* ]]; then
    several=1
    previous_styles=${previous:+$(styles_of "$previous")}
fi

# Alternatives made as files, so one eval scores them all with the same code.
render() { # folder-of-photos out-folder
    mkdir -p "$2/gmic" "$2/teacher" "$2/previous"
    for f in "$1"/*; do
        b=$(basename "${f%.*}")
        gmic "$f" -cartoon 3,200,20,0.25,1.5,8 -o "$2/gmic/$b.png" >/dev/null 2>&1
    done
    if [[ -n $previous ]]; then
        "$comicgan" stylize -m "$previous" -s "$style" -o "$2/previous" -f png "$1"/* >/dev/null
    fi
}
score() { # folder-of-photos alternatives-folder json
    local args=(--outputs "$2/gmic")
    [[ -n $teacher ]] && args+=(--filter "$teacher")
    [[ -n $previous ]] && args+=(--outputs "$2/previous")
    "$comicgan" eval "$model" "$1" "${args[@]}" -o "$3.tmp"
    sed "s#\"$work/#\"#g; s#\"$root/#\"#g" "$3.tmp" > "$3" && rm -f "$3.tmp"
    if [[ -n $several && -n $previous ]]; then
        local mine=${3%.json}
        "$comicgan" eval "$previous" "$1" -o "$3.tmp"
        sed "s#\"$work/#\"#g; s#\"$root/#\"#g" "$3.tmp" > "${mine%-*}-previous-${mine##*-}.json" && rm -f "$3.tmp"
    fi
}

mkdir -p "$work/teacher"
render "$work/val" "$work/alt"
score "$work/val" "$work/alt" "$cards/$name-quality.json"

# The sheet: six validation photos spread over the set, one row each.
tiles=()
for f in $(ls "$work/val" | awk -v n="$(ls "$work/val" | wc -l)" 'NR % int((n + 5) / 6) == 1' | head -n 6); do
    b=${f%.*}
    if [[ -n $several ]]; then
        # input | every style of this model | every style of the previous one | G'MIC cartoon
        tiles+=("$work/val/$f")
        for s in $styles; do
            "$comicgan" stylize -m "$model" -s "$s" "$work/val/$f" "$work/$b-new-$s.png" >/dev/null
            tiles+=("$work/$b-new-$s.png")
        done
        for s in ${previous_styles:-}; do
            "$comicgan" stylize -m "$previous" -s "$s" "$work/val/$f" "$work/$b-previous-$s.png" >/dev/null
            tiles+=("$work/$b-previous-$s.png")
        done
        tiles+=("$work/alt/gmic/$b.png")
        continue
    fi
    "$comicgan" stylize -m "$model" -s "$style" "$work/val/$f" "$work/$b-new.png" >/dev/null
    tiles+=("$work/val/$f" "$work/$b-new.png")
    [[ -n $previous ]] && tiles+=("$work/alt/previous/$b.png")
    if [[ -n $teacher ]]; then
        # the test tree's renderer draws every filter with its defaults, the teacher among them
        "$render_filters" --size 512 "$work/teacher" "$work/val/$f" >/dev/null
        tiles+=("$work/teacher/$b-$teacher.png")
    fi
    tiles+=("$work/alt/gmic/$b.png")
done
columns=$((2 + ${previous:+1} + ${teacher:+1} + 1))
[[ -n $several ]] && columns=$((2 + $(wc -w <<< "$styles ${previous_styles:-}")))
montage "${tiles[@]}" -tile "${columns}x" -geometry 300x+2+2 -background white -quality 85 "$cards/$name-compare.jpg"

if [[ -d $root/data/independent ]]; then
    render "$root/data/independent" "$work/ind"
    score "$root/data/independent" "$work/ind" "$cards/$name-independent.json"
fi
echo "compare-style.sh: $cards/$name-quality.json, $name-compare.jpg${previous:+ (against the committed model)}"
