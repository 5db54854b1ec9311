/* comicgan-bridge — the frame format of PROTOCOL.md: parsing requests and
 * writing reply headers.
 *
 * Everything here works on memory buffers only and keeps no state, so the
 * bridge, its tests and the libFuzzer target share it. A frame is
 *   "CGBR" | header length (u32 LE) | JSON header | payload
 * cgb_parse_preamble checks the first 8 bytes, cgb_parse_header the JSON. */
#ifndef CGB_PROTOCOL_H
#define CGB_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "comicgan/error.h"

/* The version this bridge speaks, and the oldest it still accepts (an
 * older client's requests mean what they always meant). */
#define CGB_PROTOCOL_VERSION 4
#define CGB_PROTOCOL_OLDEST 1
#define CGB_MAGIC "CGBR"
#define CGB_PREAMBLE 8
#define CGB_MAX_HEADER 65536
#define CGB_MAX_SIDE 16384
#define CGB_MAX_PIXELS ((uint64_t)16384 * 16384)
#define CGB_MAX_FRAMES 256
/* Frames of a streamed animation (version 3), as many as the comicgan command takes. */
#define CGB_MAX_ANIMATION 10000
#define CGB_MAX_MIX 16
#define CGB_MAX_THUMBNAIL 256
#define CGB_NAME_MAX 64
/* The most values a style code sent back may have (version 4): far more than
 * any encoder makes, so the limit is the protocol's and the model decides. */
#define CGB_MAX_CODE 256
/* Largest payload any request can have: F32 pixels plus a mask byte for the
 * largest image, and an F32 reference picture as large. A header promising
 * more cannot be skipped safely. */
#define CGB_MAX_PAYLOAD (CGB_MAX_PIXELS * 33)

typedef enum cgb_type {
    CGB_HELLO,
    CGB_LIST_STYLES,
    CGB_STYLIZE,
    CGB_STYLIZE_FRAMES,
    CGB_ATTENTION,
    CGB_CANCEL,
    CGB_ANIMATION,       /* version 3: opens a streamed animation */
    CGB_ANIMATION_FRAME, /* one of its frames */
    CGB_ANIMATION_END,   /* closes it */
} cgb_type;

typedef enum cgb_depth {
    CGB_U8,
    CGB_U16,
    CGB_F16,
    CGB_F32,
} cgb_depth;

typedef struct cgb_size {
    int width, height;
} cgb_size;

typedef struct cgb_mix_entry {
    char name[CGB_NAME_MAX];
    float weight;
} cgb_mix_entry;

/* One request, as read from its header. Fixed-size so that parsing
 * allocates nothing that outlives it. */
typedef struct cgb_request {
    cgb_type type;
    int64_t id;             /* -1 when the header has no readable id */
    uint64_t payload;       /* bytes of payload that follow the header */
    /* False when the header is so broken that `payload` cannot be trusted:
     * the reader must then look for the next frame's magic. */
    bool payload_known;

    int protocol;           /* hello */
    int thumbnail;          /* list-styles */
    int64_t target;         /* cancel */
    int count;              /* animation: its frames */
    int64_t animation;      /* animation-frame, animation-end: the animation request's id */
    int index;              /* animation-frame: which frame, from 0 */

    /* stylize, stylize-frames, attention; animation (without sizes) and
     * animation-frame (sizes, layout and mask only) */
    int n_frames;           /* 1 for stylize, attention and animation-frame, 0 for animation */
    cgb_size frames[CGB_MAX_FRAMES];
    cgb_depth depth;
    bool linear;            /* transfer "linear" */
    bool mask;
    char style[CGB_NAME_MAX];  /* "" when mix is used */
    int n_mix;
    cgb_mix_entry mix[CGB_MAX_MIX];
    float strength, line_weight, denoise, contrast, opacity;
    bool keep_colors;
    int tile;
    float scale;            /* the style scale: 0 or 1 native (the default), else the fraction */
    bool scale_auto;        /* "scale": "auto" */
    int memory_budget;      /* MiB, as cg_stylize_options.memory_budget; 0: the engine's default */
    char point[CGB_NAME_MAX];  /* attention point by name, or "" */
    int point_index;           /* by index, or -1 */

    /* stylize with a reference style (version 4): a reference picture, whose
     * pixels follow the image's (and its mask) in its own depth and transfer
     * (by default the image's), or a style code the bridge returned for one */
    bool has_reference;
    cgb_size reference;
    cgb_depth reference_depth;
    bool reference_linear;
    int code_length;           /* > 0 when a style code was given */
    float code[CGB_MAX_CODE];
} cgb_request;

/* Checks the 8-byte preamble (magic, header length within limits) and gives
 * the header length. On failure *code is "protocol" or "too-large". */
cg_status cgb_parse_preamble(const uint8_t preamble[CGB_PREAMBLE], uint32_t *header_len,
                             const char **code, cg_error *err);

/* Parses and checks a request header of len bytes (not NUL-terminated).
 * Fills r; on failure r->id and r->payload_known say what could still be
 * read, and *code is the protocol's error code for the reply. Does not check
 * r->payload against the request's sizes: see cgb_expected_payload. */
cg_status cgb_parse_header(const char *json, size_t len, cgb_request *r, const char **code,
                           cg_error *err);

/* The payload a request must have, from its sizes (0 for requests without
 * images). Never overflows: sizes are within the limits once parsed. */
uint64_t cgb_expected_payload(const cgb_request *r);

size_t cgb_depth_bytes(cgb_depth d);
const char *cgb_depth_name(cgb_depth d);
const char *cgb_type_name(cgb_type t);

/* The protocol's error code for an engine status ("invalid", "memory", ...). */
const char *cgb_status_code(cg_status s);

/* Writes the 8-byte preamble for a header of header_len bytes. */
void cgb_write_preamble(uint8_t out[CGB_PREAMBLE], uint32_t header_len);

#endif
