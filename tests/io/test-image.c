/* Image files <-> cg_image: round trips for every format and depth, and
 * files written the ways comicgan does not write them (CMYK JPEG, palette
 * PNG, tiled TIFF...). The bad-input tests are in test-image-bad.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <jpeglib.h>
#include <png.h>
#include <tiffio.h>

#include "image-testutil.h"
#include "io/image_rows.h"
#include "io/resize.h"

#include <unistd.h>

/* ---- cg_image itself ---------------------------------------------------- */

static void test_new(void)
{
    cg_error err = {0};
    cg_image *img = cg_image_new(3, 2, &err);
    g_assert_nonnull(img);
    g_assert_cmpuint((uintptr_t)img->pixels % 64, ==, 0);
    for (int i = 0; i < 3 * 2 * 4; i++)
        g_assert_cmpfloat(img->pixels[i], ==, 0.0f);
    g_assert_true(cg_image_is_gray(img));
    g_assert_true(cg_image_has_alpha(img));
    cg_image_at(img, 2, 1)[0] = 0.5f;
    cg_image *c = cg_image_copy(img, &err);
    g_assert_nonnull(c);
    g_assert_true(c->pixels != img->pixels);
    g_assert_cmpfloat(cg_image_at(c, 2, 1)[0], ==, 0.5f);
    g_assert_false(cg_image_is_gray(c));
    cg_image_free(c);
    cg_image_free(img);
    cg_image_free(NULL);

    const int bad[][2] = {{0, 1}, {1, 0}, {-1, 5}, {CG_IMAGE_MAX_SIDE + 1, 1},
                          {CG_IMAGE_MAX_SIDE, CG_IMAGE_MAX_SIDE}, {16384, 16385}};
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        cg_error_clear(&err);
        g_assert_null(cg_image_new(bad[i][0], bad[i][1], &err));
        g_assert_cmpint(err.code, ==, CG_ERR_INVALID);
        g_assert_cmpstr(err.message, !=, "");
    }
    g_assert_null(cg_image_new(0, 0, NULL));
    g_assert_null(cg_image_copy(NULL, &err));
}

/* ---- round trips -------------------------------------------------------- */

static void roundtrip_exact(const char *ext, int bits, double tol)
{
    for (int ch = 1; ch <= 4; ch++) {
        cg_image *img = make_image(37, 23, ch, bits, (guint32)(ch * 100 + bits));
        char *name = g_strdup_printf("rt-%d-%d.%s", bits, ch, ext);
        cg_image *back = save_and_load(img, name, NULL);
        g_assert_cmpint(back->source_channels, ==, ch);
        g_assert_cmpint(back->source_format, ==, img->source_format);
        if (bits == 32)
            g_assert_cmpmem(back->pixels, 37 * 23 * 16, img->pixels, 37 * 23 * 16);
        g_assert_cmpfloat(max_diff(img, back, NULL), <=, tol);
        if (ch <= 2)
            g_assert_true(cg_image_is_gray(back));
        g_free(name);
        cg_image_free(back);
        cg_image_free(img);
    }
}

static void test_png8(void) { roundtrip_exact("png", 8, 0); }
static void test_png16(void) { roundtrip_exact("png", 16, 0.5 / 65535); }
static void test_tiff8(void) { roundtrip_exact("tif", 8, 0); }
static void test_tiff16(void) { roundtrip_exact("tiff", 16, 0.5 / 65535); }
static void test_tiff_float(void) { roundtrip_exact("TIF", 32, 0); }

/* One-pixel sides in every format. */
static void test_tiny(void)
{
    const char *names[] = {"tiny.png", "tiny.tif", "tiny.webp", "tiny.jpg"};
    const int sizes[][2] = {{1, 1}, {1, 300}, {300, 1}};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        for (size_t k = 0; k < G_N_ELEMENTS(sizes); k++) {
            cg_image *img = make_image(sizes[k][0], sizes[k][1], 3, 8, (guint32)k);
            cg_image_save_options o = {.lossless = true, .quality = 100};
            cg_image *back = save_and_load(img, names[i], &o);
            g_assert_cmpint(back->width, ==, sizes[k][0]);
            g_assert_cmpint(back->height, ==, sizes[k][1]);
            if (i < 3)
                g_assert_cmpfloat(max_diff(img, back, NULL), ==, 0);
            cg_image_free(back);
            cg_image_free(img);
        }
}

