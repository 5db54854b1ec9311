# Shared by the shell tests here, sourced after `set -u`: a scratch folder
# removed on exit, and checks that count failures instead of stopping.
# Usage: . "$(dirname "$0")/testlib.sh"   (then: fail MESSAGE; expect_status WANT WHAT COMMAND...)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_status() { # expected status, description, command...
    want=$1 what=$2
    shift 2
    "$@" >"$dir/out" 2>"$dir/err"
    got=$?
    [ "$got" -eq "$want" ] || { fail "$what: exit $got, expected $want"; cat "$dir/err"; }
}
