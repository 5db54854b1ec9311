/* comicgan-bridge — reading and writing frames (see channel.h). */
#include "channel.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* Input is read through a buffer big enough for a preamble and the largest
 * header, so both can be parsed in place; payloads bypass it. */
typedef struct input {
    int fd;
    uint8_t buf[CGB_PREAMBLE + CGB_MAX_HEADER];
    size_t start, end;
    bool eof;
} input;

struct cgb_channel {
    input in;
    int out_fd;
    GMutex out_lock; /* one frame at a time on standard output */
    bool out_failed; /* under out_lock */

    GMutex lock;     /* the rest, shared by the reader and the main thread */
    GCond changed;
    cgb_message *pending;
    bool ended;      /* input ended or output failed */
    int64_t running; /* id of the request being served, -1 if none */
    gint cancel;     /* atomic: the running request should stop */

    bool hello_ok;   /* reader thread only */
    GThread *reader;
    bool reader_done; /* under lock */
};

void cgb_message_free(cgb_message *m)
{
    if (m) {
        g_free(m->payload);
        g_free(m);
    }
}

/* ---- input -------------------------------------------------------------- */

/* Makes at least n bytes available in the buffer (n <= its size); fewer only
 * at the end of input. Returns how many are available. */
static size_t fill(input *in, size_t n)
{
    if (in->end - in->start >= n)
        return in->end - in->start;
    memmove(in->buf, in->buf + in->start, in->end - in->start);
    in->end -= in->start;
    in->start = 0;
    while (in->end < n && !in->eof) {
        ssize_t got = read(in->fd, in->buf + in->end, sizeof in->buf - in->end);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            in->eof = true;
        else
            in->end += (size_t)got;
    }
    return in->end - in->start;
}

/* Reads exactly n bytes into dst (NULL: drops them). False at the end of
 * input, when some may have been read. */
static bool read_bytes(input *in, uint8_t *dst, uint64_t n)
{
    uint64_t buffered = in->end - in->start;
    uint64_t take = n < buffered ? n : buffered;
    if (dst)
        memcpy(dst, in->buf + in->start, take);
    in->start += take;
    n -= take;
    if (dst)
        dst += take;
    while (n > 0) {
        if (!dst) {
            /* Dropping goes through the buffer, a piece at a time. */
            size_t got = fill(in, 1);
            if (got == 0)
                return false;
            take = n < got ? n : got;
            in->start += take;
            n -= take;
            continue;
        }
        size_t want = n > (1u << 30) ? (1u << 30) : (size_t)n;
        ssize_t got = read(in->fd, dst, want);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            in->eof = true;
            return false;
        }
        dst += got;
        n -= (uint64_t)got;
    }
    return true;
}

/* Drops input up to the next magic, which is left unread. False at the end
 * of input. */
static bool resync(input *in)
{
    for (;;) {
        size_t avail = fill(in, 4);
        if (avail < 4)
            return false;
        const uint8_t *p = in->buf + in->start;
        for (size_t i = 0; i + 4 <= avail; i++) {
            if (memcmp(p + i, CGB_MAGIC, 4) == 0) {
                in->start += i;
                return true;
            }
        }
        /* Keep the last three bytes: they may begin a magic. */
        in->start += avail - 3;
    }
}

/* ---- output ------------------------------------------------------------- */

static bool write_all(int fd, const void *data, uint64_t size)
{
    const uint8_t *p = data;
    while (size > 0) {
        size_t chunk = size > (1u << 30) ? (1u << 30) : (size_t)size;
        ssize_t put = write(fd, p, chunk);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return false;
        p += put;
        size -= (uint64_t)put;
    }
    return true;
}

static void end_channel(cgb_channel *ch)
{
    g_mutex_lock(&ch->lock);
    ch->ended = true;
    g_atomic_int_set(&ch->cancel, 1);
    g_cond_broadcast(&ch->changed);
    g_mutex_unlock(&ch->lock);
}

JsonBuilder *cgb_reply_begin(const char *type, int64_t id)
{
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "type");
    json_builder_add_string_value(b, type);
    json_builder_set_member_name(b, "id");
    if (id >= 0)
        json_builder_add_int_value(b, id);
    else
        json_builder_add_null_value(b);
    return b;
}