static void test_jpeg(void)
{
    for (int gray = 0; gray <= 1; gray++) {
        cg_image *img = make_smooth(64, 48, gray);
        cg_image_save_options o = {.quality = 95};
        cg_image *back = save_and_load(img, gray ? "smooth-gray.jpg" : "smooth.JPEG", &o);
        double mean, m = max_diff(img, back, &mean);
        g_test_message("JPEG %s: max error %g, mean %g", gray ? "gray" : "RGB", m, mean);
        g_assert_cmpfloat(m, <, 0.08);
        g_assert_cmpfloat(mean, <, 0.01);
        g_assert_cmpint(back->source_channels, ==, gray ? 1 : 3);
        g_assert_cmpint(back->source_format, ==, CG_SAMPLE_U8);
        g_assert_true(cg_image_is_gray(back) == (bool)gray);
        cg_image_free(back);
        cg_image_free(img);
    }
}

static void test_webp(void)
{
    cg_image_save_options lossless = {.lossless = true};
    for (int ch = 1; ch <= 4; ch++) {
        cg_image *img = make_image(29, 31, ch, 8, (guint32)ch);
        char *name = g_strdup_printf("rt-%d.webp", ch);
        cg_image *back = save_and_load(img, name, &lossless);
        /* WebP has no gray layout: gray comes back as (gray) RGB. */
        g_assert_cmpint(back->source_channels, ==, ch == 2 || ch == 4 ? 4 : 3);
        g_assert_cmpfloat(max_diff(img, back, NULL), ==, 0);
        g_free(name);
        cg_image_free(back);
        cg_image_free(img);
    }
    cg_image *img = make_smooth(64, 48, false);
    cg_image *back = save_and_load(img, "lossy.webp", &(cg_image_save_options){.quality = 95});
    double mean, m = max_diff(img, back, &mean);
    g_test_message("lossy WebP: max error %g, mean %g", m, mean);
    g_assert_cmpfloat(mean, <, 0.01);
    cg_image_free(back);
    cg_image_free(img);
}

/* CMYK as Photoshop writes it: inverted inks, with an Adobe marker. */
static void test_jpeg_cmyk(void)
{
    enum { W = 16, H = 8 };
    char *path = tmp_path("cmyk.jpg");
    FILE *f = fopen(path, "wb");
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    g_assert_nonnull(f);
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = W, c.image_height = H, c.input_components = 4;
    c.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    jpeg_start_compress(&c, TRUE);
    JSAMPLE row[W * 4];
    for (int x = 0; x < W; x++) /* left half red, right half 50% gray (K only) */
        memcpy(row + 4 * x, x < W / 2 ? (JSAMPLE[4]){255, 0, 0, 255} : (JSAMPLE[4]){255, 255, 255, 128}, 4);
    JSAMPROW rows[1] = {row};
    for (int y = 0; y < H; y++)
        jpeg_write_scanlines(&c, rows, 1);
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);

    cg_image *img = load_ok("cmyk.jpg");
    g_assert_cmpint(img->source_channels, ==, 3);
    const float *red = cg_image_at(img, 2, 3), *gray = cg_image_at(img, 13, 3);
    g_assert_cmpfloat(fabsf(red[0] - 1.0f), <, 0.02f);
    g_assert_cmpfloat(red[1], <, 0.02f);
    g_assert_cmpfloat(red[2], <, 0.02f);
    g_assert_cmpfloat(fabsf(gray[0] - 128 / 255.0f), <, 0.02f);
    g_assert_cmpfloat(fabsf(gray[2] - 128 / 255.0f), <, 0.02f);
    cg_image_free(img);
    g_free(path);
}

