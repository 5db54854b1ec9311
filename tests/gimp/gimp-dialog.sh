#!/bin/sh
# The plug-in's dialogs in the real GIMP 2.10 under Xvfb, in TAP. A Script-Fu
# batch opens each procedure with run-mode INTERACTIVE; this script takes
# screenshots (kept by CI as artefacts: looked at, not compared), works the
# controls with xdotool (the before/after split, presets loaded, saved and
# deleted in the presets file both plug-ins share), presses OK (or Cancel)
# and checks what happened to the layers. Then once more in Chinese. Needs
# xvfb-run, xdotool, xwininfo and xprop (x11-utils), import (ImageMagick),
# python3; skips where one is missing.
#   gimp-dialog.sh PLUGIN MAKE_MODEL CHECK_RESULTS SHOT_DIR
set -u

for tool in gimp-2.10 xvfb-run xdotool xprop import python3; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "1..0 # SKIP $tool is not installed"
        exit 0
    fi
done

if [ "${1:-}" != --inside ]; then
    plugin=$1 make_model=$2 checker=$3 shots=$4
    mkdir -p "$shots"
    shots=$(cd "$shots" && pwd)
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    mkdir -p "$work/profile/plug-ins/comicgan/locale" "$work/profile/gradients" "$work/models" "$work/out" "$work/data"
    cp "$plugin" "$work/profile/plug-ins/comicgan/comicgan"
    # Translations as install-user.sh lays them out.
    for mo in "$(dirname "$plugin")"/../po/*/LC_MESSAGES/comicgan.mo; do
        [ -f "$mo" ] || continue
        lang=$(basename "$(dirname "$(dirname "$mo")")")
        mkdir -p "$work/profile/plug-ins/comicgan/locale/$lang/LC_MESSAGES"
        cp "$mo" "$work/profile/plug-ins/comicgan/locale/$lang/LC_MESSAGES/"
    done
    "$make_model" "$work/models/test.safetensors" || { echo "Bail out! make-model failed"; exit 1; }
    "$make_model" --reference "$work/models/reference.safetensors" 7 || { echo "Bail out! make-model failed"; exit 1; }
    export GIMP2_DIRECTORY="$work/profile" COMICGAN_MODEL_PATH="$work/models" XDG_DATA_HOME="$work/data"
    export XDG_CONFIG_HOME="$work/config"
    unset WAYLAND_DISPLAY
    xvfb-run -a -s "-screen 0 1400x900x24" sh "$0" --inside "$checker" "$work" "$shots"
    exit $?
fi

# Inside the X server from here on.
checker=$2 work=$3 shots=$4
image=/usr/share/gimp/2.0/images/gimp-splash.png
[ -f "$image" ] || image=/usr/share/gimp/2.0/images/wilber.png
echo "1..22"
presets=$XDG_CONFIG_HOME/comicgan/presets.ini
mkdir -p "$(dirname "$presets")"
# A preset as the Krita plug-in writes it.
cat >"$presets" <<'INI'
[Heavy lines]
style=test-ink
style_b=test-paint
mix=0.3
strength=0.8
keep_colors=false
line_weight=0.5
denoise=0.3
contrast=1.4
scale=auto

INI

# preset_sections: the file's presets, one a line, each as "name: key=value ...".
preset_sections() {
    python3 -c '
import configparser, sys
p = configparser.RawConfigParser(default_section="\0", interpolation=None)
p.optionxform = str
p.read(sys.argv[1])
for s in p.sections():
    print(s + ": " + " ".join("%s=%s" % kv for kv in sorted(p[s].items())))' "$presets"
}

n=0
fail=0
result() { # result STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=1; fi
}

# Prints the id of the window titled exactly $1 once it exists (up to 3 minutes).
wait_window() {
    for _ in $(seq 1 180); do
        id=$(xdotool search --name "^$1\$" 2>/dev/null | head -1)
        [ -n "$id" ] && { echo "$id"; return 0; }
        kill -0 "$gimp_pid" 2>/dev/null || return 1
        sleep 1
    done
    return 1
}

press() { # press WINDOW KEYS...: keys to a window (no window manager runs here)
    w=$1
    shift
    xdotool windowfocus --sync "$w" 2>/dev/null
    xdotool key "$@"
}

shot() { # shot NAME: the whole screen, the pointer moved off so no tooltip shows
    xdotool mousemove 1399 899
    sleep 0.5
    import -window root "$shots/$1"
}

wait_gimp() {
    for _ in $(seq 1 120); do
        kill -0 "$gimp_pid" 2>/dev/null || break
        sleep 1
    done
    kill "$gimp_pid" 2>/dev/null
    wait "$gimp_pid" 2>/dev/null
}

out=$work/out
gimp-2.10 -d -f -s -b "(let* ((img (car (file-png-load RUN-NONINTERACTIVE \"$image\" \"$image\")))
                             (layer (car (gimp-image-get-active-layer img)))
                             (save (lambda (l name)
                                     (file-png-save2 RUN-NONINTERACTIVE img l (string-append \"$out/\" name)
                                                     name 0 9 0 0 0 0 0 0 1))))
    (gimp-display-new img)
    (save layer \"before.png\")
    (plug-in-comicgan-stylize RUN-INTERACTIVE img layer \"test-ink\" 1.0 0 0 0)
    (save layer \"after.png\")
    (let ((port (open-output-file \"$out/stylize-settings.txt\")))
      (display (cadr (gimp-procedural-db-get-data \"plug-in-comicgan-stylize\")) port)
      (close-output-port port))
    (let ((heat (car (plug-in-comicgan-attention RUN-INTERACTIVE img layer \"test-ink\" \"\"))))
      (save heat \"heat.png\"))
    (catch #f (plug-in-comicgan-stylize-layers RUN-INTERACTIVE img layer \"test-ink\" 1.0 0 0 0))
    (save layer \"after-cancel.png\")
    (gimp-quit 1))" >"$work/gimp.log" 2>&1 &
gimp_pid=$!

dialog=$(wait_window 'Comic Style \(comicgan\)')
if [ -z "$dialog" ]; then
    echo "not ok 1 - the stylize dialog opens"
    echo "Bail out! no dialog; GIMP's output:"
    tail -30 "$work/gimp.log" | sed 's/^/# /'
    kill "$gimp_pid" 2>/dev/null
    exit 1
fi
result 0 "the stylize dialog opens"

# Transient for GIMP's image window (whose title names the file).
parent=$(xprop -id "$dialog" WM_TRANSIENT_FOR | sed -n 's/.*window id # //p')
image_window=$(xdotool search --name "$(basename "$image" | sed 's/\./\\./g')" 2>/dev/null | head -1)
[ -n "$parent" ] && [ -n "$image_window" ] && [ $((parent)) -eq $((image_window)) ]
result $? "the dialog is transient for GIMP's image window"

# The preview and the thumbnails render in a worker thread; give them time.
sleep 6
shot stylize.png
press "$dialog" alt+a
sleep 5
shot stylize-attention.png
! "$checker" same "$shots/stylize.png" "$shots/stylize-attention.png" >/dev/null
result $? "screenshots stylize.png, stylize-attention.png: the attention toggle changes the preview"

# A click on the fitted preview shows that spot at 100%.
xdotool mousemove --window "$dialog" 300 250 click 1
sleep 5
shot stylize-100.png
! "$checker" same "$shots/stylize-attention.png" "$shots/stylize-100.png" >/dev/null
result $? "screenshot stylize-100.png: a click zooms the preview to 100%"

# Dragging pans the 100% view.
xdotool mousemove --window "$dialog" 400 350 mousedown 1 mousemove --window "$dialog" 250 200 sleep 0.3 mouseup 1
sleep 5
shot stylize-panned.png
! "$checker" same "$shots/stylize-100.png" "$shots/stylize-panned.png" >/dev/null
result $? "screenshot stylize-panned.png: dragging pans the 100% view"

# Before/after: the original left of a line, the result right of it.
press "$dialog" alt+b
sleep 1
shot stylize-split.png
! "$checker" same "$shots/stylize-panned.png" "$shots/stylize-split.png" >/dev/null
result $? "screenshot stylize-split.png: Before/after splits the preview"
# The line starts in the middle of the preview area; drag it to the left.
xdotool mousemove --window "$dialog" 191 300 mousedown 1 mousemove --window "$dialog" 120 300 sleep 0.3 \
    mousemove --window "$dialog" 80 300 sleep 0.3 mouseup 1
sleep 1
shot stylize-split-moved.png
! "$checker" same "$shots/stylize-split.png" "$shots/stylize-split-moved.png" >/dev/null
result $? "screenshot stylize-split-moved.png: the split line can be dragged"
press "$dialog" alt+b

# Presets: choose the one in the file, which sets every control.
press "$dialog" alt+e Down
sleep 6
shot stylize-preset.png
! "$checker" same "$shots/stylize-split-moved.png" "$shots/stylize-preset.png" >/dev/null
result $? "screenshot stylize-preset.png: choosing a preset changes the controls and the preview"
press "$dialog" alt+v
ask=$(wait_window 'Save Preset \(comicgan\)')
[ -n "$ask" ] && press "$ask" ctrl+a && xdotool type --delay 50 "Copy" && press "$ask" Return
sleep 1
heavy=$(preset_sections | sed -n 's/^Heavy lines: //p')
copy=$(preset_sections | sed -n 's/^Copy: //p')
[ -n "$copy" ] && [ "$copy" = "$heavy" ]
result $? "Save writes the controls as a new preset, equal to the one loaded ($copy)"
# The saved preset is chosen; Delete is the button after Save.
press "$dialog" Tab space
sleep 1
[ "$(preset_sections | cut -d: -f1 | tr '\n' ,)" = "Heavy lines," ]
result $? "Delete removes the chosen preset from the file"

# Memory: a larger budget typed in is what the run is given, and GIMP keeps it with the last values.
press "$dialog" alt+m ctrl+a
xdotool type --delay 50 "2048"
press "$dialog" Tab
sleep 1
shot stylize-memory.png
! "$checker" same "$shots/stylize-preset.png" "$shots/stylize-memory.png" >/dev/null
result $? "screenshot stylize-memory.png: the Memory setting takes a typed value"

press "$dialog" alt+o
attention=$(wait_window 'Attention Map \(comicgan\)')
[ -f "$out/after.png" ] && "$checker" changed "$out/before.png" "$out/after.png" >/dev/null
result $? "OK applies the style to the layer"

[ -n "$attention" ]
result $? "the attention dialog opens"
sleep 5
shot attention.png
# A malformed presets file: the next dialog says so and leaves it alone.
printf '[Heavy lines]\nstyle=test-ink\nnot a key\n' >"$presets"
cp "$presets" "$work/broken.ini"
press "$attention" alt+a
frames=$(wait_window 'Comic Style Frames \(comicgan\)')
[ -f "$out/heat.png" ] && "$checker" changed "$out/after.png" "$out/heat.png" >/dev/null
result $? "Add Layer adds the heatmap layer"

[ -n "$frames" ]
result $? "the frames dialog opens"
sleep 5
shot frames.png
press "$frames" alt+v
sleep 1
[ -z "$(xdotool search --name '^Save Preset' 2>/dev/null)" ] && cmp -s "$presets" "$work/broken.ini"
result $? "screenshot frames.png: a malformed presets file is reported and not written over"
press "$frames" Escape
wait_gimp
[ -f "$out/after-cancel.png" ] && "$checker" same "$out/after.png" "$out/after-cancel.png" >/dev/null
result $? "Cancel leaves the image untouched"

grep -q width "$work/profile/comicgan-dialog.ini" 2>/dev/null
result $? "the dialog's size is remembered"

# The settings the run used (settings in comicgan-gimp.h: the memory in MiB is a 32-bit integer
# at byte 264, after the members before it and their padding on x86-64), as the stylize
# procedure stored them after OK.
python3 -c '
import re, struct, sys
data = bytes(int(v) & 255 for v in re.findall(r"-?[0-9]+", open(sys.argv[1]).read()))
sys.exit(0 if len(data) >= 268 and struct.unpack_from("<i", data, 264)[0] == 2048 else 1)' \
    "$out/stylize-settings.txt" 2>/dev/null
result $? "the run got the Memory typed in the dialog (2048 MiB), and it is kept with the last values"

# The reference procedure, interactive: the stylize dialog opens with the
# reference (a layer of another open image) chosen, and OK applies it.
reference=/usr/share/gimp/2.0/images/wilber.png
[ -f "$reference" ] || reference=$image
gimp-2.10 -d -f -s -b "(let* ((img (car (file-png-load RUN-NONINTERACTIVE \"$image\" \"$image\")))
                             (layer (car (gimp-image-get-active-layer img)))
                             (ref-img (car (file-png-load RUN-NONINTERACTIVE \"$reference\" \"$reference\")))
                             (ref (car (gimp-image-get-active-layer ref-img)))
                             (save (lambda (name)
                                     (file-png-save2 RUN-NONINTERACTIVE img layer (string-append \"$out/\" name)
                                                     name 0 9 0 0 0 0 0 0 1))))
    (gimp-display-new img)
    (save \"reference-before.png\")
    (plug-in-comicgan-stylize-reference RUN-INTERACTIVE img layer ref 1.0 0 0)
    (save \"reference-after.png\")
    (gimp-quit 1))" >"$work/gimp-reference.log" 2>&1 &
gimp_pid=$!
dialog=$(wait_window 'Comic Style \(comicgan\)')
[ -n "$dialog" ]
result $? "stylize-reference, interactive: the stylize dialog opens"
sleep 8
shot reference.png
[ -n "$dialog" ] && press "$dialog" alt+o
wait_gimp
[ -f "$out/reference-after.png" ] && "$checker" changed "$out/reference-before.png" "$out/reference-after.png" >/dev/null
result $? "screenshot reference.png: OK applies the reference's style"

# The same dialog in Chinese.
LANG=C.UTF-8 LC_ALL= LANGUAGE=zh_CN gimp-2.10 -d -f -s -b "(let* ((img (car (file-png-load RUN-NONINTERACTIVE \"$image\" \"$image\")))
                             (layer (car (gimp-image-get-active-layer img))))
    (gimp-display-new img)
    (catch #f (plug-in-comicgan-stylize RUN-INTERACTIVE img layer \"test-ink\" 1.0 0 0 0))
    (gimp-quit 1))" >"$work/gimp-zh_CN.log" 2>&1 &
gimp_pid=$!
dialog=$(wait_window '漫画风格 \(comicgan\)')
result $? "the dialog is translated (zh_CN title)"
sleep 6
shot stylize-zh_CN.png
[ -n "$dialog" ] && press "$dialog" Escape
wait_gimp

echo "# screenshots in $shots"
if [ $fail -ne 0 ]; then
    tail -30 "$work/gimp.log" | sed 's/^/# /'
fi
exit $fail
