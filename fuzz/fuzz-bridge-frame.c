/* libFuzzer target: the Krita bridge's frame parser (plugin-krita-bridge/
 * protocol.c) and pixel conversions (pixels.c) on arbitrary bytes.
 *
 * The input is read as a stream of frames the way comicgan-bridge reads its
 * standard input: a bad preamble moves on by one byte (the bridge skips to the
 * next magic), a header whose payload length is known has its payload
 * skipped. Besides "no crash, no sanitizer report", it checks what the rest of
 * the bridge relies on: an accepted request is within every limit, a refused
 * one has a code and a message, and pixels survive unpack + pack unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../plugin-krita-bridge/pixels.h"
#include "../plugin-krita-bridge/protocol.h"

#define MAX_FRAMES_PER_INPUT 64
#define MAX_PIXELS_CHECKED 1024

#define CHECK(cond) \
    do { \
        if (!(cond)) \
            abort(); \
    } while (0)

static void check_request(const cgb_request *r)
{
    CHECK(r->id >= 0 && r->payload_known && r->payload <= CGB_MAX_PAYLOAD);
    if (r->type != CGB_STYLIZE && r->type != CGB_STYLIZE_FRAMES && r->type != CGB_ATTENTION &&
        r->type != CGB_ANIMATION_FRAME) {
        CHECK(cgb_expected_payload(r) == 0);
        return;
    }
    CHECK(r->n_frames >= 1 && r->n_frames <= CGB_MAX_FRAMES);
    uint64_t pixels = 0;
    for (int i = 0; i < r->n_frames; i++) {
        CHECK(r->frames[i].width >= 1 && r->frames[i].width <= CGB_MAX_SIDE);
        CHECK(r->frames[i].height >= 1 && r->frames[i].height <= CGB_MAX_SIDE);
        pixels += (uint64_t)r->frames[i].width * (uint64_t)r->frames[i].height;
    }
    CHECK(pixels <= CGB_MAX_PIXELS && cgb_expected_payload(r) <= CGB_MAX_PAYLOAD);
    if (r->type == CGB_ANIMATION_FRAME) {
        /* one frame; its style and options are the animation's own request's */
        CHECK(r->n_frames == 1 && r->animation >= 0 && r->index >= 0);
        return;
    }
    CHECK((r->n_mix == 0) != (r->style[0] == '\0'));
    CHECK(r->n_mix >= 0 && r->n_mix <= CGB_MAX_MIX);
    CHECK(r->strength >= 0.0f && r->strength <= 1.0f);
    CHECK(r->tile >= 0 && r->tile <= 4096); /* small tiles are raised by the engine */
    CHECK(!(r->type == CGB_ATTENTION && r->mask));
}

/* Unpacks the first pixels of the payload and packs them back. */
static void check_pixels(const cgb_request *r, const uint8_t *payload)
{
    static float rgba[MAX_PIXELS_CHECKED * 4];
    static uint8_t back[MAX_PIXELS_CHECKED * 16], blended[MAX_PIXELS_CHECKED * 16];
    size_t bpp = cgb_depth_bytes(r->depth);
    size_t n = (size_t)r->frames[0].width * (size_t)r->frames[0].height;
    size_t count = n < MAX_PIXELS_CHECKED ? n : MAX_PIXELS_CHECKED;
    if (!cgb_unpack(payload, r->depth, r->linear, count, rgba, NULL))
        return;
    cgb_pack(rgba, r->depth, r->linear, count, back);
    /* Without a transfer curve every format converts back bit for bit
     * (F16 and F32 except -0/+0 and NaN, which unpack refuses). */
    if (!r->linear)
        CHECK(memcmp(back, payload, count * bpp) == 0);
    if (r->mask) {
        const uint8_t *mask = payload + n * bpp;
        memcpy(blended, payload, count * bpp);
        cgb_pack_masked(rgba, mask, r->depth, r->linear, count, blended);
        for (size_t i = 0; i < count; i++)
            if (mask[i] == 0)
                CHECK(memcmp(blended + i * bpp, payload + i * bpp, bpp) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t pos = 0;
    for (int frames = 0; frames < MAX_FRAMES_PER_INPUT && size - pos >= CGB_PREAMBLE; frames++) {
        uint32_t header_len = 0;
        const char *code = NULL;
        cg_error err = {0};
        if (cgb_parse_preamble(data + pos, &header_len, &code, &err) != CG_OK) {
            CHECK(code && err.message[0]);
            pos += 1;
            continue;
        }
        CHECK(header_len >= 2 && header_len <= CGB_MAX_HEADER);
        if (header_len > size - pos - CGB_PREAMBLE)
            break;
        cgb_request r;
        code = NULL;
        cg_status s = cgb_parse_header((const char *)data + pos + CGB_PREAMBLE, header_len, &r, &code, &err);
        pos += CGB_PREAMBLE + header_len;
        if (s != CG_OK) {
            CHECK(code && err.message[0] && err.code == s);
            if (!r.payload_known)
                continue;
        } else {
            check_request(&r);
        }
        if (r.payload > size - pos)
            break;
        if (s == CG_OK && r.payload == cgb_expected_payload(&r) && r.payload > 0)
            check_pixels(&r, data + pos);
        pos += r.payload;
    }
    return 0;
}