/* The defaults follow the image; explicit options override them. */
static void test_save_options(void)
{
    cg_error err = {0};
    /* Loaded gray but now coloured: written as colour. */
    cg_image *img = make_image(8, 8, 1, 8, 1);
    cg_image_at(img, 3, 3)[1] = 64 / 255.0f;
    cg_image *back = save_and_load(img, "was-gray.png", NULL);
    g_assert_cmpint(back->source_channels, ==, 3);
    g_assert_cmpfloat(max_diff(img, back, NULL), ==, 0);
    cg_image_free(back);
    /* RGB source with some transparency now: alpha is kept. */
    img->source_channels = 3;
    cg_image_at(img, 1, 1)[3] = 0.0f;
    back = save_and_load(img, "gained-alpha.tif", NULL);
    g_assert_cmpint(back->source_channels, ==, 4);
    g_assert_cmpfloat(cg_image_at(back, 1, 1)[3], ==, 0.0f);
    cg_image_free(back);
    /* ...but JPEG drops it by default. */
    back = save_and_load(img, "no-alpha.jpg", NULL);
    g_assert_cmpint(back->source_channels, ==, 3);
    g_assert_false(cg_image_has_alpha(back));
    cg_image_free(back);
    /* Float source to PNG: 16 bits; out-of-range values clamped. */
    cg_image_free(img);
    img = make_image(16, 16, 3, 32, 7);
    back = save_and_load(img, "float.png", NULL);
    g_assert_cmpint(back->source_format, ==, CG_SAMPLE_U16);
    for (int i = 0; i < 16 * 16 * 4; i++)
        g_assert_cmpfloat(fabsf(back->pixels[i] - fminf(fmaxf(img->pixels[i], 0), 1)), <=,
                          0.5f / 65535 + 1e-7f);
    cg_image_free(back);
    /* Explicit: 8-bit gray from colour (Rec. 709 luma). */
    cg_image_save_options o = {.bits = 8, .channels = 1};
    cg_image *rgb = make_smooth(16, 16, false);
    back = save_and_load(rgb, "luma.png", &o);
    g_assert_cmpint(back->source_channels, ==, 1);
    g_assert_cmpint(back->source_format, ==, CG_SAMPLE_U8);
    const float *p = cg_image_at(rgb, 5, 9);
    float y = 0.2126f * p[0] + 0.7152f * p[1] + 0.0722f * p[2];
    g_assert_cmpfloat(fabsf(cg_image_at(back, 5, 9)[0] - y), <=, 0.5f / 255 + 1e-6f);
    cg_image_free(back);
    /* Explicit float TIFF from 8-bit data. */
    back = save_and_load(rgb, "as-float.tif", &(cg_image_save_options){.bits = 32});
    g_assert_cmpint(back->source_format, ==, CG_SAMPLE_F32);
    g_assert_cmpfloat(max_diff(rgb, back, NULL), ==, 0);
    cg_image_free(back);

    /* Refused before any file is created. */
    struct { const char *name; cg_image_save_options o; cg_status code; } bad[] = {
        {"x.jpg", {.bits = 16}, CG_ERR_UNSUPPORTED},
        {"x.jpg", {.channels = 4}, CG_ERR_UNSUPPORTED},
        {"x.png", {.bits = 32}, CG_ERR_UNSUPPORTED},
        {"x.webp", {.bits = 16}, CG_ERR_UNSUPPORTED},
        {"x.png", {.bits = 12}, CG_ERR_INVALID},
        {"x.png", {.channels = 5}, CG_ERR_INVALID},
        {"x.jpg", {.quality = 101}, CG_ERR_INVALID},
        {"x.bmp", {0}, CG_ERR_UNSUPPORTED},
        {"noextension", {0}, CG_ERR_UNSUPPORTED},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        char *path = tmp_path(bad[i].name);
        cg_error_clear(&err);
        g_assert_cmpint(cg_image_save(rgb, path, &bad[i].o, &err), ==, bad[i].code);
        g_assert_nonnull(strstr(err.message, path));
        g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
        g_free(path);
    }
    cg_image *wide = cg_image_new(16384, 1, NULL);
    char *path = tmp_path("wide.webp");
    g_assert_cmpint(cg_image_save(wide, path, NULL, &err), ==, CG_ERR_UNSUPPORTED);
    g_assert_cmpint(cg_image_save(NULL, path, NULL, &err), ==, CG_ERR_INVALID);
    g_free(path);
    cg_image_free(wide);
    cg_image_free(rgb);
    cg_image_free(img);
}

/* ---- files in forms comicgan does not write ----------------------------- */

static void write_png(const char *name, int w, int h, int depth, int type, bool interlace,
                      const uint8_t *rows, size_t rowbytes, const png_color *pal, int npal,
                      const png_byte *trans, int ntrans, const png_color_16 *trans_gray)
{
    char *path = tmp_path(name);
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    g_assert_nonnull(f);
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, type,
                 interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (pal)
        png_set_PLTE(png, info, pal, npal);
    if (trans || trans_gray)
        png_set_tRNS(png, info, trans, ntrans, trans_gray);
    png_write_info(png, info);
    png_bytep rp[64];
    g_assert_cmpint(h, <=, 64);
    for (int y = 0; y < h; y++)
        rp[y] = (png_bytep)rows + rowbytes * (size_t)y;
    png_write_image(png, rp);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    fclose(f);
    g_free(path);
}