bool cgb_channel_send(cgb_channel *ch, JsonBuilder *b, const void *payload, uint64_t size)
{
    json_builder_set_member_name(b, "payload");
    json_builder_add_int_value(b, (gint64)size);
    json_builder_end_object(b);
    JsonNode *root = json_builder_get_root(b);
    gchar *header = json_to_string(root, FALSE);
    size_t len = strlen(header);
    json_node_unref(root);
    g_object_unref(b);
    if (len > CGB_MAX_HEADER) {
        g_free(header);
        return false;
    }
    uint8_t preamble[CGB_PREAMBLE];
    cgb_write_preamble(preamble, (uint32_t)len);

    g_mutex_lock(&ch->out_lock);
    bool ok = !ch->out_failed && write_all(ch->out_fd, preamble, sizeof preamble) &&
              write_all(ch->out_fd, header, len) && (size == 0 || write_all(ch->out_fd, payload, size));
    if (!ok)
        ch->out_failed = true;
    g_mutex_unlock(&ch->out_lock);
    g_free(header);
    if (!ok)
        end_channel(ch);
    return ok;
}

void cgb_channel_send_error(cgb_channel *ch, int64_t id, const char *code, const char *message)
{
    JsonBuilder *b = cgb_reply_begin("error", id);
    json_builder_set_member_name(b, "code");
    json_builder_add_string_value(b, code);
    json_builder_set_member_name(b, "message");
    json_builder_add_string_value(b, message);
    cgb_channel_send(ch, b, NULL, 0);
}

/* ---- the reader thread -------------------------------------------------- */

static void cancel_request(cgb_channel *ch, int64_t target)
{
    cgb_message *dropped = NULL;
    g_mutex_lock(&ch->lock);
    if (ch->running == target) {
        g_atomic_int_set(&ch->cancel, 1);
    } else if (ch->pending && ch->pending->req.id == target) {
        dropped = ch->pending;
        ch->pending = NULL;
        g_cond_broadcast(&ch->changed);
    }
    g_mutex_unlock(&ch->lock);
    if (dropped) {
        cgb_channel_send_error(ch, target, "cancelled", "cancelled before it started");
        cgb_message_free(dropped);
    }
}

/* Hands m to the main thread, waiting while the slot is full. */
static void post(cgb_channel *ch, cgb_message *m)
{
    g_mutex_lock(&ch->lock);
    while (ch->pending && !ch->ended)
        g_cond_wait(&ch->changed, &ch->lock);
    if (ch->ended) {
        cgb_message_free(m);
    } else {
        ch->pending = m;
        g_cond_broadcast(&ch->changed);
    }
    g_mutex_unlock(&ch->lock);
}

/* Checks what the header alone cannot: order, version and payload size.
 * Returns the error code, or NULL when the request may be served. */
static const char *check_request(cgb_channel *ch, const cgb_request *r, char *message, size_t size)
{
    if (!ch->hello_ok && r->type != CGB_HELLO) {
        g_snprintf(message, size, "\"%s\" before \"hello\": a client must say hello first", cgb_type_name(r->type));
        return "order";
    }
    if (r->type == CGB_HELLO && (r->protocol < CGB_PROTOCOL_OLDEST || r->protocol > CGB_PROTOCOL_VERSION)) {
        g_snprintf(message, size, "this comicgan-bridge speaks protocol versions %d to %d, the client version %d: "
                   "install matching versions of the Krita plug-in and comicgan", CGB_PROTOCOL_OLDEST,
                   CGB_PROTOCOL_VERSION, r->protocol);
        return "version";
    }
    uint64_t want = cgb_expected_payload(r);
    if (r->payload != want) {
        g_snprintf(message, size, "the payload is %" G_GUINT64_FORMAT " bytes but the request's sizes need %"
                   G_GUINT64_FORMAT, r->payload, want);
        return "protocol";
    }
    return NULL;
}

