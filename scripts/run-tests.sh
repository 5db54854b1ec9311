#!/usr/bin/env bash
# Runs every test configuration of comicgan and prints, alone on its last line,
# "N passed, N failed" over all of them:
#   1. the release build (build/), warnings as errors;
#   2. the engine tests under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/);
#   3. each libFuzzer target for a bounded time (FUZZ_SECONDS, default 60), if clang is present.
# Usage: scripts/run-tests.sh            (from the source tree; builds what is missing)
set -u
cd "$(dirname "$0")/.."
root=$(pwd)
passed=0
failed=0
log_dir=${CG_TEST_LOGS:-$root/build-logs}
mkdir -p "$log_dir"

# Counts one meson run from its JSON log.
count_meson() {
    local json=$1
    local counts
    counts=$(python3 - "$json" <<'PY'
import json, sys
ok = bad = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL", "SKIP"):
        ok += 1
    else:
        bad += 1
print(ok, bad)
PY
)
    passed=$((passed + ${counts% *}))
    failed=$((failed + ${counts#* }))
}

run_config() {
    local name=$1 dir=$2
    shift 2
    echo "== $name"
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >"$log_dir/$name-setup.log" 2>&1 || {
            echo "setup failed ($name), see $log_dir/$name-setup.log"; tail -20 "$log_dir/$name-setup.log"
            failed=$((failed + 1)); return; }
    fi
    if ! ninja -C "$dir" >"$log_dir/$name-build.log" 2>&1; then
        echo "build failed ($name), see $log_dir/$name-build.log"; grep -E "error|warning" "$log_dir/$name-build.log" | head -40
        failed=$((failed + 1)); return
    fi
    meson test -C "$dir" --print-errorlogs $MESON_TEST_ARGS 2>&1 | grep -vE "^(Ok|Expected Fail|Fail|Unexpected Pass|Skipped|Timeout):" | tail -n +1
    count_meson "$dir/meson-logs/testlog.json"
}

MESON_TEST_ARGS=${MESON_TEST_ARGS:-}
run_config release build -Dwerror=true
# UBSan reports must fail the test that triggered them.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
MESON_TEST_ARGS="$MESON_TEST_ARGS --suite ops --suite core --suite model --suite io --suite filters --suite nn --suite infer --suite train" \
    run_config asan build-asan -Dwerror=true -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
    -Dgimp=disabled -Dkrita=disabled -Dmpi=disabled

if command -v clang >/dev/null 2>&1 && [ -x fuzz/run.sh ]; then
    targets=$(ls fuzz/fuzz-*.c | wc -l)
    echo "== fuzz: $targets targets, ${FUZZ_SECONDS:-60} s each, under ASan + UBSan"
    if fuzz/run.sh "${FUZZ_SECONDS:-60}" >"$log_dir/fuzz.log" 2>&1; then
        echo "fuzz: no crash, leak or sanitizer report"; passed=$((passed + targets))
    else
        echo "fuzz: FAILED, see $log_dir/fuzz.log"; tail -40 "$log_dir/fuzz.log"; failed=$((failed + 1))
    fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