static void test_png_kinds(void)
{
    cg_error err = {0};
    /* Palette with a transparent entry. */
    const png_color pal[3] = {{255, 0, 0}, {0, 255, 0}, {10, 20, 30}};
    const png_byte trans[1] = {0};
    const uint8_t idx[2 * 4] = {0, 1, 2, 1, 2, 2, 0, 1};
    write_png("palette.png", 4, 2, 8, PNG_COLOR_TYPE_PALETTE, false, idx, 4, pal, 3, trans, 1, NULL);
    char *path = tmp_path("palette.png");
    cg_image *img = cg_image_load(path, &err);
    g_assert_nonnull(img);
    g_assert_cmpint(img->source_channels, ==, 4);
    g_assert_cmpint(img->source_format, ==, CG_SAMPLE_U8);
    g_assert_cmpfloat(cg_image_at(img, 0, 0)[3], ==, 0.0f);
    g_assert_cmpfloat(cg_image_at(img, 0, 0)[0], ==, 1.0f);
    g_assert_cmpfloat(cg_image_at(img, 2, 0)[2], ==, 30 / 255.0f);
    g_assert_cmpfloat(cg_image_at(img, 2, 0)[3], ==, 1.0f);
    cg_image_free(img);
    g_free(path);

    /* 2-bit gray: 0..3 become 0, 1/3, 2/3, 1. */
    const uint8_t g2[2] = {0x1b, 0xe4}; /* 0 1 2 3, 3 2 1 0 */
    write_png("gray2.png", 4, 2, 2, PNG_COLOR_TYPE_GRAY, false, g2, 1, NULL, 0, NULL, 0, NULL);
    path = tmp_path("gray2.png");
    img = cg_image_load(path, &err);
    g_assert_nonnull(img);
    g_assert_cmpint(img->source_channels, ==, 1);
    g_assert_cmpfloat(cg_image_at(img, 1, 0)[0], ==, 85 / 255.0f);
    g_assert_cmpfloat(cg_image_at(img, 0, 1)[2], ==, 1.0f);
    cg_image_free(img);
    g_free(path);

    /* Gray with a transparent value: gray + alpha. */
    const png_color_16 tg = {.gray = 7};
    const uint8_t g8[3] = {7, 8, 9};
    write_png("graytrns.png", 3, 1, 8, PNG_COLOR_TYPE_GRAY, false, g8, 3, NULL, 0, NULL, 0, &tg);
    path = tmp_path("graytrns.png");
    img = cg_image_load(path, &err);
    g_assert_nonnull(img);
    g_assert_cmpint(img->source_channels, ==, 2);
    g_assert_cmpfloat(cg_image_at(img, 0, 0)[3], ==, 0.0f);
    g_assert_cmpfloat(cg_image_at(img, 1, 0)[3], ==, 1.0f);
    cg_image_free(img);
    g_free(path);

    /* Interlaced 16-bit RGBA (big-endian in the file). */
    enum { W = 13, H = 11 };
    uint8_t rgba16[W * H * 8];
    GRand *r = g_rand_new_with_seed(5);
    for (size_t i = 0; i < sizeof rgba16; i++)
        rgba16[i] = (uint8_t)g_rand_int_range(r, 0, 256);
    g_rand_free(r);
    write_png("adam7.png", W, H, 16, PNG_COLOR_TYPE_RGB_ALPHA, true, rgba16, W * 8, NULL, 0, NULL,
              0, NULL);
    path = tmp_path("adam7.png");
    img = cg_image_load(path, &err);
    g_assert_nonnull(img);
    g_assert_cmpint(img->source_channels, ==, 4);
    g_assert_cmpint(img->source_format, ==, CG_SAMPLE_U16);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 4; c++) {
                const uint8_t *s = rgba16 + ((size_t)y * W + (size_t)x) * 8 + c * 2;
                g_assert_cmpfloat(cg_image_at(img, x, y)[c], ==, (s[0] << 8 | s[1]) / 65535.0f);
            }
    cg_image_free(img);
    g_free(path);
}

typedef struct tiff_spec {
    uint32_t w, h;
    uint16_t spp, bits, format, photometric, planar, extra;
    uint32_t tile; /* 0: strips */
} tiff_spec;

/* Writes `data` (contig layout, or plane after plane when separate). */
static void write_tiff(const char *name, const tiff_spec *s, const void *data, const uint16_t *cmap)
{
    char *path = tmp_path(name);
    TIFF *t = TIFFOpen(path, "w");
    g_assert_nonnull(t);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, s->w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, s->h);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, s->spp);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s->bits);
    TIFFSetField(t, TIFFTAG_SAMPLEFORMAT, s->format);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, s->photometric);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, s->planar);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
    if (s->extra) {
        uint16_t e = s->extra;
        TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &e);
    }
    if (cmap)
        TIFFSetField(t, TIFFTAG_COLORMAP, cmap, cmap + 256, cmap + 512);
    bool sep = s->planar == PLANARCONFIG_SEPARATE;
    size_t px = sep ? 1 : s->spp, bytes = (size_t)(s->bits / 8);
    size_t plane = (size_t)s->w * s->h * bytes;
    const uint8_t *d = data;
    if (s->tile) {
        TIFFSetField(t, TIFFTAG_TILEWIDTH, s->tile);
        TIFFSetField(t, TIFFTAG_TILELENGTH, s->tile);
        uint8_t *buf = g_malloc0((size_t)TIFFTileSize(t));
        g_assert_false(sep);
        for (uint32_t y0 = 0; y0 < s->h; y0 += s->tile)
            for (uint32_t x0 = 0; x0 < s->w; x0 += s->tile) {
                memset(buf, 0, (size_t)TIFFTileSize(t));
                for (uint32_t y = y0; y < MIN(y0 + s->tile, s->h); y++)
                    for (uint32_t x = x0; x < MIN(x0 + s->tile, s->w); x++)
                        memcpy(buf + (((y - y0) * s->tile) + (x - x0)) * px * bytes,
                               d + ((size_t)y * s->w + x) * px * bytes, px * bytes);
                g_assert_cmpint(TIFFWriteTile(t, buf, x0, y0, 0, 0), >=, 0);
            }
        g_free(buf);
    } else {
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 4);
        for (uint16_t sm = 0; sm < (sep ? s->spp : 1); sm++)
            for (uint32_t y = 0; y < s->h; y++)
                g_assert_cmpint(TIFFWriteScanline(t, (void *)(d + sm * plane +
                                                             (size_t)y * s->w * px * bytes),
                                                  y, sm), >=, 0);
    }
    TIFFClose(t);
    g_free(path);
}

