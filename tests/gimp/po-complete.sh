#!/bin/sh
# Every user-visible string of the GIMP plug-in is translated, not fuzzy and
# with matching printf formats, in every language of po/LINGUAS. In TAP.
#   po-complete.sh SOURCE_ROOT
set -u
root=$1
for tool in xgettext msgmerge msgfmt; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "1..0 # SKIP $tool is not installed (gettext)"
        exit 0
    fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root" && xgettext --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
    -o "$work/plugin.pot" plugin-gimp/*.c) || { echo "Bail out! xgettext failed"; exit 1; }
langs=$(grep -v '^#' "$root/po/LINGUAS")
echo "1..$(echo $langs | wc -w)"
n=0
fail=0
for lang in $langs; do
    n=$((n + 1))
    po="$root/po/$lang.po"
    if [ -f "$po" ] && msgmerge --quiet -o "$work/$lang.po" "$po" "$work/plugin.pot" &&
        stats=$(LC_ALL=C msgfmt --check --statistics -o /dev/null "$work/$lang.po" 2>&1) &&
        ! echo "$stats" | grep -qE 'untranslated|fuzzy'; then
        echo "ok $n - $lang: $(echo $stats)"
    else
        echo "not ok $n - $lang: $(echo ${stats:-$po missing or broken})"
        fail=1
    fi
done
exit $fail
