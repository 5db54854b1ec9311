/* comicgan — images in memory and on disk.
 *
 * In memory an image is always float RGBA, interleaved, rows top to bottom,
 * straight (not premultiplied) alpha, colour values gamma-encoded R'G'B' in
 * [0, 1] — the same as GEGL's "R'G'B'A float", so the GIMP and Krita front
 * ends can hand their pixels over without conversion. On disk, the original
 * channel layout and bit depth are remembered so a file is written back in a
 * form compatible with the one it came from. */
#ifndef COMICGAN_IMAGE_H
#define COMICGAN_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "comicgan/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest width or height accepted anywhere (loaders, stylize, front ends). */
#define CG_IMAGE_MAX_SIDE 32768

/* Largest width * height accepted anywhere: 16384 * 16384 pixels, 4 GiB as
 * float RGBA. Loaders check both limits before they allocate any pixels. */
#define CG_IMAGE_MAX_PIXELS ((size_t)16384 * 16384)

typedef enum cg_sample_format {
    CG_SAMPLE_U8 = 0,
    CG_SAMPLE_U16,
    CG_SAMPLE_F32,
} cg_sample_format;

typedef struct cg_image {
    int width, height;
    float *pixels;            /* width * height * 4 floats, 64-byte aligned */
    int source_channels;      /* 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (as loaded) */
    cg_sample_format source_format;
    int source_frames;        /* frames or pages the file holds (1: a still image); only
                                 the first was read */
} cg_image;

/* A new image, every pixel (0,0,0,0), source RGBA/F32. Caller frees with
 * cg_image_free. NULL and err filled if a side is < 1 or > CG_IMAGE_MAX_SIDE,
 * width * height > CG_IMAGE_MAX_PIXELS, or memory runs out. */
cg_image *cg_image_new(int width, int height, cg_error *err);

/* Frees the image and its pixels; NULL is fine. */
void cg_image_free(cg_image *img);

/* A deep copy; NULL and err filled on failure. Caller frees. */
cg_image *cg_image_copy(const cg_image *img, cg_error *err);

/* Pointer to pixel (x, y)'s four floats. No bounds check. */
static inline float *cg_image_at(const cg_image *img, int x, int y)
{
    return img->pixels + ((size_t)y * (size_t)img->width + (size_t)x) * 4;
}

/* A new width x height copy of src (any sizes, larger or smaller), every
 * channel alpha included filtered alike: a triangle filter widened by the
 * shrink factor when shrinking (antialiased, every source pixel counted, as
 * PIL's bilinear resize), plain bilinear when enlarging; pixel centres line
 * up ((x + 0.5) * src->width / width). Caller frees. NULL and err filled for
 * bad sizes (see cg_image_new) or no memory. */
cg_image *cg_image_resize(const cg_image *src, int width, int height, cg_error *err);

/* True if R == G == B in every pixel (alpha not looked at). */
bool cg_image_is_gray(const cg_image *img);

/* True if some pixel's alpha is below 1. */
bool cg_image_has_alpha(const cg_image *img);

/* Reads a PNG, JPEG, GIF, WebP or TIFF file, the format told by its first bytes,
 * not its name; 16-bit samples keep full precision, source_channels and
 * source_format say what the file held. Caller frees. NULL and err filled
 * (message naming the file) when it cannot be read or is not a regular file
 * (CG_ERR_IO: a FIFO or device is refused without waiting on it), is not an
 * image or is truncated or corrupt (CG_ERR_FORMAT), is over the size limits
 * or a kind not handled (CG_ERR_UNSUPPORTED), holds NaN or Inf
 * (CG_ERR_NUMERIC), or memory runs out (CG_ERR_NOMEM). Handled: PNG of any
 * depth and colour type; JPEG gray, RGB, CMYK (naively); WebP; TIFF's
 * first page, gray/RGB(A) 8/16-bit or float natively, other kinds (palette,
 * 1-bit, YCbCr...) as 8-bit through libtiff; GIF and animated WebP: the
 * first frame (cg_animation_load in animation.h reads them all). Of a
 * multi-page TIFF or an animated GIF or WebP only the first frame or page is
 * read: source_frames says how many the file holds, for front ends to tell. Colour profiles and gamma tags
 * are ignored: pixels are taken as sRGB-encoded. */
cg_image *cg_image_load(const char *path, cg_error *err);

/* cg_image_load on bytes already in memory (size of them, not copied, not
 * kept); name is only used in messages and may be NULL. */
cg_image *cg_image_load_memory(const void *data, size_t size, const char *name,
                               cg_error *err);

/* How cg_image_save writes; all zero (or a NULL pointer) means "as loaded". */
typedef struct cg_image_save_options {
    /* 8, 16, or 32 (float). 0: the image's source_format where the file
     * format has it, else the nearest it has (PNG 8/16, TIFF 8/16/32,
     * JPEG and WebP 8). */
    int bits;
    /* 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA (colour turns gray by Rec. 709
     * luma). 0: gray if the source was gray and the image still is, alpha if
     * the source had alpha or some alpha < 1. JPEG has no alpha: dropped by
     * default, CG_ERR_UNSUPPORTED if asked for. WebP has no gray layout and
     * stores gray as RGB. */
    int channels;
    /* JPEG and WebP quality, 1..100; 0: 90. */
    int quality;
    /* WebP only: lossless, keeping the colour of transparent pixels. */
    bool lossless;
} cg_image_save_options;

/* Writes img to path; the format comes from the extension (.png, .jpg,
 * .jpeg, .webp, .tif, .tiff, .gif, any case). GIF is 8-bit indexed: as one
 * frame of cg_animation_save (a palette of the image's own colours, alpha
 * below 0.5 transparent). Integer samples are v clamped to
 * [0, 1] and rounded (lrintf(v * 255) or lrintf(v * 65535)); float TIFF
 * keeps the values exactly. Atomic: the file is written under a temporary
 * name in the same folder, synced and renamed over path, so path ends up
 * either the complete new file or as it was before (an existing file's
 * permissions are kept). Returns CG_OK, or an error with err filled and
 * nothing left behind: unknown extension, a layout or depth the format
 * cannot store, or a side too large for it (CG_ERR_UNSUPPORTED), bad options
 * (CG_ERR_INVALID), NaN or Inf pixels (CG_ERR_NUMERIC), a write failure
 * (CG_ERR_IO), no memory (CG_ERR_NOMEM). opts may be NULL. */
cg_status cg_image_save(const cg_image *img, const char *path,
                        const cg_image_save_options *opts, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