static void test_tiff_kinds(void)
{
    enum { W = 37, H = 21 };
    GRand *r = g_rand_new_with_seed(9);
    uint16_t rgba16[W * H * 4];
    for (size_t i = 0; i < G_N_ELEMENTS(rgba16); i++)
        rgba16[i] = (uint16_t)g_rand_int_range(r, 0, 65536);
    tiff_spec s = {W, H, 4, 16, SAMPLEFORMAT_UINT, PHOTOMETRIC_RGB, PLANARCONFIG_CONTIG,
                   EXTRASAMPLE_UNASSALPHA, 16};
    write_tiff("tiled16.tif", &s, rgba16, NULL);
    cg_image *img = load_ok("tiled16.tif");
    g_assert_cmpint(img->source_channels, ==, 4);
    g_assert_cmpint(img->source_format, ==, CG_SAMPLE_U16);
    for (int i = 0; i < W * H * 4; i++)
        g_assert_cmpfloat(img->pixels[i], ==, rgba16[i] / 65535.0f);
    cg_image_free(img);

    uint8_t planes[3 * W * H];
    for (size_t i = 0; i < sizeof planes; i++)
        planes[i] = (uint8_t)g_rand_int_range(r, 0, 256);
    s = (tiff_spec){W, H, 3, 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_RGB, PLANARCONFIG_SEPARATE, 0, 0};
    write_tiff("planar.tif", &s, planes, NULL);
    img = load_ok("planar.tif");
    g_assert_cmpint(img->source_channels, ==, 3);
    for (int i = 0; i < W * H; i++)
        for (int c = 0; c < 3; c++)
            g_assert_cmpfloat(img->pixels[i * 4 + c], ==, planes[c * W * H + i] / 255.0f);
    cg_image_free(img);

    s = (tiff_spec){W, H, 1, 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_MINISWHITE, PLANARCONFIG_CONTIG, 0, 0};
    write_tiff("miniswhite.tif", &s, planes, NULL);
    img = load_ok("miniswhite.tif");
    g_assert_cmpint(img->source_channels, ==, 1);
    g_assert_cmpfloat(fabsf(cg_image_at(img, 5, 0)[1] - (1.0f - planes[5] / 255.0f)), <, 1e-6f);
    cg_image_free(img);

    /* Premultiplied alpha comes back straight; a colour above its alpha (not
     * premultiplied data, found by fuzz-image) stays within [0, 1]. */
    const uint8_t pre[3 * 4] = {50, 100, 0, 128, 7, 7, 7, 0, 200, 60, 255, 100};
    s = (tiff_spec){3, 1, 4, 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_RGB, PLANARCONFIG_CONTIG,
                    EXTRASAMPLE_ASSOCALPHA, 0};
    write_tiff("assoc.tif", &s, pre, NULL);
    img = load_ok("assoc.tif");
    g_assert_cmpfloat(fabsf(cg_image_at(img, 0, 0)[1] - 100.0f / 128.0f), <, 1e-6f);
    g_assert_cmpfloat(cg_image_at(img, 0, 0)[3], ==, 128 / 255.0f);
    g_assert_cmpfloat(cg_image_at(img, 2, 0)[0], ==, 1.0f);
    g_assert_cmpfloat(fabsf(cg_image_at(img, 2, 0)[1] - 60.0f / 100.0f), <, 1e-6f);
    g_assert_cmpfloat(cg_image_at(img, 2, 0)[2], ==, 1.0f);
    cg_image_free(img);

    /* Palette TIFF, through libtiff's RGBA reader. */
    uint16_t cmap[3 * 256] = {0};
    cmap[1] = 65535;         /* index 1: red */
    cmap[512 + 2] = 65535;   /* index 2: blue */
    const uint8_t idx[4] = {0, 1, 2, 1};
    s = (tiff_spec){4, 1, 1, 8, SAMPLEFORMAT_UINT, PHOTOMETRIC_PALETTE, PLANARCONFIG_CONTIG, 0, 0};
    write_tiff("palette.tif", &s, idx, cmap);
    img = load_ok("palette.tif");
    g_assert_cmpint(img->source_channels, ==, 3);
    g_assert_cmpfloat(cg_image_at(img, 1, 0)[0], ==, 1.0f);
    g_assert_cmpfloat(cg_image_at(img, 2, 0)[2], ==, 1.0f);
    g_assert_cmpfloat(cg_image_at(img, 2, 0)[0], ==, 0.0f);
    cg_image_free(img);

    /* Float with NaN or Inf: refused. */
    float f[W * H];
    for (int i = 0; i < W * H; i++)
        f[i] = (float)i / (W * H);
    s = (tiff_spec){W, H, 1, 32, SAMPLEFORMAT_IEEEFP, PHOTOMETRIC_MINISBLACK, PLANARCONFIG_CONTIG, 0, 0};
    f[W * 3 + 4] = NAN;
    write_tiff("nan.tif", &s, f, NULL);
    expect_load_failure("nan.tif", CG_ERR_NUMERIC, "(4, 3)");
    f[W * 3 + 4] = 0;
    f[W * H - 1] = -INFINITY;
    write_tiff("inf.tif", &s, f, NULL);
    expect_load_failure("inf.tif", CG_ERR_NUMERIC, "infinite");
    g_rand_free(r);
}

