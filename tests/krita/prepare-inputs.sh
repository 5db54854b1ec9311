#!/bin/sh
# Writes the Krita tests' inputs and expected outputs into DIR:
#   prepare-inputs.sh DIR
# in8.raw, in16.raw: a 120 x 90 picture in Krita's U8 and U16 layouts;
# out8.raw, out16.raw: the comicgan command's output for it (style test-ink,
# strength 0.8), read back into the same layouts; in8b.raw, in8c.raw: a
# second and a third frame; frames1.raw, frames2.raw: the command's --frames
# output for in8 and in8b; anim1.raw … anim3.raw: its --frames output for
# in8, in8b and in8c; options8.raw: its output with a mix and post-processing;
# ref8.png: a 64 x 48 reference picture; refout8.raw, refout16.raw: the
# command's output for in8 and in16 with the reference model and ref8.png
# (strength 0.7, the reference's colours); refkeep8.raw: its output for in8
# with in8b as the reference (strength 1, the input's colours) (these only
# with the command). Environment: TESTTOOL, COMICGAN (optional),
# COMICGAN_MODEL_PATH naming the test model's folder, KRITA_REFERENCE_MODELS
# the reference model's. Prints a TAP failure
# and exits 1 if something cannot be made.
set -u
tmp=$1

fail() {
    echo "not ok 1 - preparing the inputs: $*"
    echo "1..1"
    exit 1
}

stylize() { # IN OUT
    if [ -n "${COMICGAN:-}" ]; then
        "$COMICGAN" stylize --style test-ink --strength 0.8 "$1" "$2"
    else
        "$TESTTOOL" stylize "$1" "$2" test-ink 0.8
    fi
}

[ -n "${COMICGAN:-}" ] || echo "# the comicgan command is not built: krita-testtool's cg_stylize stands in for it"
for bits in 8 16; do
    depth=U$bits
    "$TESTTOOL" make-input "$tmp/in$bits.png" 120 90 $bits || fail "make-input"
    stylize "$tmp/in$bits.png" "$tmp/out$bits.png" || fail "stylize $bits-bit"
    "$TESTTOOL" to-raw "$tmp/in$bits.png" "$tmp/in$bits.raw" $depth || fail "to-raw"
    "$TESTTOOL" to-raw "$tmp/out$bits.png" "$tmp/out$bits.raw" $depth || fail "to-raw"
done
# A second frame: the same picture upside down; a third: mirrored.
python3 - "$tmp/in8.raw" "$tmp/in8b.raw" "$tmp/in8c.raw" <<'PY' || fail "second and third frames"
import sys
a = open(sys.argv[1], "rb").read()
rows = [a[i:i + 120 * 4] for i in range(0, len(a), 120 * 4)]
open(sys.argv[2], "wb").write(b"".join(reversed(rows)))
open(sys.argv[3], "wb").write(b"".join(b"".join(r[x * 4:x * 4 + 4] for x in reversed(range(120))) for r in rows))
PY
if [ -n "${COMICGAN:-}" ]; then
    # The options the dialogs add: a mix of two styles and post-processing.
    "$COMICGAN" stylize --mix test-ink=0.7,test-paint=0.3 --strength 0.8 --line-weight 0.5 --denoise 0.3 \
        --contrast 1.4 "$tmp/in8.png" "$tmp/options8.png" || fail "comicgan stylize with options"
    "$TESTTOOL" to-raw "$tmp/options8.png" "$tmp/options8.raw" U8 || fail "to-raw"
    # Float TIFFs keep the 8-bit values exactly and the output unrounded, so
    # reading the results back as U8 rounds them the way the bridge does.
    "$TESTTOOL" from-raw "$tmp/in8.raw" 120 90 U8 "$tmp/frame1.tif" || fail "from-raw"
    "$TESTTOOL" from-raw "$tmp/in8b.raw" 120 90 U8 "$tmp/frame2.tif" || fail "from-raw"
    mkdir "$tmp/frames"
    "$COMICGAN" stylize --frames --style test-ink --strength 0.8 --format tif -o "$tmp/frames" \
        "$tmp/frame1.tif" "$tmp/frame2.tif" || fail "comicgan stylize --frames"
    "$TESTTOOL" to-raw "$tmp/frames/frame1.tif" "$tmp/frames1.raw" U8 || fail "to-raw"
    "$TESTTOOL" to-raw "$tmp/frames/frame2.tif" "$tmp/frames2.raw" U8 || fail "to-raw"
    mkdir "$tmp/anim-in" "$tmp/anim-out"
    for i in 1 2 3; do
        src=$tmp/in8.raw
        [ $i = 2 ] && src=$tmp/in8b.raw
        [ $i = 3 ] && src=$tmp/in8c.raw
        "$TESTTOOL" from-raw "$src" 120 90 U8 "$tmp/anim-in/anim$i.tif" || fail "from-raw"
    done
    "$COMICGAN" stylize --frames --style test-ink --strength 0.8 --format tif -o "$tmp/anim-out" \
        "$tmp/anim-in/anim1.tif" "$tmp/anim-in/anim2.tif" "$tmp/anim-in/anim3.tif" || fail "comicgan stylize --frames"
    for i in 1 2 3; do
        "$TESTTOOL" to-raw "$tmp/anim-out/anim$i.tif" "$tmp/anim$i.raw" U8 || fail "to-raw"
    done
    # Reference styles: a picture file, and another layer (in8b) as the reference.
    refmodel=$KRITA_REFERENCE_MODELS/krita-reference.safetensors
    "$TESTTOOL" make-input "$tmp/ref8.png" 64 48 8 || fail "make-input"
    for bits in 8 16; do
        "$COMICGAN" stylize --model "$refmodel" --reference "$tmp/ref8.png" --strength 0.7 "$tmp/in$bits.png" \
            "$tmp/refout$bits.png" || fail "comicgan stylize --reference"
        "$TESTTOOL" to-raw "$tmp/refout$bits.png" "$tmp/refout$bits.raw" U$bits || fail "to-raw"
    done
    "$COMICGAN" stylize --model "$refmodel" --reference "$tmp/frame2.tif" --keep-colors "$tmp/in8.png" \
        "$tmp/refkeep8.png" || fail "comicgan stylize --reference --keep-colors"
    "$TESTTOOL" to-raw "$tmp/refkeep8.png" "$tmp/refkeep8.raw" U8 || fail "to-raw"
fi
