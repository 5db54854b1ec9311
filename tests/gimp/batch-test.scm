; Script-Fu side of the GIMP integration test (see gimp-batch.sh).
;
; Builds small test images in GIMP (a layer with alpha, an offset layer, a
; selection, a feathered selection, a layer group, 16-bit and 32-bit float,
; grayscale, indexed, animation frames), runs the comicgan procedures on them
; non-interactively, exports each layer before and after as PNG and writes
; one line per check to manifest.txt for gimp-batch.sh:
;   check DESCRIPTION|ARGUMENTS FOR check-results
;   cli DESCRIPTION|IN OUT OPTIONS: OUT equals `comicgan stylize OPTIONS IN`
;   cli-reference DESCRIPTION|IN OUT REF OPTIONS: OUT equals
;       `comicgan stylize --model=<the reference model> --reference=REF OPTIONS IN`
;   logged DESCRIPTION|TEXT   GIMP's log has TEXT (a message the plug-in gave)
;   ok DESCRIPTION         a fact checked here
;   not-ok DESCRIPTION     one that failed here
;   skip DESCRIPTION|WHY
; Expects out-dir and model-file to be defined before it is loaded.

(define manifest (open-output-file (string-append out-dir "/manifest.txt")))

(define (emit . parts)
  (for-each (lambda (p) (display p manifest)) parts)
  (newline manifest))

(define (words . parts)
  (let loop ((ps parts) (acc ""))
    (if (null? ps)
        acc
        (loop (cdr ps)
              (string-append acc (if (string=? acc "") "" " ")
                             (let ((p (car ps)))
                               (if (number? p) (number->string p) p)))))))

(define (png name) (string-append out-dir "/" name ".png"))

(define (check description . args)
  (emit "check " description "|" (apply words args)))

(define (cli description . args)
  (emit "cli " description "|" (apply words args)))

(define (cli-reference description . args)
  (emit "cli-reference " description "|" (apply words args)))

(define (logged description text)
  (emit "logged " description "|" text))

(define (expect description ok)
  (emit (if ok "ok " "not-ok ") description))

; A layer's pixels as a PNG of its own size (colours of transparent pixels
; kept, 16-bit when the image is deeper than 8 bits, indexed as RGB).
(define (export layer name)
  (let* ((img (car (gimp-item-get-image layer)))
         (w (car (gimp-drawable-width layer)))
         (h (car (gimp-drawable-height layer)))
         (type (car (gimp-image-base-type img)))
         (copy-img (car (gimp-image-new-with-precision w h (if (= type INDEXED) RGB type)
                                                       (car (gimp-image-get-precision img)))))
         (copy (car (gimp-layer-new-from-drawable layer copy-img))))
    (gimp-image-insert-layer copy-img copy 0 0)
    (gimp-layer-set-offsets copy 0 0)
    (gimp-layer-set-opacity copy 100)
    (file-png-save2 RUN-NONINTERACTIVE copy-img copy (png name) (png name) 0 9 0 0 0 0 0 0 1)
    (gimp-image-delete copy-img)
    (png name)))

(define (new-image w h type precision)
  (car (gimp-image-new-with-precision w h type precision)))

; A layer of plasma (deterministic for a seed) at offsets (x, y).
(define (add-layer img parent w h type name x y seed)
  (let ((layer (car (gimp-layer-new img w h type name 100 LAYER-MODE-NORMAL))))
    (gimp-image-insert-layer img layer parent 0)
    (gimp-layer-set-offsets layer x y)
    (plug-in-plasma RUN-NONINTERACTIVE img layer seed 2.5)
    layer))

; Clears a feathered ellipse (image coordinates): alpha from 0 to 1.
(define (punch-hole img layer x y w h)
  (gimp-context-set-feather TRUE)
  (gimp-context-set-feather-radius 6 6)
  (gimp-image-select-ellipse img CHANNEL-OP-REPLACE x y w h)
  (gimp-context-set-feather FALSE)
  (gimp-drawable-edit-clear layer)
  (gimp-selection-none img))

(define (position img layer) (car (gimp-image-get-item-position img layer)))

(define (offsets layer) (gimp-drawable-offsets layer))