/* ---- reading by rows ------------------------------------------------------ */

/* Reads tmpdir/name by rows from the file, in bands of 1, 2, 3... rows, and
 * checks them against the image loaded whole from the file's bytes. */
static void expect_rows_match(const char *name)
{
    char *path = tmp_path(name);
    gsize len = 0;
    char *bytes = read_all(name, &len);
    cg_error err = {0};
    cg_image *whole = cg_image_load_memory(bytes, len, name, &err);
    g_assert_nonnull(whole);
    int fd = cg_io_open_image_file(path, &err);
    g_assert_cmpint(fd, >=, 0);
    cg_io_source src = {.fd = fd, .name = path};
    cg_io_rows *r = cg_io_rows_open(&src, &err);
    if (!r)
        g_error("%s: %s", name, err.message);
    g_assert_cmpint(r->width, ==, whole->width);
    g_assert_cmpint(r->height, ==, whole->height);
    g_assert_cmpint(r->channels, ==, whole->source_channels);
    g_assert_cmpint(r->format, ==, whole->source_format);
    float *band = g_new(float, (size_t)4 * r->width * r->height);
    for (int y = 0, n = 1; y < whole->height; y += n, n++) {
        if (n > whole->height - y)
            n = whole->height - y;
        g_assert_cmpint(cg_io_rows_read(r, band, n, &err), ==, CG_OK);
        g_assert_cmpmem(band, (size_t)4 * r->width * n * sizeof(float), cg_image_at(whole, 0, y),
                        (size_t)4 * r->width * n * sizeof(float));
    }
    g_assert_cmpint(cg_io_rows_read(r, band, 1, &err), ==, CG_ERR_INVALID);
    cg_io_rows_close(r);
    close(fd);
    g_free(band);
    cg_image_free(whole);
    g_free(bytes);
    g_free(path);
}

