#!/bin/sh
# plugin-gimp/install-user.sh, in TAP: it installs the plug-in and the shipped
# models for one user, and --uninstall takes both away again, keeping model
# files of other names (a user's own), so that no stale copy of a shipped
# model is left to hide a newer one installed for every user.
#   install-user-test.sh PLUGIN SOURCE_ROOT
set -u
plugin=$1 root=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build=$(cd "$(dirname "$plugin")/.." && pwd)
export XDG_DATA_HOME="$work/data"
gimp="$work/gimp"
models="$work/data/comicgan/models"
echo "1..3"
fail=0
check() { # number, description, condition...
    n=$1 what=$2
    shift 2
    if "$@"; then echo "ok $n - $what"; else echo "not ok $n - $what"; fail=1; fi
}

"$root/plugin-gimp/install-user.sh" --gimp-dir "$gimp" "$build" >"$work/install.log" 2>&1
shipped=$(ls "$root"/models/*.safetensors | wc -l)
copied=$(ls "$models"/*.safetensors 2>/dev/null | wc -l)
check 1 "installs the program and the $shipped shipped models" \
    test -x "$gimp/plug-ins/comicgan/comicgan" -a "$copied" -eq "$shipped" -a "$shipped" -gt 0

echo "not a real model" >"$models/mine.safetensors"
"$root/plugin-gimp/install-user.sh" --gimp-dir "$gimp" --uninstall >"$work/uninstall.log" 2>&1
left=$(ls "$models" 2>/dev/null | tr '\n' ' ')
check 2 "--uninstall removes the program" test ! -e "$gimp/plug-ins/comicgan"
check 3 "--uninstall removes the shipped models' copies and keeps the user's own (left: $left)" \
    test "$left" = "mine.safetensors "
[ $fail -eq 0 ] || sed 's/^/# /' "$work/install.log" "$work/uninstall.log"
exit $fail