/* Reads one frame; false when input has ended. */
static bool read_frame(cgb_channel *ch)
{
    input *in = &ch->in;
    cg_error err = {0};
    const char *code = "protocol";
    size_t avail = fill(in, CGB_PREAMBLE);
    if (avail == 0)
        return false;
    if (avail < CGB_PREAMBLE) {
        cgb_channel_send_error(ch, -1, "truncated", "the input ended in the middle of a frame");
        return false;
    }
    uint32_t header_len = 0;
    if (cgb_parse_preamble(in->buf + in->start, &header_len, &code, &err) != CG_OK) {
        cgb_channel_send_error(ch, -1, code, err.message);
        in->start += 1;
        return resync(in);
    }
    if (fill(in, CGB_PREAMBLE + header_len) < CGB_PREAMBLE + header_len) {
        cgb_channel_send_error(ch, -1, "truncated", "the input ended in the middle of a frame header");
        return false;
    }
    cgb_message *m = g_new0(cgb_message, 1);
    cgb_request *r = &m->req;
    cg_status s = cgb_parse_header((const char *)in->buf + in->start + CGB_PREAMBLE, header_len, r, &code, &err);
    in->start += CGB_PREAMBLE + header_len;
    char message[600];
    const char *problem = NULL;
    if (s != CG_OK) {
        problem = code;
        g_strlcpy(message, err.message, sizeof message);
    } else {
        problem = check_request(ch, r, message, sizeof message);
    }
    if (!problem && r->type == CGB_CANCEL) {
        cancel_request(ch, r->target);
        cgb_message_free(m);
        return true;
    }
    if (!problem && r->payload > 0) {
        m->payload = g_try_malloc(r->payload);
        if (!m->payload) {
            problem = "memory";
            g_snprintf(message, sizeof message, "not enough memory for a payload of %" G_GUINT64_FORMAT " bytes",
                       r->payload);
        } else if (!read_bytes(in, m->payload, r->payload)) {
            cgb_channel_send_error(ch, r->id, "truncated", "the input ended in the middle of a payload");
            cgb_message_free(m);
            return false;
        }
    }
    if (problem) {
        cgb_channel_send_error(ch, r->id, problem, message);
        bool more = r->payload_known ? read_bytes(in, NULL, r->payload) : resync(in);
        if (!more && r->payload_known && r->payload > 0)
            cgb_channel_send_error(ch, r->id, "truncated", "the input ended in the middle of a payload");
        cgb_message_free(m);
        return more;
    }
    if (r->type == CGB_HELLO)
        ch->hello_ok = true;
    post(ch, m);
    return true;
}

static gpointer reader_main(gpointer data)
{
    cgb_channel *ch = data;
    while (read_frame(ch)) {
    }
    g_mutex_lock(&ch->lock);
    ch->reader_done = true;
    g_mutex_unlock(&ch->lock);
    end_channel(ch);
    return NULL;
}

/* ---- the main thread's side --------------------------------------------- */

cgb_channel *cgb_channel_start(int in_fd, int out_fd)
{
    cgb_channel *ch = g_new0(cgb_channel, 1);
    ch->in.fd = in_fd;
    ch->out_fd = out_fd;
    ch->running = -1;
    g_mutex_init(&ch->out_lock);
    g_mutex_init(&ch->lock);
    g_cond_init(&ch->changed);
    ch->reader = g_thread_new("bridge-reader", reader_main, ch);
    return ch;
}

cgb_message *cgb_channel_next(cgb_channel *ch)
{
    g_mutex_lock(&ch->lock);
    while (!ch->pending && !ch->ended)
        g_cond_wait(&ch->changed, &ch->lock);
    cgb_message *m = NULL;
    if (!ch->ended) {
        m = ch->pending;
        ch->pending = NULL;
        ch->running = m->req.id;
        g_atomic_int_set(&ch->cancel, 0);
        g_cond_broadcast(&ch->changed);
    }
    g_mutex_unlock(&ch->lock);
    return m;
}

void cgb_channel_done(cgb_channel *ch)
{
    g_mutex_lock(&ch->lock);
    ch->running = -1;
    g_mutex_unlock(&ch->lock);
}

void cgb_channel_free(cgb_channel *ch)
{
    g_mutex_lock(&ch->lock);
    bool reader_done = ch->reader_done;
    g_mutex_unlock(&ch->lock);
    /* A reader still blocked on input (output failed first) cannot be
     * stopped; it ends with the process, so the channel stays. */
    if (!reader_done)
        return;
    g_thread_join(ch->reader);
    cgb_message_free(ch->pending);
    g_cond_clear(&ch->changed);
    g_mutex_clear(&ch->lock);
    g_mutex_clear(&ch->out_lock);
    g_free(ch);
}

bool cgb_channel_cancelled(cgb_channel *ch)
{
    return g_atomic_int_get(&ch->cancel) != 0;
}