static void test_rows(void)
{
    cg_error err = {0};
    static const struct { const char *name; int channels, bits; } files[] = {
        {"rows-rgb8.png", 3, 8}, {"rows-rgba16.png", 4, 16}, {"rows-gray.png", 1, 8}, {"rows-graya16.png", 2, 16},
        {"rows-rgb.tif", 3, 16}, {"rows-graya.tif", 2, 16}, {"rows-rgba.webp", 4, 8},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        cg_image *img = make_image(37, 29, files[i].channels, files[i].bits, 11 + (guint32)i);
        char *path = tmp_path(files[i].name);
        cg_image_save_options o = {.bits = files[i].bits, .channels = files[i].channels, .lossless = true};
        g_assert_cmpint(cg_image_save(img, path, &o, &err), ==, CG_OK);
        expect_rows_match(files[i].name);
        cg_image_free(img);
        g_free(path);
    }
    cg_image *smooth = make_smooth(45, 33, false), *gray = make_smooth(45, 33, true);
    char *jpg = tmp_path("rows.jpg"), *gray_jpg = tmp_path("rows-gray.jpg");
    g_assert_cmpint(cg_image_save(smooth, jpg, NULL, &err), ==, CG_OK);
    g_assert_cmpint(cg_image_save(gray, gray_jpg, &(cg_image_save_options){.channels = 1}, &err), ==, CG_OK);
    expect_rows_match("rows.jpg");
    expect_rows_match("rows-gray.jpg");
    /* Kinds comicgan does not write: palette, 2-bit gray, Adam7, CMYK. */
    test_png_kinds();
    test_jpeg_cmyk();
    expect_rows_match("palette.png");
    expect_rows_match("gray2.png");
    expect_rows_match("adam7.png");
    expect_rows_match("cmyk.jpg");

    /* A file cut short fails at the row where the data ends; the rows before
     * it are good. */
    cg_image *big = make_image(64, 96, 3, 8, 5);
    char *png = tmp_path("rows-cut.png"), *cut_jpg = tmp_path("rows-cut.jpg");
    g_assert_cmpint(cg_image_save(big, png, NULL, &err), ==, CG_OK);
    g_assert_cmpint(cg_image_save(big, cut_jpg, NULL, &err), ==, CG_OK);
    const char *cut_files[] = {"rows-cut.png", "rows-cut.jpg"};
    for (int k = 0; k < 2; k++) {
        gsize len = 0;
        char *bytes = read_all(cut_files[k], &len);
        cg_io_source src = {.fd = -1, .data = (const uint8_t *)bytes, .size = len / 2, .name = cut_files[k]};
        cg_io_rows *r = cg_io_rows_open(&src, &err);
        g_assert_nonnull(r);
        float *row = g_new(float, (size_t)4 * r->width);
        int good = 0;
        cg_status st = CG_OK;
        while (good < r->height && (st = cg_io_rows_read(r, row, 1, &err)) == CG_OK)
            good++;
        g_test_message("%s cut in half: %d of %d rows, then: %s", cut_files[k], good, r->height, err.message);
        g_assert_cmpint(st, ==, CG_ERR_FORMAT);
        g_assert_nonnull(strstr(err.message, cut_files[k]));
        g_assert_cmpint(good, >, 0);
        g_assert_cmpint(good, <, r->height);
        g_assert_cmpint(r->next, ==, good);
        cg_io_rows_close(r);
        g_free(row);
        g_free(bytes);
    }
    cg_image_free(big);
    cg_image_free(smooth);
    cg_image_free(gray);
    g_free(png);
    g_free(cut_jpg);
    g_free(jpg);
    g_free(gray_jpg);
}

