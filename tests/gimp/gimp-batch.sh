#!/bin/sh
# Integration test with the real GIMP 2.10, in TAP: installs the plug-in into
# a private GIMP profile, runs batch-test.scm in gimp-console-2.10 (which
# builds test images, runs every procedure non-interactively and exports the
# layers) and checks the exported pixels with check-results against
# libcomicgan run on the same input. Then the same through Python-Fu, where
# this GIMP has it.
#   gimp-batch.sh PLUGIN MAKE_MODEL CHECK_RESULTS SOURCE_DIR [COMICGAN]
# With COMICGAN (the command), results are also compared with its output.
# Set CG_GIMP_TEST_KEEP=DIR to keep the images and GIMP's log in DIR.
set -u
plugin=$1 make_model=$2 checker=$3 srcdir=$4 command=${5:-}

if ! command -v gimp-console-2.10 >/dev/null 2>&1; then
    echo "1..0 # SKIP gimp-console-2.10 is not installed"
    exit 0
fi

work=${CG_GIMP_TEST_KEEP:-}
if [ -n "$work" ]; then
    rm -rf "$work" && mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
work=$(cd "$work" && pwd)
mkdir -p "$work/profile/gradients" "$work/models" "$work/out" "$work/data"
"$make_model" "$work/models/test.safetensors" || { echo "Bail out! make-model failed"; exit 1; }
# A reference model of seeded random weights, first in the catalog (by file name).
"$make_model" --reference "$work/models/reference.safetensors" 7 || { echo "Bail out! make-model failed"; exit 1; }

# A profile of its own, the test model first in the catalog, no display;
# the plug-in goes in the way users install it.
export GIMP2_DIRECTORY="$work/profile"
export COMICGAN_MODEL_PATH="$work/models"
export XDG_DATA_HOME="$work/data"
unset DISPLAY WAYLAND_DISPLAY
build=$(cd "$(dirname "$plugin")/.." && pwd)
"$srcdir/../../plugin-gimp/install-user.sh" --gimp-dir "$work/profile" "$build" >"$work/install.log" 2>&1 ||
    { echo "Bail out! install-user.sh failed"; cat "$work/install.log"; exit 1; }
cmp -s "$plugin" "$work/profile/plug-ins/comicgan/comicgan" ||
    { echo "Bail out! install-user.sh did not install $plugin"; exit 1; }
model="$work/models/test.safetensors"
reference_model="$work/models/reference.safetensors"

timeout 600 gimp-console-2.10 -i -d -f \
    -b "(begin (define out-dir \"$work/out\") (define model-file \"$model\") (load \"$srcdir/batch-test.scm\"))" \
    -b '(gimp-quit 0)' >"$work/gimp.log" 2>&1
manifest="$work/out/manifest.txt"
[ -f "$manifest" ] || : >"$manifest"

python_fu=0
grep -q '^python-fu$' "$manifest" && python_fu=1
total=$(grep -cvE '^(done|python-fu)$' "$manifest")
echo "1..$((total + 4 + python_fu))"

