#!/bin/sh
# Builds every libFuzzer target and runs each for a bounded time.
#   fuzz/run.sh [seconds per target, default 60]
# Environment: FUZZ_BUILD_DIR (default build-fuzz under the source root),
# FUZZ_JOBS (parallel fuzzing processes per target, default 1).
# Exits non-zero if a build fails or any target finds a crash, a leak, a
# sanitizer report or a timeout; the input that did it is kept under
# $FUZZ_BUILD_DIR/fuzz-artifacts/<target>/. New inputs the fuzzer finds go to a
# scratch folder, never into the committed seed corpus.
set -eu

seconds=${1:-60}
case $seconds in
  ''|*[!0-9]*) echo "usage: $0 [seconds]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
jobs=${FUZZ_JOBS:-1}

if [ ! -f "$build/build.ninja" ]; then
  CC=${CC:-clang} meson setup "$build" "$root" -Dfuzzing=true -Db_lundef=false -Dbuildtype=debugoptimized \
    -Dcli=disabled -Dgimp=disabled -Dkrita=disabled
fi

targets=""
for src in "$root"/fuzz/fuzz-*.c; do
  name=$(basename "$src" .c)
  targets="$targets fuzz/$name"
done
# shellcheck disable=SC2086
ninja -C "$build" $targets

status=0
for target in $targets; do
  name=$(basename "$target")
  corpus="$root/fuzz/corpus/${name#fuzz-}"
  scratch=$(mktemp -d)
  artifacts="$build/fuzz-artifacts/$name"
  mkdir -p "$artifacts"
  echo "== $name: ${seconds}s, seeds from $corpus"
  parallel=""
  if [ "$jobs" -gt 1 ]; then
    parallel="-jobs=$jobs -workers=$jobs"
  fi
  # A file of a hundred bytes may declare the largest image comicgan accepts
  # (16384², 4 GiB of float pixels, plus the decoder's own canvas, which a GIF
  # fills with its background): the limits let that through and still catch
  # memory beyond it.
  # shellcheck disable=SC2086
  if "$build/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=6144 -malloc_limit_mb=8192 \
      -print_final_stats=1 \
      $parallel -artifact_prefix="$artifacts/" "$scratch" "$corpus"; then
    echo "== $name: no findings"
  else
    echo "== $name: FAILED, see $artifacts" >&2
    status=1
  fi
  rm -rf "$scratch"
done
exit $status