/* Files in dir (hidden ones too: a writer's temporary file is hidden). */
static int files_in(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    g_assert_nonnull(d);
    int n = 0;
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

/* Writing by rows, in bands of 1, 2, 3... rows, gives the bytes cg_image_save
 * writes; a write stopped half way leaves nothing and the old file as it was. */
static void test_row_writer(void)
{
    cg_error err = {0};
    char *dir = g_build_filename(tmpdir, "writer", NULL);
    g_assert_cmpint(g_mkdir(dir, 0755), ==, 0);
    static const struct { const char *name; int channels, bits; } files[] = {
        {"w.png", 4, 16}, {"w-gray.png", 1, 8}, {"w.jpg", 3, 8}, {"w.tif", 3, 32}, {"w.webp", 4, 8}, {"w.gif", 3, 8},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(files); i++) {
        cg_image *img = make_image(41, 23, files[i].channels, files[i].bits, 3 + (guint32)i);
        cg_io_save_spec spec = {.channels = files[i].channels, .bits = files[i].bits, .quality = 90};
        char *whole = g_strdup_printf("%s/whole-%s", dir, files[i].name);
        char *rows = g_strdup_printf("%s/%s", dir, files[i].name);
        g_assert_cmpint(cg_image_save(img, whole, &(cg_image_save_options){.channels = spec.channels,
                                                                            .bits = spec.bits}, &err), ==, CG_OK);
        cg_io_image_writer *w = cg_io_image_writer_open(rows, img->width, img->height, &spec, &err);
        g_assert_nonnull(w);
        for (int y = 0, n = 1; y < img->height; y += n, n++) {
            if (n > img->height - y)
                n = img->height - y;
            g_assert_cmpint(cg_io_image_writer_rows(w, cg_image_at(img, 0, y), n, &err), ==, CG_OK);
        }
        g_assert_cmpint(cg_io_image_writer_finish(w, &err), ==, CG_OK);
        gchar *a = NULL, *b = NULL;
        gsize la = 0, lb = 0;
        g_assert_true(g_file_get_contents(whole, &a, &la, NULL));
        g_assert_true(g_file_get_contents(rows, &b, &lb, NULL));
        g_assert_cmpmem(a, la, b, lb);
        g_free(a);
        g_free(b);

        /* Stopped half way, by abort, by a NaN, or finished too early: the
         * file keeps the whole image's bytes and nothing else is left. */
        int before = files_in(dir);
        for (int how = 0; how < 3; how++) {
            w = cg_io_image_writer_open(rows, img->width, img->height, &spec, &err);
            g_assert_nonnull(w);
            g_assert_cmpint(cg_io_image_writer_rows(w, img->pixels, 5, &err), ==, CG_OK);
            if (how == 0) {
                cg_io_image_writer_abort(w);
            } else if (how == 1) {
                cg_image *bad = cg_image_copy(img, &err);
                cg_image_at(bad, 7, 6)[1] = NAN;
                cg_status st = cg_io_image_writer_rows(w, cg_image_at(bad, 0, 5), 3, &err);
                /* Collected formats see the NaN when they encode, at finish. */
                if (st == CG_OK)
                    st = cg_io_image_writer_rows(w, cg_image_at(bad, 0, 8), bad->height - 8, &err) == CG_OK
                             ? cg_io_image_writer_finish(w, &err)
                             : (cg_io_image_writer_abort(w), err.code);
                else
                    cg_io_image_writer_abort(w);
                g_assert_cmpint(st, ==, CG_ERR_NUMERIC);
                g_assert_nonnull(strstr(err.message, "(7, 6)"));
                cg_image_free(bad);
            } else {
                g_assert_cmpint(cg_io_image_writer_finish(w, &err), ==, CG_ERR_INVALID);
                g_assert_nonnull(strstr(err.message, "5 of 23 rows"));
            }
            g_assert_cmpint(files_in(dir), ==, before);
            g_assert_true(g_file_get_contents(rows, &b, &lb, NULL));
            g_assert_true(g_file_get_contents(whole, &a, &la, NULL));
            g_assert_cmpmem(a, la, b, lb);
            g_free(a);
            g_free(b);
        }
        cg_image_free(img);
        g_free(whole);
        g_free(rows);
    }
    /* What the format cannot hold is refused before anything is written. */
    cg_io_save_spec alpha = {.channels = 4, .bits = 8, .quality = 90};
    char *jpg = g_build_filename(dir, "alpha.jpg", NULL);
    g_assert_null(cg_io_image_writer_open(jpg, 8, 8, &alpha, &err));
    g_assert_cmpint(err.code, ==, CG_ERR_UNSUPPORTED);
    g_assert_false(g_file_test(jpg, G_FILE_TEST_EXISTS));
    g_free(jpg);
    g_free(dir);
}

/* The resizer fed bands of rows gives cg_image_resize's pixels exactly. */
static void test_resize_rows(void)
{
    cg_error err = {0};
    cg_image *src = make_image(97, 61, 4, 32, 21);
    static const int sizes[][2] = {{23, 17}, {200, 150}, {97, 5}, {1, 1}, {40, 61}};
    for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
        int w = sizes[i][0], h = sizes[i][1];
        cg_image *whole = cg_image_resize(src, w, h, &err), *banded = cg_image_new(w, h, &err);
        g_assert_nonnull(whole);
        cg_io_resizer *r = cg_io_resizer_new(src->width, src->height, w, h, 7, &err);
        g_assert_nonnull(r);
        for (int y = 0, n = 1; y < src->height; y += n, n = n % 7 + 1) {
            if (n > src->height - y)
                n = src->height - y;
            g_assert_cmpint(cg_io_resizer_push(r, cg_image_at(src, 0, y), n, banded, &err), ==, CG_OK);
        }
        g_assert_cmpint(cg_io_resizer_push(r, src->pixels, 1, banded, &err), ==, CG_ERR_INVALID);
        g_assert_cmpmem(whole->pixels, (size_t)w * h * 4 * sizeof(float), banded->pixels,
                        (size_t)w * h * 4 * sizeof(float));
        cg_io_resizer_free(r);
        cg_image_free(whole);
        cg_image_free(banded);
    }
    cg_image_free(src);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    umask(022);
    tmpdir = g_dir_make_tmp("comicgan-io-XXXXXX", NULL);
    g_assert_nonnull(tmpdir);
    g_test_add_func("/io/image/new", test_new);
    g_test_add_func("/io/image/roundtrip/png8", test_png8);
    g_test_add_func("/io/image/roundtrip/png16", test_png16);
    g_test_add_func("/io/image/roundtrip/tiff8", test_tiff8);
    g_test_add_func("/io/image/roundtrip/tiff16", test_tiff16);
    g_test_add_func("/io/image/roundtrip/tiff-float", test_tiff_float);
    g_test_add_func("/io/image/roundtrip/jpeg", test_jpeg);
    g_test_add_func("/io/image/roundtrip/tiny", test_tiny);
    g_test_add_func("/io/image/roundtrip/webp", test_webp);
    g_test_add_func("/io/image/jpeg-cmyk", test_jpeg_cmyk);
    g_test_add_func("/io/image/save-options", test_save_options);
    g_test_add_func("/io/image/png-kinds", test_png_kinds);
    g_test_add_func("/io/image/tiff-kinds", test_tiff_kinds);
    g_test_add_func("/io/image/rows", test_rows);
    g_test_add_func("/io/image/row-writer", test_row_writer);
    g_test_add_func("/io/image/resize-rows", test_resize_rows);
    add_bad_image_tests();
    int rc = g_test_run();
    remove_tree(tmpdir);
    g_free(tmpdir);
    return rc;
}