n=0
fail=0
# Check n: "comicgan stylize ARGS... IN" gives WANT within TOLERANCE.
same_as_command() { # TOLERANCE IN WANT ARGS...
    tolerance=$1 in=$2 want=$3
    shift 3
    if [ -z "$command" ]; then
        echo "ok $n - ${rest%%|*} # SKIP the comicgan command is not built"
    elif why=$("$command" stylize "$@" "$in" "$work/out/cli-$n.png" 2>&1 &&
        "$checker" same "$want" "$work/out/cli-$n.png" "$tolerance" 2>&1); then
        echo "ok $n - ${rest%%|*}"
    else
        echo "not ok $n - ${rest%%|*}"
        echo "$why" | sed 's/^/# /'
        fail=1
    fi
}
while IFS= read -r line; do
    case $line in
    done | python-fu) continue ;;
    esac
    n=$((n + 1))
    kind=${line%% *}
    rest=${line#* }
    case $kind in
    ok) echo "ok $n - $rest" ;;
    not-ok) echo "not ok $n - $rest"; fail=1 ;;
    skip) echo "ok $n - ${rest%%|*} # SKIP ${rest#*|}" ;;
    cli)
        # shellcheck disable=SC2086 # the arguments are words without spaces
        set -- ${rest#*|}
        in=$1 want=$2
        shift 2
        same_as_command 0.0098 "$in" "$want" --model="$model" "$@" ;;
    cli-reference)
        # shellcheck disable=SC2086 # the arguments are words without spaces
        set -- ${rest#*|}
        in=$1 want=$2 ref=$3
        shift 3
        # Within one step of 8 bits: the same pixels but for rounding.
        same_as_command 0.0040 "$in" "$want" --model="$reference_model" --reference="$ref" "$@" ;;
    logged)
        if grep -qF -- "${rest#*|}" "$work/gimp.log"; then
            echo "ok $n - ${rest%%|*}"
        else
            echo "not ok $n - ${rest%%|*}"
            echo "# GIMP's log has no \"${rest#*|}\""
            fail=1
        fi ;;
    check)
        # shellcheck disable=SC2086 # the arguments are words without spaces
        if why=$("$checker" ${rest#*|} 2>&1); then
            echo "ok $n - ${rest%%|*}"
        else
            echo "not ok $n - ${rest%%|*}"
            echo "$why" | sed 's/^/# /'
            fail=1
        fi ;;
    *) echo "not ok $n - unknown manifest line: $line"; fail=1 ;;
    esac
done <"$manifest"

n=$((n + 1))
if grep -q '^done$' "$manifest"; then
    echo "ok $n - the Script-Fu batch ran to the end"
else
    echo "not ok $n - the Script-Fu batch ran to the end"
    fail=1
fi
# Messages come in the user's language (domain comicgan, translations
# installed beside the plug-in).
n=$((n + 1))
LANG=C.UTF-8 LC_ALL= LANGUAGE=zh_CN timeout 300 gimp-console-2.10 -i -d -f \
    -b '(let* ((img (car (gimp-image-new 8 8 RGB)))
               (layer (car (gimp-layer-new img 8 8 RGB-IMAGE "l" 100 LAYER-MODE-NORMAL))))
          (gimp-image-insert-layer img layer 0 0)
          (catch #f (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "nope" 1.0 0 0 0)))' \
    -b '(gimp-quit 0)' >"$work/gimp-zh_CN.log" 2>&1
if grep -q '没有名为“nope”的风格' "$work/gimp-zh_CN.log"; then
    echo "ok $n - error messages are translated (zh_CN)"
else
    echo "not ok $n - error messages are translated (zh_CN)"
    tail -5 "$work/gimp-zh_CN.log" | sed 's/^/# /'
    fail=1
fi

# Without a reference model the reference procedure says so and leaves the image alone.
# The catalog also searches the installed and the source tree's model folders; where
# one of those holds a reference model (one ships), there is no such case to try.
n=$((n + 1))
mkdir -p "$work/plain-models"
cp "$model" "$work/plain-models/"
found_reference=no
if [ -n "$command" ] && COMICGAN_MODEL_PATH="$work/plain-models" "$command" info --json |
    python3 -c 'import json, sys; sys.exit(0 if any(s["mode"] == "reference" for s in json.load(sys.stdin)["styles"]) else 1)'; then
    found_reference=yes
fi
if [ $found_reference = yes ]; then
    echo "ok $n - # SKIP a reference model is installed or ships in the source tree: no case without one"
else
    COMICGAN_MODEL_PATH="$work/plain-models" timeout 300 gimp-console-2.10 -i -d -f \
        -b "(let* ((img (car (gimp-image-new 32 32 RGB)))
                   (layer (car (gimp-layer-new img 32 32 RGB-IMAGE \"l\" 100 LAYER-MODE-NORMAL))))
              (gimp-image-insert-layer img layer 0 0)
              (gimp-image-clean-all img)
              (catch #f (plug-in-comicgan-stylize-reference RUN-NONINTERACTIVE img layer layer 1.0 0 1))
              (let ((port (open-output-file \"$work/out/no-reference.txt\")))
                (display (list (car (gimp-image-get-layers img)) (car (gimp-image-is-dirty img))) port)
                (close-output-port port)))" \
        -b '(gimp-quit 0)' >"$work/gimp-no-reference.log" 2>&1
    # (layers dirty): still one layer, and clean
    if grep -q 'No reference model is installed' "$work/gimp-no-reference.log" &&
        [ "$(cat "$work/out/no-reference.txt" 2>/dev/null)" = "(1 0)" ]; then
        echo "ok $n - without a reference model, stylize-reference is refused with a message, the image untouched"
    else
        echo "not ok $n - without a reference model, stylize-reference is refused with a message, the image untouched"
        tail -5 "$work/gimp-no-reference.log" | sed 's/^/# /'
        fail=1
    fi
fi

# Cancel: GIMP kills a plug-in whose progress the user cancels. Killed
# while it computes, the plug-in must have left the image as it was.
n=$((n + 1))
gimp-console-2.10 -i -d -f \
    -b "(let* ((img (car (gimp-image-new 3000 3000 RGB)))
               (layer (car (gimp-layer-new img 3000 3000 RGB-IMAGE \"l\" 100 LAYER-MODE-NORMAL)))
               (save (lambda (name) (file-png-save2 RUN-NONINTERACTIVE img layer
                                      (string-append \"$work/out/\" name) name 0 1 0 0 0 0 0 0 0))))
          (gimp-image-insert-layer img layer 0 0)
          (plug-in-plasma RUN-NONINTERACTIVE img layer 7 2.5)
          (save \"kill-in.png\")
          (catch #f (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer \"test-ink\" 1.0 0 0 0))
          (save \"kill-out.png\"))" \
    -b '(gimp-quit 0)' >"$work/gimp-kill.log" 2>&1 &
console=$!
killed=
for _ in $(seq 1 600); do
    [ -f "$work/out/kill-in.png" ] && pid=$(pgrep -f "^$work/profile/plug-ins/comicgan/comicgan" | head -1) &&
        [ -n "$pid" ] && { sleep 1; kill -KILL "$pid" 2>/dev/null && killed=1; break; }
    kill -0 $console 2>/dev/null || break
    sleep 0.1
done
wait $console
if [ -z "$killed" ] && [ -f "$work/out/kill-out.png" ]; then
    echo "ok $n - killed while computing (GIMP's cancel) # SKIP the plug-in finished before it was killed"
elif [ -n "$killed" ] && [ -f "$work/out/kill-out.png" ] &&
    "$checker" same "$work/out/kill-in.png" "$work/out/kill-out.png" >/dev/null; then
    echo "ok $n - killed while computing (GIMP's cancel), the plug-in leaves the image untouched"
else
    echo "not ok $n - killed while computing (GIMP's cancel), the plug-in leaves the image untouched"
    tail -5 "$work/gimp-kill.log" | sed 's/^/# /'
    fail=1
fi

if [ $fail -ne 0 ]; then
    echo "# GIMP's output:"
    tail -40 "$work/gimp.log" | sed 's/^/#   /'
fi

if [ $python_fu -eq 1 ]; then
    n=$((n + 1))
    timeout 300 gimp-console-2.10 -i -d -f --batch-interpreter python-fu-eval \
        -b "out_dir = '$work/out'; execfile('$srcdir/batch-test.py')" \
        -b 'pdb.gimp_quit(0)' >"$work/python-fu.log" 2>&1
    if why=$("$checker" stylize "$model" test-ink 1 0 0 "$work/out/python-in.png" "$work/out/python-out.png" 2>&1)
    then
        echo "ok $n - Python-Fu: pdb.plug_in_comicgan_stylize"
    else
        echo "not ok $n - Python-Fu: pdb.plug_in_comicgan_stylize"
        { echo "$why"; tail -20 "$work/python-fu.log"; } | sed 's/^/# /'
        fail=1
    fi
fi
exit $fail
