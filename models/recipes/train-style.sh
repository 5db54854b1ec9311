#!/usr/bin/env bash
# train-style.sh: trains one of comicgan's shipped styles from scratch, or goes on
# where an interrupted run stopped, and writes everything its model card shows.
#
#   models/recipes/train-style.sh NAME        NAME: a config in models/recipes/styles/
#
# Steps, each skipped when its result is already there:
#   1. the datasets (build-datasets.sh) when data/datasets lacks one;
#   2. the training run in data/runs/NAME (resumed exactly when a checkpoint exists,
#      skipped when its log reached the last step;
#      resuming needs the same CG_NUM_THREADS as the start);
#   3. the model file models/NAME.safetensors (comicgan export, with the recipe's
#      [export] settings);
#   4. the card's figures in models/cards/: NAME-loss.png (comicgan plot),
#      NAME-contact.jpg (validation photos: input | output | attention) and
#      NAME-eval.json (comicgan eval on the run's test split), and the inference
#      time of the model on a 1024x1024 photo (data/runs/NAME/speed.txt).
#      A reference model (mode = reference) gets instead NAME-fidelity.json (comicgan
#      eval --references on 6 independent photos x 6 held-out references), a photo x
#      reference NAME-contact.jpg and the bench figures in data/runs/NAME/speed.txt.
#   5. the comparison (compare-style.sh): NAME-quality.json and NAME-compare.jpg, the
#      style beside the previous committed model, its teacher and G'MIC's cartoon
#      filter on the validation photos, and NAME-independent.json on the reserved
#      independent photos when data/independent exists (independent-photos.sh).
#
# Settings (environment):
#   COMICGAN            the comicgan program   (default: build/cli/comicgan, else PATH)
#   COMICGAN_DATASETS   dataset root           (default: <repo>/data/datasets)
#   COMICGAN_RUNS       where runs are written (default: <repo>/data/runs)
#   CG_NUM_THREADS      threads of the engine  (default: every core)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
name=${1:?usage: train-style.sh NAME (one of: $(cd "$here/styles" && ls *.ini | sed 's/\.ini$//' | tr '\n' ' '))}
config=$here/styles/$name.ini
[[ -f $config ]] || { echo "train-style.sh: no recipe $config" >&2; exit 2; }

comicgan=${COMICGAN:-}
if [[ -z $comicgan ]]; then
    if [[ -x $root/build/cli/comicgan ]]; then comicgan=$root/build/cli/comicgan
    else comicgan=$(command -v comicgan) || { echo "train-style.sh: build comicgan first (meson setup build && ninja -C build)" >&2; exit 2; }
    fi
fi
datasets=${COMICGAN_DATASETS:-$root/data/datasets}
run=${COMICGAN_RUNS:-$root/data/runs}/$name
cards=$root/models/cards
mkdir -p "$cards" "$(dirname "$run")"

# The configs name their data relative to themselves, as data/datasets/... and
# data/targets/...; a dataset root elsewhere is reached through a copy of the
# config with those paths made absolute.
if [[ $datasets != "$root/data/datasets" ]]; then
    sed -e "s#\.\./\.\./\.\./data/datasets#$datasets#g" -e "s#\.\./\.\./\.\./data/targets#$root/data/targets#g" \
        "$config" > "$run.ini"
    config=$run.ini
fi

for d in $(grep -o 'data/datasets/[a-z]*' "$here/styles/$name.ini" | sort -u | cut -d/ -f3); do
    [[ -f $datasets/$d/manifest.sha256 ]] || DATASETS=$d "$here/build-datasets.sh" "$datasets"
done

