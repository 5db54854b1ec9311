/* Reading images by rows (io/image_rows.h): byte sources, the layout every
 * reader's rows get, and readers over images decoded whole. */
#include "io/image_rows.h"
#include "io/pixels.h"
#include "io/read_file.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

static ssize_t read_more(cg_io_source *s, uint8_t *buf, size_t n)
{
    if (s->fd < 0) {
        size_t k = s->size - s->pos < n ? s->size - s->pos : n;
        memcpy(buf, s->data + s->pos, k);
        s->pos += k;
        return (ssize_t)k;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(s->fd, buf + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return -1;
        if (k == 0)
            break;
        got += (size_t)k;
    }
    s->pos += got;
    return (ssize_t)got;
}

ssize_t cg_io_source_read(cg_io_source *s, void *buf, size_t n)
{
    size_t from_head = s->head_len - s->head_pos < n ? s->head_len - s->head_pos : n;
    memcpy(buf, s->head + s->head_pos, from_head);
    s->head_pos += from_head;
    if (from_head == n)
        return (ssize_t)n;
    ssize_t k = read_more(s, (uint8_t *)buf + from_head, n - from_head);
    return k < 0 ? k : (ssize_t)from_head + k;
}

const uint8_t *cg_io_source_peek(cg_io_source *s, size_t n, size_t *got)
{
    if (n > CG_IO_PEEK_MAX)
        n = CG_IO_PEEK_MAX;
    if (s->head_len < n) {
        ssize_t k = read_more(s, s->head + s->head_len, n - s->head_len);
        if (k < 0)
            return NULL;
        s->head_len += (size_t)k;
    }
    *got = s->head_len < n ? s->head_len : n;
    return s->head;
}

cg_status cg_io_source_slurp(cg_io_source *s, uint8_t **data, size_t *size, cg_error *err)
{
    *data = NULL;
    *size = 0;
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = g_try_malloc(cap);
    for (;;) {
        if (!buf)
            return cg_fail(err, CG_ERR_NOMEM, "%s: out of memory reading the file", s->name);
        if (len == cap) {
            if (cap > CG_IO_MAX_IMAGE_FILE) {
                g_free(buf);
                return cg_fail(err, CG_ERR_UNSUPPORTED, "%s: file is larger than any image comicgan accepts",
                               s->name);
            }
            uint8_t *bigger = g_try_realloc(buf, 2 * cap);
            if (!bigger)
                g_free(buf);
            buf = bigger;
            cap *= 2;
            continue;
        }
        ssize_t k = cg_io_source_read(s, buf + len, cap - len);
        if (k < 0) {
            g_free(buf);
            return cg_fail(err, CG_ERR_IO, "%s: read failed: %s", s->name, g_strerror(errno));
        }
        if (k == 0)
            break;
        len += (size_t)k;
    }
    *data = buf;
    *size = len;
    return CG_OK;
}

cg_status cg_io_rows_read(cg_io_rows *r, float *dst, int n, cg_error *err)
{
    if (n < 1 || n > r->height - r->next)
        return cg_fail(err, CG_ERR_INVALID, "asked for %d rows with %d left", n, r->height - r->next);
    cg_status st = r->read(r, dst, n, err);
    if (st == CG_OK)
        r->next += n;
    return st;
}

void cg_io_rows_close(cg_io_rows *r)
{
    if (r)
        r->close(r);
}

typedef struct image_rows {
    cg_io_rows base;
    cg_image *img;
} image_rows;

/* The image's pixels are complete already. */
static cg_status image_read(cg_io_rows *r, float *dst, int n, cg_error *err)
{
    (void)err;
    const image_rows *ir = (const image_rows *)r;
    memcpy(dst, cg_image_at(ir->img, 0, r->next), (size_t)4 * r->width * n * sizeof(float));
    return CG_OK;
}

static void image_close(cg_io_rows *r)
{
    image_rows *ir = (image_rows *)r;
    cg_image_free(ir->img);
    g_free(ir);
}

cg_io_rows *cg_io_rows_of_image(cg_image *img, cg_error *err)
{
    if (!img)
        return NULL;
    image_rows *ir = g_try_new0(image_rows, 1);
    if (!ir) {
        cg_image_free(img);
        cg_fail(err, CG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    ir->img = img;
    ir->base = (cg_io_rows){.width = img->width, .height = img->height, .channels = img->source_channels,
                            .format = img->source_format, .frames = img->source_frames, .read = image_read,
                            .close = image_close};
    return &ir->base;
}

cg_image *cg_io_rows_to_image(cg_io_rows *r, const char *name, cg_error *err)
{
    if (!r)
        return NULL;
    /* A decoded image is handed over as it is. */
    if (r->read == image_read && r->next == 0) {
        image_rows *ir = (image_rows *)r;
        cg_image *img = ir->img;
        ir->img = NULL;
        image_close(r);
        return img;
    }
    cg_image *img = cg_io_image_alloc(r->width, r->height - r->next, name, err);
    cg_status st = img ? cg_io_rows_read(r, img->pixels, img->height, err) : CG_ERR_NOMEM;
    if (img && st == CG_OK) {
        img->source_channels = r->channels;
        img->source_format = r->format;
        img->source_frames = r->frames;
    } else {
        cg_image_free(img);
        img = NULL;
    }
    cg_io_rows_close(r);
    return img;
}
