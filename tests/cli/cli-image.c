/* Test helper for the comicgan command's tests: makes test images and
 * compares results, through the engine's image layer.
 *
 *   cli-image make OUT W H [BITS [CHANNELS]]   a picture with edges and gradients
 *   cli-image info FILE                        prints "W H CHANNELS BITS"
 *   cli-image diff A B                         prints the largest sample difference
 *                                              (exit 1 when the sizes differ)
 *   cli-image stats A B                        prints "MEAN_DIFF CHROMA DARK": the mean
 *                                              absolute RGB difference of B from A, B's
 *                                              mean chroma (largest minus smallest
 *                                              channel) and its share of pixels with
 *                                              luma below 0.25
 *   cli-image gray IN OUT                      writes IN's Rec. 601 luma into all three
 *                                              channels of a 16-bit RGB OUT
 *   cli-image animated OUT W H N               N frames of W x H, a picture shifted and
 *                                              brightened frame by frame, frame f shown
 *                                              80 + 40 f ms, played 3 times: a multi-page
 *                                              TIFF (libtiff), an animated WebP (libwebp's
 *                                              animation encoder) or an animated GIF
 *                                              (comicgan's), by OUT's extension
 *   cli-image frames FILE                      prints "N LOOP_COUNT MS MS ..." of an animation
 *   cli-image frame FILE I OUT                 writes frame I (0-based) of an animation to OUT */
#include "comicgan/animation.h"
#include "comicgan/image.h"

#include <tiffio.h>
#include <webp/encode.h>
#include <webp/mux.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const cg_error *err)
{
    fprintf(stderr, "cli-image: %s\n", err->message);
    return 1;
}

/* Frame f of `animated`: 8-bit samples, RGB (stride 3) or RGBA (stride 4). */
static void frame_pixels(uint8_t *px, int w, int h, int f, int stride)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = px + ((size_t)y * w + x) * stride;
            int u = (x + 3 * f) % w, cx = u - w / 2, cy = y - h / 2;
            bool disc = cx * cx + cy * cy < (w * w + h * h) / 25;
            p[0] = disc ? 240 : (uint8_t)(255 * u / w);
            p[1] = disc ? 40 : (uint8_t)(255 * y / h);
            p[2] = (uint8_t)(40 + 50 * f);
            if (stride == 4)
                p[3] = 255;
        }
}

static int animated(const char *path, int w, int h, int n)
{
    uint8_t *rgba = malloc((size_t)w * h * 4);
    int status = 1;
    if (strstr(path, ".gif")) {
        cg_error err = {0};
        cg_animation *a = cg_animation_new(w, h, n, &err);
        for (int f = 0; a && f < n; f++) {
            frame_pixels(rgba, w, h, f, 4);
            for (size_t i = 0; i < (size_t)w * h * 4; i++)
                a->frames[f]->pixels[i] = rgba[i] / 255.0f;
            a->duration_ms[f] = 80 + 40 * f;
        }
        if (a) {
            a->loop_count = 3;
            status = cg_animation_save(a, path, NULL, NULL, NULL, &err) == CG_OK ? 0 : 1;
        }
        if (status)
            fprintf(stderr, "cli-image: %s\n", err.message);
        cg_animation_free(a);
    } else if (strstr(path, ".tif")) {
        TIFF *t = TIFFOpen(path, "w");
        for (int f = 0; t && f < n; f++) {
            frame_pixels(rgba, w, h, f, 3);
            TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)w);
            TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)h);
            TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
            TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
            TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
            TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
            TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
            TIFFSetField(t, TIFFTAG_PAGENUMBER, f, n);
            for (int y = 0; y < h; y++)
                TIFFWriteScanline(t, rgba + (size_t)y * w * 3, (uint32_t)y, 0);
            TIFFWriteDirectory(t);
        }
        if (t) {
            TIFFClose(t);
            status = 0;
        }
    } else {
        WebPAnimEncoderOptions eo;
        WebPConfig cfg;
        WebPPicture pic;
        WebPData out = {0};
        WebPAnimEncoderOptionsInit(&eo);
        eo.anim_params.loop_count = 3;
        WebPConfigInit(&cfg);
        cfg.lossless = 1;
        WebPAnimEncoder *enc = WebPAnimEncoderNew(w, h, &eo);
        bool ok = enc != NULL;
        int ts = 0;
        for (int f = 0; ok && f < n; f++) {
            frame_pixels(rgba, w, h, f, 4);
            ok = WebPPictureInit(&pic);
            pic.width = w;
            pic.height = h;
            pic.use_argb = 1;
            ok = ok && WebPPictureImportRGBA(&pic, rgba, w * 4) && WebPAnimEncoderAdd(enc, &pic, ts, &cfg);
            WebPPictureFree(&pic);
            ts += 80 + 40 * f;
        }
        ok = ok && WebPAnimEncoderAdd(enc, NULL, ts, NULL) && WebPAnimEncoderAssemble(enc, &out);
        FILE *file = ok ? fopen(path, "wb") : NULL;
        if (file && fwrite(out.bytes, 1, out.size, file) == out.size)
            status = 0;
        if (file)
            fclose(file);
        WebPDataClear(&out);
        WebPAnimEncoderDelete(enc);
    }
    free(rgba);
    if (status)
        fprintf(stderr, "cli-image: cannot write %s\n", path);
    return status;
}

/* Rec. 601 luma, as the engine's filters and eval weigh it. */
static float luma601(const float *p)
{
    return 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
}

