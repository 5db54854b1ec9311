/* libFuzzer target: the image loaders (PNG, JPEG, WebP, GIF, TIFF) on
 * arbitrary bytes, whole and by rows.
 *
 * Besides crashes and sanitizer reports, it checks what the rest of comicgan
 * relies on: a loaded image is within the size limits, every value finite and
 * in [0, 1] for the integer formats, gray files gray and alpha 1 where the
 * file has none; and reading the same bytes by rows, in bands of 1, 2, 3...
 * rows, gives the same pixels, or fails where the whole load failed. */
#include "comicgan/image.h"
#include "io/image_rows.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond) \
    do { \
        if (!(cond)) \
            abort(); \
    } while (0)

/* Keeps each input quick: larger images are decoded, not compared. */
#define MAX_CHECKED_PIXELS (1 << 20)

static void check_image(const cg_image *img)
{
    CHECK(img->width >= 1 && img->height >= 1 && img->width <= CG_IMAGE_MAX_SIDE &&
          img->height <= CG_IMAGE_MAX_SIDE);
    CHECK(img->source_channels >= 1 && img->source_channels <= 4);
    size_t n = (size_t)img->width * img->height;
    if (n > MAX_CHECKED_PIXELS)
        return;
    for (size_t i = 0; i < n; i++) {
        const float *p = img->pixels + 4 * i;
        for (int c = 0; c < 4; c++) {
            CHECK(isfinite(p[c]));
            if (img->source_format != CG_SAMPLE_F32)
                CHECK(p[c] >= 0 && p[c] <= 1);
        }
        if (img->source_channels <= 2)
            CHECK(p[1] == p[0] && p[2] == p[0]);
        if (img->source_channels == 1 || img->source_channels == 3)
            CHECK(p[3] == 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cg_error err = {0};
    cg_image *img = cg_image_load_memory(data, size, "fuzz", &err);
    if (!img) {
        CHECK(err.code != CG_OK && err.message[0]);
        return 0;
    }
    check_image(img);
    if ((size_t)img->width * img->height <= MAX_CHECKED_PIXELS) {
        cg_io_source src = {.fd = -1, .data = data, .size = size, .name = "fuzz"};
        cg_io_rows *r = cg_io_rows_open(&src, &err);
        CHECK(r && r->width == img->width && r->height == img->height && r->channels == img->source_channels &&
              r->format == img->source_format);
        float *band = malloc(sizeof(float) * 4 * (size_t)img->width * 8);
        CHECK(band);
        for (int y = 0, n = 1; y < img->height; y += n, n = n % 8 + 1) {
            if (n > img->height - y)
                n = img->height - y;
            CHECK(cg_io_rows_read(r, band, n, &err) == CG_OK);
            CHECK(memcmp(band, cg_image_at(img, 0, y), sizeof(float) * 4 * (size_t)img->width * n) == 0);
        }
        free(band);
        cg_io_rows_close(r);
    }
    cg_image_free(img);
    return 0;
}
