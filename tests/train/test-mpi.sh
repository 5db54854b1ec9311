#!/bin/sh
# Data-parallel training: 2 MPI ranks with a global batch of 4 end with the
# weights of one process with a batch of 4 (within train-tool's tolerance),
# and a run with another seed does not (so the comparison can fail).
# Usage: test-mpi.sh TRAIN-TOOL COMICGAN MPIRUN
set -eu
tool=$1 comicgan=$2 mpirun=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$tool" data "$dir"
write_config() {
    cat > "$dir/$1.ini" <<INI
[run]
mode = pix2pix
seed = $2
steps = 4
batch = 4
size = 32
log_every = 1
sample_every = 0
checkpoint_every = 0
[data]
photos = $dir/photos
target_filter = manga
val_fraction = 0
test_fraction = 0
jitter = 0.1
[generator]
width = 8
downsamples = 1
blocks = 1
[discriminator]
width = 8
layers = 2
[optim]
constant_steps = 4
INI
}
write_config same 1
write_config other 2
export CG_NUM_THREADS=1
"$comicgan" train "$dir/same.ini" --run "$dir/single" -q
"$comicgan" train "$dir/other.ini" --run "$dir/other" -q
"$mpirun" --allow-run-as-root --oversubscribe -np 2 "$comicgan" train "$dir/same.ini" --run "$dir/ranks" --distributed -q
echo "2 ranks against 1 process:"
"$tool" compare "$dir/single/checkpoint.safetensors" "$dir/ranks/checkpoint.safetensors" 0.0002 4
echo "another seed (must differ):"
if "$tool" compare "$dir/single/checkpoint.safetensors" "$dir/other/checkpoint.safetensors" 0.0002 4; then
    echo "FAIL: the comparison accepted a different run"
    exit 1
fi
echo "ok"
