#!/bin/sh
# A run folder under stress: two trainings at once, a run stopped before its
# first checkpoint, names export would refuse, temporaries left by a kill,
# and the exit status of SIGTERM.
# Usage: test-run-folder.sh TRAIN-TOOL COMICGAN
set -u
tool=$1 comicgan=$2
. "$(dirname "$0")/testlib.sh"
wait_for() { # file: up to 60 s
    n=0
    while [ ! -e "$1" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
    [ -e "$1" ]
}
"$tool" data "$dir" || exit 1
cat >"$dir/run.ini" <<INI
[run]
mode = pix2pix
steps = 1000000
batch = 2
size = 16
samples = 2
log_every = 1
sample_every = 0
checkpoint_every = 100000
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
export CG_NUM_THREADS=1

# Two trainings on one run folder: the second fails at once, naming the first.
"$comicgan" train "$dir/run.ini" --run "$dir/busy" -q 2>"$dir/err1" &
pid=$!
wait_for "$dir/busy/log.jsonl" || fail "the first training did not start"
sleep 0.5
expect_status 1 "a second training on a busy run folder" timeout 30 "$comicgan" train --resume "$dir/busy"
grep -q "run in use by process $pid" "$dir/err" || { fail "no message naming process $pid"; cat "$dir/err"; }
expect_status 1 "a new training in a busy run folder" timeout 30 "$comicgan" train "$dir/run.ini" --run "$dir/busy"
grep -q "run in use by process $pid" "$dir/err" || { fail "no message naming process $pid (new run)"; cat "$dir/err"; }
kill -INT $pid
wait $pid

# Temporaries of the checkpoint writer left by a kill -9 go when the run resumes.
: >"$dir/busy/.checkpoint.safetensors.Qw12Er"
: >"$dir/busy/.checkpoint.safetensors.notours"
: >"$dir/busy/.notes.txt.Qw12Er"
expect_status 0 "resume after a kill" "$comicgan" train --resume "$dir/busy" --stop-after 1 -q
[ -e "$dir/busy/.checkpoint.safetensors.Qw12Er" ] && fail "resume left a stale temporary checkpoint"
[ -e "$dir/busy/.checkpoint.safetensors.notours" ] || fail "resume removed a file not of the writer's pattern"
[ -e "$dir/busy/.notes.txt.Qw12Er" ] || fail "resume removed a temporary of a file it does not write"

# SIGTERM: stopped like Ctrl-C, with the shell's status for SIGTERM.
"$comicgan" train "$dir/run.ini" --run "$dir/term" -q 2>"$dir/err1" &
pid=$!
wait_for "$dir/term/log.jsonl" || fail "the training for SIGTERM did not start"
sleep 0.5
kill -TERM $pid
wait $pid
status=$?
[ "$status" -eq 143 ] || fail "SIGTERM: exit $status, expected 143"
[ -f "$dir/term/checkpoint.safetensors" ] || fail "SIGTERM left no checkpoint"

# A run stopped before its first checkpoint can be resumed, and the NaN stop
# names a checkpoint that exists.
{ cat "$dir/run.ini"; printf '[debug]\nnan_at_step = 2\n'; } >"$dir/nan.ini"
expect_status 1 "a NaN stop before the first checkpoint" "$comicgan" train "$dir/nan.ini" --run "$dir/nan" -q
grep -q "NaN" "$dir/err" || { fail "no NaN message"; cat "$dir/err"; }
if grep -q "checkpoint (step 0)" "$dir/err"; then
    [ -f "$dir/nan/checkpoint.safetensors" ] || fail "the message names a step-0 checkpoint that does not exist"
fi
expect_status 0 "resume a run stopped before its first checkpoint" \
    "$comicgan" train --resume "$dir/nan" --stop-after 1 -q
# Killed while setting up, before any checkpoint: a fresh start takes the folder.
mkdir "$dir/early"
cp "$dir/busy/config.ini" "$dir/early/config.ini"
: >"$dir/early/log.jsonl"
expect_status 0 "a fresh start in a run folder without a checkpoint" \
    "$comicgan" train "$dir/run.ini" --run "$dir/early" --stop-after 1 -q
[ -f "$dir/early/checkpoint.safetensors" ] || fail "the fresh start left no checkpoint"

# Names and text that export would refuse are refused at --check and start.
for line in 'name = ../../../tmp/evil' 'name = Big' 'name = ' "display_name = $(printf 'a\033[2Jb')" \
    "description = $(printf 'right\342\200\256left')"; do
    sed "s|^mode = pix2pix|mode = pix2pix\\n$line|" "$dir/run.ini" >"$dir/bad-name.ini"
    grep -qF "$line" "$dir/bad-name.ini" || fail "the test could not write: $line"
    expect_status 1 "--check with \"$line\"" "$comicgan" train --check "$dir/bad-name.ini"
    grep -q "\[run\] \(name\|display_name\|description\)" "$dir/err" || { fail "no message naming the key"; cat "$dir/err"; }
    expect_status 1 "a training with \"$line\"" "$comicgan" train "$dir/bad-name.ini" --run "$dir/bad-name" --stop-after 1
    [ -e "$dir/bad-name" ] && { fail "a run folder was made for \"$line\""; rm -rf "$dir/bad-name"; }
done
printf '[style Big]\nsource = filter\nfilter = cel\n' >"$dir/bad-style.ini"
sed 's/^mode = pix2pix/mode = multistyle/' "$dir/run.ini" | sed '/target_filter/d' >>"$dir/bad-style.ini"
expect_status 1 "--check with a style name export refuses" "$comicgan" train --check "$dir/bad-style.ini"

if [ "$failures" -eq 0 ]; then echo "ok"; fi
exit "$failures"