# Targets made by another shipped style (data/targets/STYLE): that style's model
# on every photo, written whole into a folder renamed into place when done.
for t in $(grep -o 'data/targets/[a-z0-9_-]*' "$here/styles/$name.ini" | sort -u | cut -d/ -f3); do
    out=$root/data/targets/$t
    [[ -d $out ]] && continue
    [[ -f $root/models/$t.safetensors ]] || { echo "train-style.sh: $name needs models/$t.safetensors: run train-style.sh $t first" >&2; exit 2; }
    rm -rf "$out.part" && mkdir -p "$out.part"
    "$comicgan" stylize -m "$root/models/$t.safetensors" -o "$out.part" "$datasets"/photos/images/*
    mv "$out.part" "$out"
done

# A finished run (its log's last step is the config's last) is not resumed:
# resuming would load and render every dataset only to stop at once.
finished() {
    python3 - "$run" <<'PY'
import json, re, sys
run = sys.argv[1]
steps = re.search(r"^steps=(\d+)$", open(run + "/config.ini").read(), re.M)
last = None
for line in open(run + "/log.jsonl"):
    if line.strip():
        last = json.loads(line).get("step", last)
sys.exit(0 if steps and last == int(steps.group(1)) else 1)
PY
}
if [[ -f $run/checkpoint.safetensors ]] && finished; then
    echo "train-style.sh: $run is finished"
elif [[ -f $run/checkpoint.safetensors ]]; then
    "$comicgan" train --resume "$run"
else
    "$comicgan" train "$config" --run "$run"
fi

"$comicgan" plot "$run" -o "$cards/$name-loss.png"
# The recipe's [export] group (post_smooth: the model smooths its output that
# many times, instead of as often as the losses saw in training).
"$comicgan" export "$run" --recipe "$config" -o "$root/models/$name.safetensors.tmp"
mv "$root/models/$name.safetensors.tmp" "$root/models/$name.safetensors"
model=$root/models/$name.safetensors
if grep -qE '^mode *= *reference' "$config"; then
    # A reference model has no fixed style: its card shows the fidelity matrix
    # and a photo x reference sheet, on photos and references it never trained
    # on: the matrix on the reserved independent photos (else the run's test
    # photos), the sheet on the run's test photos (the reserved ones are not
    # shown in the project's files); the first two test pictures of each
    # reference folder.
    fid=$run/fidelity
    rm -rf "$fid" && mkdir -p "$fid/photos" "$fid/refs" "$fid/sheet"
    python3 - "$run/split.json" "$root/data/independent" "$fid" <<'PY'
import json, os, sys
split = json.load(open(sys.argv[1]))["sources"]
independent, fid = sys.argv[2], sys.argv[3]
test = [os.path.join(split["photos"]["folder"], f) for f in split["photos"]["test"][:6]]
if os.path.isdir(independent):
    photos = [os.path.join(independent, f) for f in sorted(os.listdir(independent))[:6]]
else:
    photos = test
refs = []
for label in sorted(k for k in split if k.startswith("references.")):
    refs += [os.path.join(split[label]["folder"], f) for f in split[label]["test"][:2]]
for kind, files in (("photos", photos), ("refs", refs[:6]), ("sheet", test)):
    for f in files:
        os.symlink(f, os.path.join(fid, kind, os.path.basename(f)))
PY
    "$comicgan" eval "$model" "$fid/photos" --references "$fid/refs" -o "$cards/$name-fidelity.json"
    sed -i "s#\"$run/#\"#g; s#\"$root/#\"#g" "$cards/$name-fidelity.json"
    tiles=(null:)
    for ref in "$fid"/refs/*; do tiles+=("$ref"); done
    rows=1
    for photo in "$fid"/sheet/*; do
        rows=$((rows + 1))
        tiles+=("$photo")
        for ref in "$fid"/refs/*; do
            out=$fid/$(basename "${photo%.*}")-$(basename "${ref%.*}").png
            "$comicgan" stylize -m "$model" --reference "$ref" "$photo" "$out"
            tiles+=("$out")
        done
    done
    montage "${tiles[@]}" -tile "$(( ${#tiles[@]} / rows ))x" -geometry 240x240+2+2 -background white -quality 85 \
        "$cards/$name-contact.jpg"
    "$comicgan" bench --quick -m "$model" --baseline "$root/models/painted.safetensors" > "$run/speed.txt"
    echo "train-style.sh: $model, figures in $cards/"
    exit 0
fi

"$comicgan" eval "$model" "$run" -o "$cards/$name-eval.json"
# paths relative to the source tree, runs under data/runs wherever they were
sed -i "s#\"$(dirname "$run")/#\"data/runs/#g; s#\"$root/#\"#g" "$cards/$name-eval.json"

# Contact sheet: the first validation photos at their dataset size (longest side
# 512), each style of the model in turn, with the attention map when it has one.
work=$run/contact
rm -rf "$work" && mkdir -p "$work"
photos=$(python3 - "$run/split.json" <<'PY'
import json, os, sys
split = json.load(open(sys.argv[1]))["sources"]
src = split.get("photos") or next(iter(split.values()))
for f in (src["val"] + src.get("test", []))[:6]:
    print(os.path.join(src["folder"], f))
PY
)
styles=$("$comicgan" info --json "$model" | python3 -c 'import json,sys; print(" ".join(s["name"] for s in json.load(sys.stdin)["styles"] if s["name"] != "identity"))')
tiles=()
i=0
for photo in $photos; do
    i=$((i + 1))
    tiles+=("$photo")
    for s in $styles; do
        "$comicgan" stylize -m "$model" -s "$s" "$photo" "$work/$i-$s.png"
        tiles+=("$work/$i-$s.png")
    done
    if "$comicgan" attention -m "$model" --overlay "$photo" "$work/$i-attention.png" 2>/dev/null; then
        tiles+=("$work/$i-attention.png")
    fi
done
columns=$(( ${#tiles[@]} / i ))
montage "${tiles[@]}" -tile "${columns}x" -geometry 360x+2+2 -background white -quality 85 "$cards/$name-contact.jpg"

# Inference time on a 1024x1024 photo, the median of three runs.
python3 - "$comicgan" "$model" "$root/models/samples/valley3.jpg" "$run/speed.txt" <<'PY'
import statistics, subprocess, sys, time, tempfile, os
comicgan, model, photo, out = sys.argv[1:]
with tempfile.TemporaryDirectory() as tmp:
    big = os.path.join(tmp, "in.png")
    subprocess.run(["convert", photo, "-resize", "1024x1024^", "-gravity", "center", "-extent", "1024x1024", big], check=True)
    times = []
    for _ in range(3):
        t = time.monotonic()
        subprocess.run([comicgan, "stylize", "-m", model, big, os.path.join(tmp, "out.png")], check=True)
        times.append(time.monotonic() - t)
line = "1024x1024 stylize (whole command, PNG in and out): median %.2f s of %s\n" % (
    statistics.median(times), " ".join("%.2f" % t for t in times))
open(out, "w").write(line)
print(line, end="")
PY
COMICGAN=$comicgan COMICGAN_RUNS=$(dirname "$run") "$here/compare-style.sh" "$name"
echo "train-style.sh: $model, figures in $cards/"
