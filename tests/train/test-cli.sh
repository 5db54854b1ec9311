#!/bin/sh
# The training subcommands end to end: train (--check, refusals, --stop-after,
# --resume, Ctrl-C), plot, export and eval, with their exit statuses.
# Usage: test-cli.sh TRAIN-TOOL COMICGAN
set -u
tool=$1 comicgan=$2
. "$(dirname "$0")/testlib.sh"
"$tool" data "$dir" || exit 1
cat >"$dir/run.ini" <<INI
[run]
mode = pix2pix
steps = 6
batch = 2
size = 16
samples = 2
log_every = 1
sample_every = 3
[data]
photos = photos
target_filter = cel
[generator]
width = 4
downsamples = 1
blocks = 1
[discriminator]
width = 4
layers = 2
INI
export CG_NUM_THREADS=2

expect_status 0 "--check" "$comicgan" train --check "$dir/run.ini"
grep -q "^mode=pix2pix" "$dir/out" || fail "--check does not print the mode"
grep -q "^photos=$dir/photos" "$dir/out" || fail "--check does not resolve paths from the config's folder"

printf '[loss]\nlamda = 1\n' >"$dir/bad.ini"
expect_status 1 "unknown key" "$comicgan" train "$dir/bad.ini"
grep -q "lamda: unknown key" "$dir/err" || fail "no message naming the unknown key"
expect_status 2 "two configs" "$comicgan" train "$dir/run.ini" "$dir/run.ini"

expect_status 0 "stop after 2" "$comicgan" train "$dir/run.ini" --run "$dir/r" --stop-after 2
[ -f "$dir/r/checkpoint.safetensors" ] || fail "no checkpoint after --stop-after"
expect_status 1 "a second new run in the same folder" "$comicgan" train "$dir/run.ini" --run "$dir/r"
grep -q "already holds a run" "$dir/err" || fail "no message about the existing run"
expect_status 2 "a run folder without --resume" "$comicgan" train "$dir/r"
expect_status 0 "resume" "$comicgan" train --resume "$dir/r"
grep -q '"step":6,' "$dir/r/log.jsonl" || fail "the resumed run did not reach step 6"
[ -f "$dir/r/samples/step-0000006.png" ] || fail "no sample grid at the last step"

expect_status 0 "plot" "$comicgan" plot "$dir/r"
[ -s "$dir/r/loss.png" ] || fail "no loss.png"
expect_status 2 "plot to a JPEG name" "$comicgan" plot "$dir/r" -o "$dir/loss.jpg"
expect_status 1 "plot a missing run" "$comicgan" plot "$dir/nothing"

expect_status 0 "export" "$comicgan" export "$dir/r" -o "$dir/model.safetensors"
[ -s "$dir/model.safetensors" ] || fail "no model file"
expect_status 1 "export a folder without checkpoint" "$comicgan" export "$dir/photos"
# --recipe: the run's own recipe is taken, and its [export] group applied (this
# network has no post stage: post_kuwahara adds one; post_smooth 9 is refused);
# another recipe is refused and nothing is written.
expect_status 0 "export --recipe" "$comicgan" export "$dir/r" --recipe "$dir/run.ini" -o "$dir/recipe.safetensors"
[ -s "$dir/recipe.safetensors" ] || fail "export --recipe wrote no model"
{ cat "$dir/run.ini"; printf '[export]\npost_kuwahara = 1\n'; } >"$dir/export.ini"
expect_status 0 "export --recipe with post_kuwahara" "$comicgan" export "$dir/r" --recipe "$dir/export.ini" -o "$dir/k.safetensors"
"$comicgan" info "$dir/k.safetensors" | grep -q '"post_kuwahara" : 1' || fail "the recipe's post_kuwahara did not reach the model"
expect_status 1 "export --post-smooth 9" "$comicgan" export "$dir/r" --post-smooth 9 -o "$dir/x.safetensors"
grep -q "post_smooth 9" "$dir/err" || fail "no message naming the bad post_smooth"
# A model file written again with another post stage: the weights are kept
# (the run's plain model given the Kuwahara pass draws what the run exported
# with it draws), the provenance says so; without -o, with --recipe, with
# nothing to change, or from a corrupt file, it is refused.
expect_status 0 "export the plain model again" "$comicgan" export "$dir/model.safetensors" --post-kuwahara 1 -o "$dir/k1.safetensors"
first=$(ls "$dir/photos" | head -1)
"$comicgan" stylize -m "$dir/k1.safetensors" "$dir/photos/$first" "$dir/a.png" >/dev/null 2>&1 || fail "stylize with the model written again"
"$comicgan" stylize -m "$dir/k.safetensors" "$dir/photos/$first" "$dir/b.png" >/dev/null 2>&1 || fail "stylize with the exported model"
cmp -s "$dir/a.png" "$dir/b.png" || fail "the model written again draws another picture than the run's export"
expect_status 0 "export a model again" "$comicgan" export "$dir/k.safetensors" --post-kuwahara 2 --post-smooth 1 -o "$dir/k2.safetensors"
"$comicgan" info "$dir/k2.safetensors" | grep -q '"reexported"' || fail "the provenance does not say the model was written again"
"$comicgan" info "$dir/k2.safetensors" | grep -q '"post_smooth" : 1' || fail "post_smooth did not reach the model written again"
expect_status 2 "export a model without -o" "$comicgan" export "$dir/k.safetensors" --post-smooth 1
expect_status 2 "export a model with --recipe" "$comicgan" export "$dir/k.safetensors" --recipe "$dir/run.ini" -o "$dir/x.safetensors"
expect_status 1 "export a model, nothing to change" "$comicgan" export "$dir/k.safetensors" -o "$dir/x.safetensors"
grep -q "nothing to change" "$dir/err" || fail "no message saying nothing changes"
printf 'not a model' >"$dir/bad.safetensors"
expect_status 1 "export a corrupt model" "$comicgan" export "$dir/bad.safetensors" --post-smooth 1 -o "$dir/x.safetensors"
sed 's/^steps = 6/steps = 7/' "$dir/run.ini" >"$dir/other.ini"
expect_status 1 "export --recipe of another run" "$comicgan" export "$dir/r" --recipe "$dir/other.ini" -o "$dir/x.safetensors"
grep -q "not the recipe of this run" "$dir/err" || fail "no message naming the recipe mismatch"
[ -e "$dir/x.safetensors" ] && fail "a refused export wrote a file"

expect_status 0 "eval" "$comicgan" eval "$dir/model.safetensors" "$dir/r" --size 16
grep -q "^style" "$dir/out" || fail "eval printed no table"
expect_status 0 "eval --json" "$comicgan" eval "$dir/model.safetensors" "$dir/r" --size 16 --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["styles"][0]["paired"]' "$dir/out" \
    || fail "eval --json is not the expected JSON"
expect_status 2 "eval with a bad --size" "$comicgan" eval "$dir/model.safetensors" "$dir/r" --size 2

# Ctrl-C: the run stops after its step with a checkpoint and resumes.
sed -e 's/^steps = 6/steps = 1000000/' -e 's/^sample_every = 3/sample_every = 0/' "$dir/run.ini" >"$dir/long.ini"
"$comicgan" train "$dir/long.ini" --run "$dir/long" -q 2>"$dir/err" &
pid=$!
sleep 2
kill -INT $pid
wait $pid
status=$?
[ "$status" -eq 130 ] || fail "Ctrl-C: exit $status, expected 130"
[ -f "$dir/long/checkpoint.safetensors" ] || fail "Ctrl-C left no checkpoint"

if [ "$failures" -eq 0 ]; then echo "ok"; fi
exit "$failures"