static int make(const char *path, int w, int h, int bits, int channels)
{
    cg_error err = {0};
    cg_image *img = cg_image_new(w, h, &err);
    if (!img)
        return fail(&err);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *p = cg_image_at(img, x, y);
            float u = (float)x / (float)w, v = (float)y / (float)h;
            int cx = x - w / 2, cy = y - h / 2;
            bool disc = cx * cx + cy * cy < (w * w + h * h) / 25;
            p[0] = disc ? 0.95f : u;
            p[1] = disc ? 0.15f : v;
            p[2] = disc ? 0.1f : 0.5f * (1 - u) + 0.25f * v;
            p[3] = channels == 2 || channels == 4 ? 0.5f + 0.5f * u : 1.0f;
            if (channels <= 2)
                p[0] = p[1] = p[2] = luma601(p);
        }
    img->source_channels = channels;
    img->source_format = bits == 8 ? CG_SAMPLE_U8 : bits == 16 ? CG_SAMPLE_U16 : CG_SAMPLE_F32;
    cg_image_save_options o = {.bits = bits, .channels = channels};
    cg_status st = cg_image_save(img, path, &o, &err);
    cg_image_free(img);
    return st == CG_OK ? 0 : fail(&err);
}

/* Loads two images; on failure frees what was loaded and returns false. */
static bool load_pair(const char *pa, const char *pb, cg_image **a, cg_image **b, cg_error *err)
{
    *a = cg_image_load(pa, err);
    *b = *a ? cg_image_load(pb, err) : NULL;
    if (!*b)
        cg_image_free(*a);
    return *b != NULL;
}

int main(int argc, char **argv)
{
    cg_error err = {0};
    if (argc == 6 && strcmp(argv[1], "animated") == 0)
        return animated(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    if ((argc == 3 && strcmp(argv[1], "frames") == 0) || (argc == 5 && strcmp(argv[1], "frame") == 0)) {
        cg_animation *a = cg_animation_load(argv[2], &err);
        if (!a)
            return fail(&err);
        int status = 0;
        if (argc == 3) {
            printf("%d %d", a->n_frames, a->loop_count);
            for (int i = 0; i < a->n_frames; i++)
                printf(" %d", a->duration_ms[i]);
            printf("\n");
        } else {
            int i = atoi(argv[3]);
            cg_image_save_options o = {.bits = 8};
            status = i < 0 || i >= a->n_frames                                 ? 2
                     : cg_image_save(a->frames[i], argv[4], &o, &err) != CG_OK ? fail(&err)
                                                                               : 0;
        }
        cg_animation_free(a);
        return status;
    }
    if (argc >= 5 && strcmp(argv[1], "make") == 0)
        return make(argv[2], atoi(argv[3]), atoi(argv[4]), argc > 5 ? atoi(argv[5]) : 8, argc > 6 ? atoi(argv[6]) : 3);
    if (argc == 3 && strcmp(argv[1], "info") == 0) {
        cg_image *img = cg_image_load(argv[2], &err);
        if (!img)
            return fail(&err);
        static const int bits[] = {8, 16, 32};
        printf("%d %d %d %d\n", img->width, img->height, img->source_channels, bits[img->source_format]);
        cg_image_free(img);
        return 0;
    }
    if (argc == 4 && strcmp(argv[1], "diff") == 0) {
        cg_image *a, *b;
        if (!load_pair(argv[2], argv[3], &a, &b, &err))
            return fail(&err);
        int status = 0;
        if (a->width != b->width || a->height != b->height) {
            printf("size %dx%d vs %dx%d\n", a->width, a->height, b->width, b->height);
            status = 1;
        } else {
            float worst = 0;
            for (size_t i = 0; i < (size_t)a->width * a->height * 4; i++)
                worst = fmaxf(worst, fabsf(a->pixels[i] - b->pixels[i]));
            printf("%.6f\n", worst);
        }
        cg_image_free(a);
        cg_image_free(b);
        return status;
    }
    if (argc == 4 && strcmp(argv[1], "gray") == 0) {
        cg_image *img = cg_image_load(argv[2], &err);
        if (!img)
            return fail(&err);
        for (size_t i = 0; i < (size_t)img->width * img->height; i++) {
            float *p = img->pixels + 4 * i;
            p[0] = p[1] = p[2] = luma601(p);
        }
        cg_image_save_options o = {.bits = 16, .channels = 3};
        cg_status st = cg_image_save(img, argv[3], &o, &err);
        cg_image_free(img);
        return st == CG_OK ? 0 : fail(&err);
    }
    if (argc == 4 && strcmp(argv[1], "stats") == 0) {
        cg_image *a, *b;
        if (!load_pair(argv[2], argv[3], &a, &b, &err))
            return fail(&err);
        int status = 1;
        if (a->width == b->width && a->height == b->height) {
            double diff = 0, chroma = 0, dark = 0;
            const size_t n = (size_t)a->width * a->height;
            for (size_t i = 0; i < n; i++) {
                const float *p = a->pixels + 4 * i, *q = b->pixels + 4 * i;
                for (int c = 0; c < 3; c++)
                    diff += fabsf(p[c] - q[c]) / 3;
                chroma += fmaxf(q[0], fmaxf(q[1], q[2])) - fminf(q[0], fminf(q[1], q[2]));
                dark += luma601(q) < 0.25f;
            }
            printf("%.6f %.6f %.6f\n", diff / (double)n, chroma / (double)n, dark / (double)n);
            status = 0;
        }
        cg_image_free(a);
        cg_image_free(b);
        return status;
    }
    fprintf(stderr, "usage: cli-image make OUT W H [BITS [CHANNELS]] | info FILE | diff A B | stats A B | "
                    "gray IN OUT | animated OUT W H N | frames FILE | frame FILE I OUT\n");
    return 2;
}