(define (refused? thunk) (not (catch #f (thunk) #t)))

(define (refuses description thunk)
  (expect (string-append "refused: " description) (refused? thunk)))

; ---------------------------------------------------------------- cases

(define (case-alpha)
  (let* ((img (new-image 80 60 RGB PRECISION-U8-GAMMA))
         (layer (add-layer img 0 80 60 RGBA-IMAGE "alpha" 0 0 11)))
    (punch-hole img layer 20 15 40 30)
    (export layer "alpha-in")
    (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-ink" 1.0 0 0 0)
    (export layer "alpha-out")
    (check "stylize: layer with alpha, replaced"
           "stylize" model-file "test-ink" 1 0 0 (png "alpha-in") (png "alpha-out"))
    (cli "stylize: layer with alpha, same as the comicgan command"
         (png "alpha-in") (png "alpha-out") "--style=test-ink")
    (gimp-image-delete img)))

(define (case-offset)
  (let* ((img (new-image 100 80 RGB PRECISION-U8-GAMMA))
         (bg (add-layer img 0 100 80 RGB-IMAGE "background" 0 0 3))
         (layer (add-layer img 0 64 48 RGBA-IMAGE "offset" 23 17 5)))
    (export layer "offset-in")
    (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-paint" 0.7 0 1 32)
    (let ((new (car (gimp-image-get-active-layer img))))
      (export new "offset-new")
      (export layer "offset-after")
      (expect "stylize: new layer directly above the source, same offsets"
              (and (not (= new layer))
                   (equal? (offsets new) '(23 17))
                   (= (position img new) (- (position img layer) 1))))
      (check "stylize: offset layer into a new layer (strength 0.7, 32-pixel tiles)"
             "stylize" model-file "test-paint" 0.7 0 32 (png "offset-in") (png "offset-new"))
      (cli "stylize: offset layer, same as the comicgan command"
           (png "offset-in") (png "offset-new") "--style=test-paint" "--strength=0.7" "--tile=32")
      (check "stylize: new-layer mode leaves the source unchanged"
             "same" (png "offset-in") (png "offset-after")))
    (gimp-image-delete img)))

(define (case-selection)
  (let* ((img (new-image 96 72 RGB PRECISION-U8-GAMMA))
         (layer (add-layer img 0 90 64 RGBA-IMAGE "selection" 5 7 7)))
    (export layer "selection-in")
    (gimp-context-set-feather FALSE)
    (gimp-image-select-rectangle img CHANNEL-OP-REPLACE 30 20 40 30)
    (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-ink" 1.0 0 0 0)
    (export layer "selection-out")
    ; the rectangle in layer coordinates: image (30, 20) minus offsets (5, 7)
    (check "stylize: selection box (with the network's margin) stylized, outside unchanged"
           "stylize" model-file "test-ink" 1 0 0 (png "selection-in") (png "selection-out") 25 13 40 30)
    (gimp-image-delete img)))

(define (case-feathered)
  (let* ((img (new-image 96 72 RGB PRECISION-U8-GAMMA))
         (layer (add-layer img 0 96 72 RGB-IMAGE "feathered" 0 0 8)))
    (export layer "feathered-in")
    (gimp-context-set-feather TRUE)
    (gimp-context-set-feather-radius 10 10)
    (gimp-image-select-ellipse img CHANNEL-OP-REPLACE 24 16 48 36)
    (gimp-context-set-feather FALSE)
    (let ((box (cdr (gimp-drawable-mask-intersect layer))))
      (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-paint" 1.0 0 0 0)
      (export layer "feathered-out")
      (check "stylize: feathered selection blends the result in, outside unchanged"
             "stylize" model-file "test-paint" 1 0 0 (png "feathered-in") (png "feathered-out")
             (car box) (cadr box) (caddr box) (cadddr box) "feathered"))
    (gimp-image-delete img)))

(define (case-group)
  (let* ((img (new-image 90 70 RGB PRECISION-U8-GAMMA))
         (group (car (gimp-layer-group-new img)))
         (dummy (gimp-image-insert-layer img group 0 0))
         (a (add-layer img group 60 40 RGBA-IMAGE "a" 4 6 21))
         (b (add-layer img group 50 50 RGB-IMAGE "b" 30 15 22)))
    (punch-hole img a 10 10 30 20)
    (export a "group-a-in")
    (export b "group-b-in")
    ; a group's attention map is that of its composite
    (export group "group-composite")
    (let ((heat (car (plug-in-comicgan-attention RUN-NONINTERACTIVE img group "test-ink" ""))))
      (export heat "group-heat")
      (check "attention: of a layer group, above the group"
             "attention" model-file "test-ink" "cam" (png "group-composite") (png "group-heat"))
      (gimp-image-remove-layer img heat))
    (plug-in-comicgan-stylize RUN-NONINTERACTIVE img group "test-ink" 1.0 0 0 0)
    (export a "group-a-out")
    (export b "group-b-out")
    (check "stylize: layer group, first child" "stylize" model-file "test-ink" 1 0 0
           (png "group-a-in") (png "group-a-out"))
    (check "stylize: layer group, second child (offset)" "stylize" model-file "test-ink" 1 0 0
           (png "group-b-in") (png "group-b-out"))
    (gimp-image-delete img)))

(define (case-deep precision name)
  (let* ((img (new-image 72 56 RGB precision))
         (layer (add-layer img 0 72 56 RGB-IMAGE name 0 0 41)))
    (export layer (string-append name "-in"))
    (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-paint" 0.6 1 1 0)
    (export (car (gimp-image-get-active-layer img)) (string-append name "-new"))
    (check (string-append "stylize: " name " image, keep colours, strength 0.6, new layer")
           "stylize" model-file "test-paint" 0.6 1 0
           (png (string-append name "-in")) (png (string-append name "-new")))
    (cli (string-append "stylize: " name " image, same as the comicgan command")
         (png (string-append name "-in")) (png (string-append name "-new"))
         "--style=test-paint" "--strength=0.6" "--keep-colors")
    ; strength 0 gives the input back: any rounding to 8 bits on the way shows
    (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-paint" 0.0 0 0 0)
    (export layer (string-append name "-zero"))
    (check (string-append "stylize: " name " pixels pass without loss at strength 0")
           "same" (png (string-append name "-in")) (png (string-append name "-zero")) 0.00005)
    (gimp-image-delete img)))

(define (case-gray)
  (let* ((img (new-image 64 48 GRAY PRECISION-U8-GAMMA))
         (layer (add-layer img 0 64 48 GRAYA-IMAGE "gray" 0 0 51)))
    (export layer "gray-in")
    (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-ink" 1.0 0 0 0)
    (export layer "gray-out")
    (check "stylize: grayscale image handled" "changed" (png "gray-in") (png "gray-out"))
    (gimp-image-delete img)))

(define (case-indexed)
  (let* ((img (new-image 64 48 RGB PRECISION-U8-GAMMA))
         (layer (add-layer img 0 64 48 RGB-IMAGE "indexed" 0 0 61)))
    (gimp-image-convert-indexed img CONVERT-DITHER-NONE CONVERT-PALETTE-GENERATE 16 FALSE FALSE "")
    (export layer "indexed-in")
    (expect "stylize: indexed image refused"
            (refused? (lambda () (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-ink" 1.0 0 0 0))))
    (export layer "indexed-out")
    (check "stylize: refused indexed image left unchanged" "same" (png "indexed-in") (png "indexed-out"))
    (gimp-image-delete img)))

(define (case-frames)
  (let* ((img (new-image 64 48 RGB PRECISION-U8-GAMMA))
         (f1 (add-layer img 0 64 48 RGB-IMAGE "frame 1" 0 0 31))
         (f2 (add-layer img 0 64 48 RGB-IMAGE "frame 2" 0 0 32))
         (f3 (add-layer img 0 56 40 RGBA-IMAGE "frame 3" 4 4 33)))
    (export f1 "frames-1-in")
    (export f2 "frames-2-in")
    (export f3 "frames-3-in")
    (plug-in-comicgan-stylize-layers RUN-NONINTERACTIVE img f2 "test-ink" 1.0 0 1 0)
    (let ((layers (cadr (gimp-image-get-layers img))))
      (expect "stylize-layers: a new layer above each of the 3 frames"
              (= (vector-length layers) 6))
      (export (vector-ref layers (- (position img f1) 1)) "frames-1-out")
      (export (vector-ref layers (- (position img f2) 1)) "frames-2-out")
      (export (vector-ref layers (- (position img f3) 1)) "frames-3-out"))
    (check "stylize-layers: frames share statistics (bottom frame first)"
           "frames" model-file "test-ink" 1 0 0
           (png "frames-1-in") (png "frames-1-out") (png "frames-2-in") (png "frames-2-out")
           (png "frames-3-in") (png "frames-3-out"))
    (gimp-image-delete img)))

(define (case-frames-group)
  (let* ((img (new-image 64 48 RGB PRECISION-U8-GAMMA))
         (outside (add-layer img 0 64 48 RGB-IMAGE "outside" 0 0 71))
         (group (car (gimp-layer-group-new img)))
         (dummy (gimp-image-insert-layer img group 0 0))
         (g1 (add-layer img group 64 48 RGB-IMAGE "g1" 0 0 72))
         (g2 (add-layer img group 64 48 RGB-IMAGE "g2" 0 0 73)))
    (export outside "fgroup-outside-in")
    (export g1 "fgroup-1-in")
    (export g2 "fgroup-2-in")
    (plug-in-comicgan-stylize-layers RUN-NONINTERACTIVE img group "test-paint" 0.8 0 0 0)
    (export outside "fgroup-outside-out")
    (export g1 "fgroup-1-out")
    (export g2 "fgroup-2-out")
    ; g2 was inserted above g1: g1 is the first frame
    (check "stylize-layers: the frames of a layer group, in place"
           "frames" model-file "test-paint" 0.8 0 0
           (png "fgroup-1-in") (png "fgroup-1-out") (png "fgroup-2-in") (png "fgroup-2-out"))
    (check "stylize-layers: layers outside the group unchanged"
           "same" (png "fgroup-outside-in") (png "fgroup-outside-out"))
    (gimp-image-delete img)))

(define (case-attention)
  (let* ((img (new-image 100 80 RGB PRECISION-U8-GAMMA))
         (bg (add-layer img 0 100 80 RGB-IMAGE "background" 0 0 81))
         (layer (add-layer img 0 64 48 RGBA-IMAGE "subject" 11 9 82)))
    (export layer "attention-in")
    (let ((heat (car (plug-in-comicgan-attention RUN-NONINTERACTIVE img layer "test-ink" "cam"))))
      (export heat "attention-heat")
      (expect "attention: heatmap layer above the drawable, same size and offsets, see-through"
              (and (equal? (offsets heat) '(11 9))
                   (= (car (gimp-drawable-width heat)) 64)
                   (= (car (gimp-drawable-height heat)) 48)
                   (= (position img heat) (- (position img layer) 1))
                   (< 0 (car (gimp-layer-get-opacity heat)) 100)))
      (check "attention: heatmap pixels" "attention" model-file "test-ink" "cam"
             (png "attention-in") (png "attention-heat")))
    (expect "attention: an unknown attention point is refused"
            (refused? (lambda () (plug-in-comicgan-attention RUN-NONINTERACTIVE img layer "test-ink" "nope"))))
    (gimp-image-delete img)))

(define (case-last-values)
  (let* ((img (new-image 64 48 RGB PRECISION-U8-GAMMA))
         (a (add-layer img 0 64 48 RGB-IMAGE "a" 0 0 91))
         (b (add-layer img 0 64 48 RGB-IMAGE "b" 0 0 92)))
    (export b "last-in")
    (plug-in-comicgan-stylize RUN-NONINTERACTIVE img a "test-paint" 0.5 1 0 0)
    ; the arguments after the drawable are ignored with the last values
    (plug-in-comicgan-stylize RUN-WITH-LAST-VALS img b "" 0.0 0 0 0)
    (export b "last-out")
    (check "stylize: RUN-WITH-LAST-VALS repeats the last values"
           "stylize" model-file "test-paint" 0.5 1 0 (png "last-in") (png "last-out"))
    (gimp-image-delete img)))

(define (case-bad-arguments)
  (let* ((img (new-image 64 48 RGB PRECISION-U8-GAMMA))
         (layer (add-layer img 0 64 48 RGBA-IMAGE "target" 0 0 95))
         (other (new-image 16 16 RGB PRECISION-U8-GAMMA))
         (stranger (add-layer other 0 16 16 RGB-IMAGE "stranger" 0 0 96))
         (mask (car (gimp-layer-create-mask layer ADD-MASK-WHITE))))
    (gimp-layer-add-mask layer mask)
    (export layer "bad-in")
    (refuses "unknown style"
             (lambda () (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "no-such-style" 1.0 0 0 0)))
    (refuses "strength 1.5" (lambda () (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-ink" 1.5 0 0 0)))
    (refuses "strength -0.1" (lambda () (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-ink" -0.1 0 0 0)))
    (refuses "keep-colors 2" (lambda () (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-ink" 1.0 2 0 0)))
    (refuses "output-mode 7" (lambda () (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-ink" 1.0 0 7 0)))
    (refuses "tile-size 5" (lambda () (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-ink" 1.0 0 0 5)))
    (refuses "tile-size 99999"
             (lambda () (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-ink" 1.0 0 0 99999)))
    (refuses "a drawable of another image"
             (lambda () (plug-in-comicgan-stylize RUN-NONINTERACTIVE img stranger "test-ink" 1.0 0 0 0)))
    (refuses "a layer mask as drawable"
             (lambda () (plug-in-comicgan-stylize RUN-NONINTERACTIVE img mask "test-ink" 1.0 0 0 0)))
    (refuses "stylize-layers with an unknown style"
             (lambda () (plug-in-comicgan-stylize-layers RUN-NONINTERACTIVE img layer "nope" 1.0 0 0 0)))
    (refuses "interactive run without a display"
             (lambda () (plug-in-comicgan-stylize RUN-INTERACTIVE img layer "test-ink" 1.0 0 0 0)))
    (export layer "bad-out")
    (check "refused calls leave the layer unchanged" "same" (png "bad-in") (png "bad-out"))
    (gimp-image-delete other)
    (gimp-image-delete img)))

(define (case-reference)
  (let* ((img (new-image 80 60 RGB PRECISION-U8-GAMMA))
         (layer (add-layer img 0 80 60 RGBA-IMAGE "photo" 0 0 111))
         (other (add-layer img 0 80 60 RGB-IMAGE "other" 0 0 113))
         (ref-img (new-image 48 40 RGB PRECISION-U8-GAMMA))
         (ref (add-layer ref-img 0 48 40 RGB-IMAGE "reference" 0 0 112)))
    (punch-hole img layer 20 15 40 30)
    (export layer "reference-in")
    (export other "reference-other-in")
    (export ref "reference-ref")
    ; the reference belongs to another open image
    (plug-in-comicgan-stylize-reference RUN-NONINTERACTIVE img layer ref 1.0 0 0)
    (export layer "reference-out")
    (check "stylize-reference: the layer is stylized" "changed" (png "reference-in") (png "reference-out"))
    (cli-reference "stylize-reference: reference colours, same as comicgan stylize --reference"
                   (png "reference-in") (png "reference-out") (png "reference-ref"))
    (plug-in-comicgan-stylize-reference RUN-NONINTERACTIVE img layer ref 0.6 1 1)
    (let ((new (car (gimp-image-get-active-layer img))))
      (export new "reference-kept")
      (expect "stylize-reference: new layer directly above the source"
              (and (not (= new layer)) (= (position img new) (- (position img layer) 1))))
      (cli-reference "stylize-reference: the image's colours, strength 0.6, same as comicgan stylize --reference"
                     (png "reference-out") (png "reference-kept") (png "reference-ref")
                     "--keep-colors" "--strength=0.6"))
    ; the arguments after the drawable are ignored with the last values
    (plug-in-comicgan-stylize-reference RUN-WITH-LAST-VALS img other -1 0.0 0 0)
    (export (car (gimp-image-get-active-layer img)) "reference-last")
    (cli-reference "stylize-reference: RUN-WITH-LAST-VALS repeats the reference and the values"
                   (png "reference-other-in") (png "reference-last") (png "reference-ref")
                   "--keep-colors" "--strength=0.6")
    (gimp-image-delete ref-img)
    (gimp-image-delete img)))

; A refused reference leaves the image as it was: same pixels, no new
; layer, nothing on the undo stack (the image stays clean).
(define (refuses-reference name description message call)
  (let* ((img (new-image 64 48 RGB PRECISION-U8-GAMMA))
         (layer (add-layer img 0 64 48 RGBA-IMAGE "target" 0 0 121)))
    (export layer (string-append name "-in"))
    (gimp-image-clean-all img)
    (refuses description (lambda () (call img layer)))
    (export layer (string-append name "-out"))
    (expect (string-append description ": no layer added, the image untouched (clean)")
            (and (= (car (gimp-image-get-layers img)) 1) (= (car (gimp-image-is-dirty img)) 0)))
    (check (string-append description ": the layer unchanged")
           "same" (png (string-append name "-in")) (png (string-append name "-out")))
    (logged (string-append description ": the error says why") message)
    (gimp-image-delete img)))

(define (case-bad-reference)
  (let* ((tiny-img (new-image 1 1 RGB PRECISION-U8-GAMMA))
         (tiny (add-layer tiny-img 0 1 1 RGB-IMAGE "tiny" 0 0 122))
         (closed-img (new-image 32 32 RGB PRECISION-U8-GAMMA))
         (closed (add-layer closed-img 0 32 32 RGB-IMAGE "closed" 0 0 123))
         (good-img (new-image 32 32 RGB PRECISION-U8-GAMMA))
         (good (add-layer good-img 0 32 32 RGB-IMAGE "good" 0 0 124)))
    (gimp-image-delete closed-img)
    ; GIMP itself refuses the ID of a layer that is gone
    (refuses-reference "bad-reference-tiny" "a 1x1 reference" "The reference \"tiny\" is 1x1 pixels"
                       (lambda (img layer)
                         (plug-in-comicgan-stylize-reference RUN-NONINTERACTIVE img layer tiny 1.0 0 0)))
    (refuses-reference "bad-reference-closed" "a reference of a closed image" "invalid ID for argument 'reference'"
                       (lambda (img layer)
                         (plug-in-comicgan-stylize-reference RUN-NONINTERACTIVE img layer closed 1.0 0 0)))
    (refuses-reference "bad-reference-colors" "colour mode 2" "color-mode must be 0"
                       (lambda (img layer)
                         (plug-in-comicgan-stylize-reference RUN-NONINTERACTIVE img layer good 1.0 2 0)))
    (refuses-reference "bad-reference-style" "a reference style without a reference" "takes its style from a reference picture"
                       (lambda (img layer)
                         (plug-in-comicgan-stylize RUN-NONINTERACTIVE img layer "test-reference" 1.0 0 0 0)))
    ; the last values keep the reference's ID; its image closed since, the plug-in says so
    (let* ((img (new-image 32 32 RGB PRECISION-U8-GAMMA))
           (layer (add-layer img 0 32 32 RGB-IMAGE "scratch" 0 0 125)))
      (plug-in-comicgan-stylize-reference RUN-NONINTERACTIVE img layer good 1.0 0 0)
      (gimp-image-delete img))
    (gimp-image-delete good-img)
    (refuses-reference "bad-reference-last" "the last values' reference, its image closed since"
                       "The reference drawable does not exist"
                       (lambda (img layer)
                         (plug-in-comicgan-stylize-reference RUN-WITH-LAST-VALS img layer -1 1.0 0 0)))
    (gimp-image-delete tiny-img)))

(define (case-python-fu)
  (if (= (car (gimp-procedural-db-proc-exists "python-fu-eval")) 0)
      (emit "skip Python-Fu batch call|this GIMP has no Python-Fu (python-fu-eval)")
      (emit "python-fu")))

(define (run-case name thunk)
  (catch (emit "not-ok " name " (Script-Fu error, see the log)")
         (thunk)))

(gimp-context-push)
(run-case "layer with alpha" case-alpha)
(run-case "offset layer" case-offset)
(run-case "selection" case-selection)
(run-case "feathered selection" case-feathered)
(run-case "layer group" case-group)
(run-case "16-bit image" (lambda () (case-deep PRECISION-U16-GAMMA "16-bit")))
(run-case "32-bit float image" (lambda () (case-deep PRECISION-FLOAT-GAMMA "32-bit-float")))
(run-case "grayscale image" case-gray)
(run-case "indexed image" case-indexed)
(run-case "frames" case-frames)
(run-case "frames of a group" case-frames-group)
(run-case "attention" case-attention)
(run-case "last values" case-last-values)
(run-case "bad arguments" case-bad-arguments)
(run-case "reference" case-reference)
(run-case "bad references" case-bad-reference)
(run-case "Python-Fu" case-python-fu)
(gimp-context-pop)
(emit "done")
(close-output-port manifest)
