/* Tests of the bridge's frame parser and pixel conversions: every request
 * type, every pixel format, every malformed case PROTOCOL.md names. */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "pixels.h"
#include "protocol.h"

/* ---- helpers ------------------------------------------------------------ */

static cg_status parse(const char *json, cgb_request *r, const char **code, cg_error *err)
{
    return cgb_parse_header(json, strlen(json), r, code, err);
}

static void parse_ok(const char *json, cgb_request *r)
{
    cg_error err = {0};
    const char *code = NULL;
    cg_status s = parse(json, r, &code, &err);
    if (s != CG_OK)
        g_test_message("%s: %s", json, err.message);
    g_assert_cmpint(s, ==, CG_OK);
    g_assert_true(r->payload_known);
}

/* Parses a header that must fail with code; returns the request for more
 * checks (id, payload_known). */
static cgb_request parse_bad(const char *json, const char *want_code)
{
    cgb_request r;
    cg_error err = {0};
    const char *code = NULL;
    cg_status s = parse(json, &r, &code, &err);
    if (s == CG_OK || strcmp(code, want_code) != 0)
        g_test_message("%s: status %d, code %s (wanted %s): %s", json, s, code ? code : "-", want_code,
                       err.message);
    g_assert_cmpint(s, !=, CG_OK);
    g_assert_cmpstr(code, ==, want_code);
    g_assert_cmpstr(err.message, !=, "");
    return r;
}

#define IMAGE "\"color_model\": \"RGBA\", \"depth\": \"U8\", \"style\": \"ink\""

/* ---- the preamble ------------------------------------------------------- */

static void test_preamble(void)
{
    uint8_t p[CGB_PREAMBLE];
    uint32_t len = 0;
    const char *code = NULL;
    cg_error err = {0};

    cgb_write_preamble(p, 1234);
    g_assert_cmpmem(p, 4, "CGBR", 4);
    g_assert_cmpint(p[4], ==, 1234 & 255);
    g_assert_cmpint(p[5], ==, 1234 >> 8);
    g_assert_cmpint(cgb_parse_preamble(p, &len, &code, &err), ==, CG_OK);
    g_assert_cmpuint(len, ==, 1234);

    cgb_write_preamble(p, CGB_MAX_HEADER);
    g_assert_cmpint(cgb_parse_preamble(p, &len, &code, &err), ==, CG_OK);
    g_assert_cmpuint(len, ==, CGB_MAX_HEADER);

    cgb_write_preamble(p, CGB_MAX_HEADER + 1);
    g_assert_cmpint(cgb_parse_preamble(p, &len, &code, &err), !=, CG_OK);
    g_assert_cmpstr(code, ==, "too-large");

    cgb_write_preamble(p, 0xffffffffu);
    g_assert_cmpint(cgb_parse_preamble(p, &len, &code, &err), !=, CG_OK);
    g_assert_cmpstr(code, ==, "too-large");

    for (uint32_t small = 0; small < 2; small++) {
        cgb_write_preamble(p, small);
        g_assert_cmpint(cgb_parse_preamble(p, &len, &code, &err), !=, CG_OK);
        g_assert_cmpstr(code, ==, "protocol");
    }

    cgb_write_preamble(p, 100);
    p[3] = 'X';
    g_assert_cmpint(cgb_parse_preamble(p, &len, &code, &err), !=, CG_OK);
    g_assert_cmpstr(code, ==, "protocol");
    g_assert_nonnull(strstr(err.message, "magic"));
}

/* ---- every request type ------------------------------------------------- */

static void test_hello(void)
{
    cgb_request r;
    parse_ok("{\"type\": \"hello\", \"id\": 7, \"protocol\": 1, \"client\": \"x\"}", &r);
    g_assert_cmpint(r.type, ==, CGB_HELLO);
    g_assert_cmpint(r.id, ==, 7);
    g_assert_cmpint(r.protocol, ==, 1);
    g_assert_cmpuint(r.payload, ==, 0);
    g_assert_cmpuint(cgb_expected_payload(&r), ==, 0);
    /* The version check is the reader's; any integer parses. */
    parse_ok("{\"type\": \"hello\", \"id\": 0, \"protocol\": 99}", &r);
    g_assert_cmpint(r.protocol, ==, 99);
    parse_bad("{\"type\": \"hello\", \"id\": 1}", "protocol");
    parse_bad("{\"type\": \"hello\", \"id\": 1, \"protocol\": \"1\"}", "protocol");
}

static void test_list_styles(void)
{
    cgb_request r;
    parse_ok("{\"type\": \"list-styles\", \"id\": 2}", &r);
    g_assert_cmpint(r.type, ==, CGB_LIST_STYLES);
    g_assert_cmpint(r.thumbnail, ==, 96);
    parse_ok("{\"type\": \"list-styles\", \"id\": 2, \"thumbnail\": 0}", &r);
    g_assert_cmpint(r.thumbnail, ==, 0);
    parse_ok("{\"type\": \"list-styles\", \"id\": 2, \"thumbnail\": 256}", &r);
    g_assert_cmpint(r.thumbnail, ==, 256);
    parse_bad("{\"type\": \"list-styles\", \"id\": 2, \"thumbnail\": 257}", "invalid");
    parse_bad("{\"type\": \"list-styles\", \"id\": 2, \"thumbnail\": -1}", "invalid");
    parse_bad("{\"type\": \"list-styles\", \"id\": 2, \"thumbnail\": 9.5}", "protocol");
}

static void test_stylize(void)
{
    cgb_request r;
    parse_ok("{\"type\": \"stylize\", \"id\": 3, \"width\": 640, \"height\": 480, \"color_model\": \"RGBA\","
             " \"depth\": \"U16\", \"transfer\": \"linear\", \"style\": \"manga\", \"strength\": 0.25,"
             " \"keep_colors\": true, \"tile\": 256, \"line_weight\": -0.5, \"denoise\": 0.5, \"contrast\": 2,"
             " \"mask\": true, \"payload\": 1536000, \"unknown_member\": [1, 2]}", &r);
    g_assert_cmpint(r.type, ==, CGB_STYLIZE);
    g_assert_cmpint(r.n_frames, ==, 1);
    g_assert_cmpint(r.frames[0].width, ==, 640);
    g_assert_cmpint(r.frames[0].height, ==, 480);
    g_assert_cmpint(r.depth, ==, CGB_U16);
    g_assert_true(r.linear);
    g_assert_cmpstr(r.style, ==, "manga");
    g_assert_cmpint(r.n_mix, ==, 0);
    g_assert_cmpfloat(r.strength, ==, 0.25f);
    g_assert_true(r.keep_colors);
    g_assert_cmpint(r.tile, ==, 256);
    g_assert_cmpfloat(r.line_weight, ==, -0.5f);
    g_assert_cmpfloat(r.denoise, ==, 0.5f);
    g_assert_cmpfloat(r.contrast, ==, 2.0f);
    g_assert_true(r.mask);
    g_assert_cmpuint(r.payload, ==, 1536000);
    g_assert_cmpuint(cgb_expected_payload(&r), ==, 640 * 480 * 9);

    /* Defaults. */
    parse_ok("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE "}", &r);
    g_assert_cmpint(r.depth, ==, CGB_U8);
    g_assert_false(r.linear);
    g_assert_false(r.mask);
    g_assert_false(r.keep_colors);
    g_assert_cmpfloat(r.strength, ==, 1.0f);
    g_assert_cmpfloat(r.contrast, ==, 1.0f);
    g_assert_cmpint(r.tile, ==, 0);
    g_assert_cmpuint(cgb_expected_payload(&r), ==, 2 * 3 * 4);

    /* A mix instead of a style. */
    parse_ok("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, \"color_model\": \"RGBA\","
             " \"depth\": \"F32\", \"mix\": {\"ink\": 1, \"paint\": 0.5}}", &r);
    g_assert_cmpint(r.n_mix, ==, 2);
    g_assert_cmpstr(r.mix[0].name, ==, "ink");
    g_assert_cmpfloat(r.mix[0].weight, ==, 1.0f);
    g_assert_cmpstr(r.mix[1].name, ==, "paint");
    g_assert_cmpfloat(r.mix[1].weight, ==, 0.5f);
    g_assert_cmpuint(cgb_expected_payload(&r), ==, 2 * 3 * 16);

    /* The largest image. */
    parse_ok("{\"type\": \"stylize\", \"id\": 3, \"width\": 16384, \"height\": 16384, " IMAGE ", \"mask\": true}", &r);
    g_assert_cmpuint(cgb_expected_payload(&r), ==, (uint64_t)16384 * 16384 * 5);
}

/* Version 4: a reference picture after the image and its mask, or a style code. */
static void test_reference(void)
{
    cgb_request r;
    parse_ok("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE ", \"mask\": true,"
             " \"reference\": {\"width\": 16, \"height\": 20}}", &r);
    g_assert_true(r.has_reference);
    g_assert_cmpint(r.reference.width, ==, 16);
    g_assert_cmpint(r.reference.height, ==, 20);
    g_assert_cmpint(r.code_length, ==, 0);
    g_assert_cmpuint(cgb_expected_payload(&r), ==, 2 * 3 * 5 + 16 * 20 * 4);
    g_assert_cmpint(r.reference_depth, ==, CGB_U8);
    g_assert_false(r.reference_linear);

    /* A reference in its own depth and transfer. */
    parse_ok("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE ","
             " \"reference\": {\"width\": 16, \"height\": 20, \"depth\": \"F16\", \"transfer\": \"linear\"}}", &r);
    g_assert_cmpint(r.depth, ==, CGB_U8);
    g_assert_false(r.linear);
    g_assert_cmpint(r.reference_depth, ==, CGB_F16);
    g_assert_true(r.reference_linear);
    g_assert_cmpuint(cgb_expected_payload(&r), ==, 2 * 3 * 4 + 16 * 20 * 8);

    parse_ok("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE ","
             " \"style_code\": [0.5, -2, 1]}", &r);
    g_assert_false(r.has_reference);
    g_assert_cmpint(r.code_length, ==, 3);
    g_assert_cmpfloat(r.code[0], ==, 0.5f);
    g_assert_cmpfloat(r.code[1], ==, -2.0f);
    g_assert_cmpfloat(r.code[2], ==, 1.0f);
    g_assert_cmpuint(cgb_expected_payload(&r), ==, 2 * 3 * 4);

    /* The largest image with the largest reference: a payload the reader takes. */
    parse_ok("{\"type\": \"stylize\", \"id\": 3, \"width\": 16384, \"height\": 16384, \"color_model\": \"RGBA\","
             " \"depth\": \"F32\", \"style\": \"ref\", \"mask\": true,"
             " \"reference\": {\"width\": 16384, \"height\": 16384}}", &r);
    g_assert_cmpuint(cgb_expected_payload(&r), <=, CGB_MAX_PAYLOAD);

    parse_bad("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE ", \"reference\": [16, 16]}",
              "protocol");
    parse_bad("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE ","
              " \"reference\": {\"width\": 16}}", "protocol");
    parse_bad("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE ","
              " \"reference\": {\"width\": 0, \"height\": 16}}", "invalid");
    parse_bad("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE ","
              " \"reference\": {\"width\": 16385, \"height\": 16}}", "too-large");
    parse_bad("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE ","
              " \"reference\": {\"width\": 16, \"height\": 16, \"depth\": \"U32\"}}", "unsupported");
    parse_bad("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE ","
              " \"reference\": {\"width\": 16, \"height\": 16, \"transfer\": \"gamma\"}}", "invalid");
    parse_bad("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE ", \"style_code\": []}",
              "invalid");
    parse_bad("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE ", \"style_code\": [1, \"1\"]}",
              "protocol");
    parse_bad("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE ", \"style_code\": 1}",
              "protocol");
    GString *long_code = g_string_new("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE
                                      ", \"style_code\": [1");
    for (int i = 0; i < CGB_MAX_CODE; i++)
        g_string_append(long_code, ", 1");
    g_string_append(long_code, "]}");
    parse_bad(long_code->str, "too-large");
    g_string_free(long_code, TRUE);
    parse_bad("{\"type\": \"stylize\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE ", \"style_code\": [1],"
              " \"reference\": {\"width\": 16, \"height\": 16}}", "invalid");
    parse_bad("{\"type\": \"attention\", \"id\": 3, \"width\": 2, \"height\": 3, " IMAGE ","
              " \"reference\": {\"width\": 16, \"height\": 16}}", "invalid");
    parse_bad("{\"type\": \"stylize-frames\", \"id\": 3, \"frames\": [{\"width\": 2, \"height\": 3}], " IMAGE ","
              " \"style_code\": [1]}", "invalid");
}

static void test_stylize_frames(void)
{
    cgb_request r;
    parse_ok("{\"type\": \"stylize-frames\", \"id\": 4, \"frames\": [{\"width\": 4, \"height\": 3},"
             " {\"width\": 1, \"height\": 1}], \"color_model\": \"RGBA\", \"depth\": \"F16\", \"style\": \"ink\","
             " \"mask\": true}", &r);
    g_assert_cmpint(r.type, ==, CGB_STYLIZE_FRAMES);
    g_assert_cmpint(r.n_frames, ==, 2);
    g_assert_cmpint(r.frames[0].width, ==, 4);
    g_assert_cmpint(r.frames[1].height, ==, 1);
    g_assert_cmpint(r.depth, ==, CGB_F16);
    g_assert_cmpuint(cgb_expected_payload(&r), ==, (4 * 3 + 1) * 9);

    GString *many = g_string_new("{\"type\": \"stylize-frames\", \"id\": 4, " IMAGE ", \"frames\": [");
    for (int i = 0; i < CGB_MAX_FRAMES; i++)
        g_string_append_printf(many, "%s{\"width\": 2, \"height\": 2}", i ? ", " : "");
    g_string_append(many, "]}");
    parse_ok(many->str, &r);
    g_assert_cmpint(r.n_frames, ==, CGB_MAX_FRAMES);
    /* One frame more is too many. */
    g_string_truncate(many, many->len - 2);
    g_string_append(many, ", {\"width\": 2, \"height\": 2}]}");
    parse_bad(many->str, "too-large");
    g_string_free(many, TRUE);

    parse_bad("{\"type\": \"stylize-frames\", \"id\": 4, " IMAGE ", \"frames\": []}", "invalid");
    parse_bad("{\"type\": \"stylize-frames\", \"id\": 4, " IMAGE "}", "protocol");
    parse_bad("{\"type\": \"stylize-frames\", \"id\": 4, " IMAGE ", \"frames\": {\"width\": 2}}", "protocol");
    parse_bad("{\"type\": \"stylize-frames\", \"id\": 4, " IMAGE ", \"frames\": [3]}", "protocol");
    parse_bad("{\"type\": \"stylize-frames\", \"id\": 4, " IMAGE ", \"frames\": [{\"width\": 2}]}", "protocol");
    parse_bad("{\"type\": \"stylize-frames\", \"id\": 4, " IMAGE ", \"frames\": [{\"width\": 0, \"height\": 2}]}",
              "invalid");
    /* Each frame within the limits, together over them. */
    parse_bad("{\"type\": \"stylize-frames\", \"id\": 4, " IMAGE ", \"frames\": [{\"width\": 16384, \"height\": "
              "16384}, {\"width\": 1, \"height\": 1}]}", "too-large");
}

static void test_attention(void)
{
    cgb_request r;
    parse_ok("{\"type\": \"attention\", \"id\": 5, \"width\": 8, \"height\": 8, " IMAGE ", \"point\": \"cam\","
             " \"opacity\": 0.5}", &r);
    g_assert_cmpint(r.type, ==, CGB_ATTENTION);
    g_assert_cmpstr(r.point, ==, "cam");
    g_assert_cmpint(r.point_index, ==, -1);
    g_assert_cmpfloat(r.opacity, ==, 0.5f);
    g_assert_cmpuint(cgb_expected_payload(&r), ==, 8 * 8 * 4);
    parse_ok("{\"type\": \"attention\", \"id\": 5, \"width\": 8, \"height\": 8, " IMAGE ", \"point\": 2}", &r);
    g_assert_cmpstr(r.point, ==, "");
    g_assert_cmpint(r.point_index, ==, 2);
    g_assert_cmpfloat(r.opacity, ==, 1.0f);
    parse_ok("{\"type\": \"attention\", \"id\": 5, \"width\": 8, \"height\": 8, " IMAGE ", \"point\": \"cbam.channel\"}",
             &r);
    g_assert_cmpstr(r.point, ==, "cbam.channel");
    parse_bad("{\"type\": \"attention\", \"id\": 5, \"width\": 8, \"height\": 8, " IMAGE ", \"mask\": true}", "invalid");
    parse_bad("{\"type\": \"attention\", \"id\": 5, \"width\": 8, \"height\": 8, " IMAGE ", \"point\": -1}", "invalid");
    parse_bad("{\"type\": \"attention\", \"id\": 5, \"width\": 8, \"height\": 8, " IMAGE ", \"point\": true}",
              "protocol");
    parse_bad("{\"type\": \"attention\", \"id\": 5, \"width\": 8, \"height\": 8, " IMAGE ", \"opacity\": 2}", "invalid");
}

static void test_cancel(void)
{
    cgb_request r;
    parse_ok("{\"type\": \"cancel\", \"id\": 6, \"target\": 3}", &r);
    g_assert_cmpint(r.type, ==, CGB_CANCEL);
    g_assert_cmpint(r.target, ==, 3);
    parse_bad("{\"type\": \"cancel\", \"id\": 6}", "protocol");
    parse_bad("{\"type\": \"cancel\", \"id\": 6, \"target\": -3}", "invalid");
}

static void test_animation(void)
{
    cgb_request r;
    parse_ok("{\"type\": \"animation\", \"id\": 9, \"count\": 3, " IMAGE ", \"scale\": \"auto\"}", &r);
    g_assert_cmpint(r.type, ==, CGB_ANIMATION);
    g_assert_cmpint(r.count, ==, 3);
    g_assert_true(r.scale_auto);
    g_assert_cmpuint(cgb_expected_payload(&r), ==, 0);
    parse_bad("{\"type\": \"animation\", \"id\": 9, " IMAGE "}", "protocol");
    parse_bad("{\"type\": \"animation\", \"id\": 9, \"count\": 0, " IMAGE "}", "invalid");
    parse_bad("{\"type\": \"animation\", \"id\": 9, \"count\": 10001, " IMAGE "}", "too-large");
    parse_bad("{\"type\": \"animation\", \"id\": 9, \"count\": 2, " IMAGE ", \"mask\": true}", "invalid");

    parse_ok("{\"type\": \"animation-frame\", \"id\": 10, \"animation\": 9, \"index\": 2, \"width\": 3, "
             "\"height\": 2, \"color_model\": \"RGBA\", \"depth\": \"U16\", \"mask\": true, \"payload\": 54}", &r);
    g_assert_cmpint(r.type, ==, CGB_ANIMATION_FRAME);
    g_assert_cmpint(r.animation, ==, 9);
    g_assert_cmpint(r.index, ==, 2);
    g_assert_cmpuint(cgb_expected_payload(&r), ==, 3 * 2 * 9);
    parse_bad("{\"type\": \"animation-frame\", \"id\": 10, \"index\": 0, \"width\": 3, \"height\": 2, "
              "\"color_model\": \"RGBA\", \"depth\": \"U8\"}", "protocol");
    parse_bad("{\"type\": \"animation-frame\", \"id\": 10, \"animation\": 9, \"index\": -1, \"width\": 3, "
              "\"height\": 2, \"color_model\": \"RGBA\", \"depth\": \"U8\"}", "invalid");
    parse_bad("{\"type\": \"animation-frame\", \"id\": 10, \"animation\": 9, \"index\": 0, \"width\": 3, "
              "\"color_model\": \"RGBA\", \"depth\": \"U8\"}", "protocol");

    parse_ok("{\"type\": \"animation-end\", \"id\": 11, \"animation\": 9}", &r);
    g_assert_cmpint(r.type, ==, CGB_ANIMATION_END);
    g_assert_cmpint(r.animation, ==, 9);
    parse_bad("{\"type\": \"animation-end\", \"id\": 11}", "protocol");
}

/* ---- malformed headers -------------------------------------------------- */

static void test_malformed_json(void)
{
    parse_bad("{\"type\": \"hello\", \"id\": 1, \"protocol\": 1", "protocol");
    parse_bad("not json at all", "protocol");
    parse_bad("[1, 2, 3]", "protocol");
    parse_bad("\"hello\"", "protocol");
    parse_bad("{\"type\": \"hello\", \"id\": 1, \"protocol\": 1, \"client\": \"\xff\xfe\"}", "protocol");

    /* A NUL byte inside the header. */
    const char with_nul[] = "{\"type\": \"hello\", \"id\": 1,\0 \"protocol\": 1}";
    cgb_request r;
    const char *code = NULL;
    cg_error err = {0};
    g_assert_cmpint(cgb_parse_header(with_nul, sizeof with_nul - 1, &r, &code, &err), !=, CG_OK);
    g_assert_cmpstr(code, ==, "protocol");

    /* Deep nesting is refused before the JSON parser sees it. */
    GString *deep = g_string_new("{\"type\": \"hello\", \"id\": 1, \"protocol\": 1, \"x\": ");
    for (int i = 0; i < 20000; i++)
        g_string_append_c(deep, '[');
    for (int i = 0; i < 20000; i++)
        g_string_append_c(deep, ']');
    g_string_append_c(deep, '}');
    parse_bad(deep->str, "protocol");
    g_string_free(deep, TRUE);
    /* Brackets inside strings do not count. */
    parse_ok("{\"type\": \"hello\", \"id\": 1, \"protocol\": 1, \"client\": \"[[[[[[[[[[[[[[[[[[[[\\\"[[[[[[\"}", &r);
}

static void test_malformed_common(void)
{
    cgb_request r;
    r = parse_bad("{\"id\": 1, \"protocol\": 1}", "protocol");
    g_assert_cmpint(r.id, ==, 1);
    g_assert_true(r.payload_known);
    r = parse_bad("{\"type\": \"goodbye\", \"id\": 9, \"payload\": 12}", "protocol");
    g_assert_cmpint(r.id, ==, 9);
    g_assert_true(r.payload_known);
    g_assert_cmpuint(r.payload, ==, 12);
    /* Reply types are not requests. */
    parse_bad("{\"type\": \"result\", \"id\": 9}", "protocol");
    parse_bad("{\"type\": 3, \"id\": 9}", "protocol");
    r = parse_bad("{\"type\": \"hello\", \"protocol\": 1}", "protocol");
    g_assert_cmpint(r.id, ==, -1);
    r = parse_bad("{\"type\": \"hello\", \"id\": -1, \"protocol\": 1}", "protocol");
    g_assert_cmpint(r.id, ==, -1);
    parse_bad("{\"type\": \"hello\", \"id\": 1.5, \"protocol\": 1}", "protocol");
    parse_bad("{\"type\": \"hello\", \"id\": \"1\", \"protocol\": 1}", "protocol");
    parse_bad("{\"type\": \"hello\", \"id\": 4294967296, \"protocol\": 1}", "protocol");

    /* A payload length that cannot be trusted: the reader must resync. */
    r = parse_bad("{\"type\": \"hello\", \"id\": 1, \"protocol\": 1, \"payload\": -4}", "protocol");
    g_assert_false(r.payload_known);
    r = parse_bad("{\"type\": \"hello\", \"id\": 1, \"protocol\": 1, \"payload\": 4.0}", "protocol");
    g_assert_false(r.payload_known);
    r = parse_bad("{\"type\": \"hello\", \"id\": 1, \"protocol\": 1, \"payload\": \"4\"}", "protocol");
    g_assert_false(r.payload_known);
    r = parse_bad("{\"type\": \"stylize\", \"id\": 1, \"payload\": 9223372036854775807}", "too-large");
    g_assert_false(r.payload_known);
    r = parse_bad("{\"type\": \"stylize\", \"id\": 1, \"payload\": 99999999999999999999999}", "protocol");
    g_assert_false(r.payload_known);
    r = parse_bad("not json", "protocol");
    g_assert_false(r.payload_known);
}

static void test_malformed_image(void)
{
#define ST "{\"type\": \"stylize\", \"id\": 3, "
    parse_bad(ST "\"height\": 4, " IMAGE "}", "protocol");
    parse_bad(ST "\"width\": \"4\", \"height\": 4, " IMAGE "}", "protocol");
    parse_bad(ST "\"width\": 0, \"height\": 4, " IMAGE "}", "invalid");
    parse_bad(ST "\"width\": -5, \"height\": 4, " IMAGE "}", "invalid");
    parse_bad(ST "\"width\": 4, \"height\": 16385, " IMAGE "}", "too-large");
    parse_bad(ST "\"width\": 99999999999, \"height\": 4, " IMAGE "}", "too-large");

    cgb_request r = parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"GRAYA\", \"depth\": \"U8\","
                              " \"style\": \"ink\", \"payload\": 64}", "unsupported");
    g_assert_true(r.payload_known);
    g_assert_cmpint(r.id, ==, 3);
    {
        cg_error err = {0};
        const char *code = NULL;
        parse(ST "\"width\": 4, \"height\": 4, \"color_model\": \"GRAYA\", \"depth\": \"U8\", \"style\": \"ink\"}", &r,
              &code, &err);
        g_assert_nonnull(strstr(err.message, "gray"));
        g_assert_nonnull(strstr(err.message, "RGB"));
    }
    parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"CMYKA\", \"depth\": \"U8\", \"style\": \"ink\"}",
              "unsupported");
    parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"RGBA\", \"depth\": \"U32\", \"style\": \"ink\"}",
              "unsupported");
    parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"RGBA\", \"style\": \"ink\"}", "protocol");
    parse_bad(ST "\"width\": 4, \"height\": 4, \"depth\": \"U8\", \"style\": \"ink\"}", "protocol");
    parse_bad(ST "\"width\": 4, \"height\": 4, " IMAGE ", \"transfer\": \"gamma22\"}", "invalid");
    parse_bad(ST "\"width\": 4, \"height\": 4, " IMAGE ", \"transfer\": 1}", "protocol");

    parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"RGBA\", \"depth\": \"U8\"}", "protocol");
    parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"RGBA\", \"depth\": \"U8\", \"style\": \"Ink\"}",
              "invalid");
    parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"RGBA\", \"depth\": \"U8\", \"style\": \"\"}",
              "invalid");
    parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"RGBA\", \"depth\": \"U8\", \"style\": "
              "\"a-very-long-style-name-that-goes-on-and-on-and-on-past-the-limit-of-64\"}", "invalid");
    parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"RGBA\", \"depth\": \"U8\", \"style\": 5}",
              "protocol");
    parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"RGBA\", \"depth\": \"U8\", \"mix\": {}}",
              "invalid");
    parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"RGBA\", \"depth\": \"U8\", \"mix\": [\"ink\"]}",
              "protocol");
    parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"RGBA\", \"depth\": \"U8\", \"mix\": {\"ink\": -1}}",
              "invalid");
    parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"RGBA\", \"depth\": \"U8\", "
              "\"mix\": {\"ink\": 0, \"paint\": 0}}", "invalid");
    parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"RGBA\", \"depth\": \"U8\", \"mix\": {\"ink\": \"1\"}}",
              "protocol");
    parse_bad(ST "\"width\": 4, \"height\": 4, \"color_model\": \"RGBA\", \"depth\": \"U8\", \"mix\": {\"In k\": 1}}",
              "invalid");
    GString *mix = g_string_new(ST "\"width\": 4, \"height\": 4, \"color_model\": \"RGBA\", \"depth\": \"U8\", \"mix\": {");
    for (int i = 0; i <= CGB_MAX_MIX; i++)
        g_string_append_printf(mix, "%s\"s%d\": 1", i ? ", " : "", i);
    g_string_append(mix, "}}");
    parse_bad(mix->str, "invalid");
    g_string_free(mix, TRUE);

    parse_bad(ST "\"width\": 4, \"height\": 4, " IMAGE ", \"strength\": 1.5}", "invalid");
    parse_bad(ST "\"width\": 4, \"height\": 4, " IMAGE ", \"strength\": -0.1}", "invalid");
    parse_bad(ST "\"width\": 4, \"height\": 4, " IMAGE ", \"strength\": \"full\"}", "protocol");
    parse_bad(ST "\"width\": 4, \"height\": 4, " IMAGE ", \"keep_colors\": 1}", "protocol");
    parse_bad(ST "\"width\": 4, \"height\": 4, " IMAGE ", \"mask\": \"yes\"}", "protocol");
    parse_bad(ST "\"width\": 4, \"height\": 4, " IMAGE ", \"tile\": 5000}", "invalid");
    parse_bad(ST "\"width\": 4, \"height\": 4, " IMAGE ", \"tile\": 64.5}", "protocol");
    parse_bad(ST "\"width\": 4, \"height\": 4, " IMAGE ", \"line_weight\": 2}", "invalid");
    parse_bad(ST "\"width\": 4, \"height\": 4, " IMAGE ", \"denoise\": -1}", "invalid");
    parse_bad(ST "\"width\": 4, \"height\": 4, " IMAGE ", \"contrast\": 0.1}", "invalid");
#undef ST
}

/* ---- pixels ------------------------------------------------------------- */

static float engine_u8(uint8_t v)
{
    return v / 255.0f;
}

static void test_u8(void)
{
    /* Krita's integer layout is B, G, R, A. */
    const uint8_t px[4] = {10, 20, 30, 40};
    float f[4];
    g_assert_true(cgb_unpack(px, CGB_U8, false, 1, f, NULL));
    g_assert_cmpfloat(f[0], ==, engine_u8(30));
    g_assert_cmpfloat(f[1], ==, engine_u8(20));
    g_assert_cmpfloat(f[2], ==, engine_u8(10));
    g_assert_cmpfloat(f[3], ==, engine_u8(40));

    /* Every value in every channel comes back exactly. */
    uint8_t in[256 * 4], out[256 * 4];
    float buf[256 * 4];
    for (int v = 0; v < 256; v++)
        for (int c = 0; c < 4; c++)
            in[v * 4 + c] = (uint8_t)(v + 61 * c);
    g_assert_true(cgb_unpack(in, CGB_U8, false, 256, buf, NULL));
    cgb_pack(buf, CGB_U8, false, 256, out);
    g_assert_cmpmem(in, sizeof in, out, sizeof out);

    /* Packing rounds and clamps like the engine's 8-bit files. */
    const float odd[4] = {0.5f, -3.0f, 7.0f, 0.501960814f};
    cgb_pack(odd, CGB_U8, false, 1, out);
    g_assert_cmpint(out[2], ==, lrintf(0.5f * 255.0f));
    g_assert_cmpint(out[1], ==, 0);
    g_assert_cmpint(out[0], ==, 255);
    g_assert_cmpint(out[3], ==, 128);
}

static void test_u16(void)
{
    const uint8_t px[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xff, 0xff};
    float f[4];
    g_assert_true(cgb_unpack(px, CGB_U16, false, 1, f, NULL));
    g_assert_cmpfloat(f[0], ==, 0x0605 / 65535.0f);
    g_assert_cmpfloat(f[1], ==, 0x0403 / 65535.0f);
    g_assert_cmpfloat(f[2], ==, 0x0201 / 65535.0f);
    g_assert_cmpfloat(f[3], ==, 1.0f);

    size_t n = 65536;
    uint8_t *in = g_malloc(n * 8), *out = g_malloc(n * 8);
    float *buf = g_malloc(n * 16);
    for (size_t v = 0; v < n; v++)
        for (int c = 0; c < 4; c++) {
            uint16_t s = (uint16_t)(v + 12345 * (size_t)c);
            in[v * 8 + 2 * c] = (uint8_t)s;
            in[v * 8 + 2 * c + 1] = (uint8_t)(s >> 8);
        }
    g_assert_true(cgb_unpack(in, CGB_U16, false, n, buf, NULL));
    cgb_pack(buf, CGB_U16, false, n, out);
    g_assert_cmpmem(in, n * 8, out, n * 8);
    g_free(in);
    g_free(out);
    g_free(buf);
}

static void test_half(void)
{
    /* Known values. */
    g_assert_cmpfloat(cgb_half_to_float(0x3c00), ==, 1.0f);
    g_assert_cmpfloat(cgb_half_to_float(0xc000), ==, -2.0f);
    g_assert_cmpfloat(cgb_half_to_float(0x7bff), ==, 65504.0f);
    g_assert_cmpfloat(cgb_half_to_float(0x0001), ==, 0x1p-24f);
    g_assert_cmpfloat(cgb_half_to_float(0x0400), ==, 0x1p-14f);
    g_assert_true(isinf(cgb_half_to_float(0x7c00)));
    g_assert_true(isnan(cgb_half_to_float(0x7e00)));
    g_assert_cmpuint(cgb_float_to_half(1.0f), ==, 0x3c00);
    g_assert_cmpuint(cgb_float_to_half(-0.0f), ==, 0x8000);
    g_assert_cmpuint(cgb_float_to_half(65504.0f), ==, 0x7bff);
    g_assert_cmpuint(cgb_float_to_half(65519.0f), ==, 0x7bff);
    g_assert_cmpuint(cgb_float_to_half(65520.0f), ==, 0x7c00);
    g_assert_cmpuint(cgb_float_to_half(1e9f), ==, 0x7c00);
    g_assert_cmpuint(cgb_float_to_half(0x1p-25f), ==, 0x0000); /* a tie, to even */
    g_assert_cmpuint(cgb_float_to_half(0x1.8p-24f), ==, 0x0002); /* a tie, to even */
    g_assert_cmpuint(cgb_float_to_half(1.0f + 0x1p-11f), ==, 0x3c00); /* tie, to even */
    g_assert_cmpuint(cgb_float_to_half(1.0f + 0x3p-11f), ==, 0x3c02); /* tie, to even */
    g_assert_true((cgb_float_to_half(NAN) & 0x7c00) == 0x7c00 && (cgb_float_to_half(NAN) & 0x3ff) != 0);

    /* Every half that is a number survives the round trip bit for bit. */
    for (uint32_t h = 0; h < 65536; h++) {
        float f = cgb_half_to_float((uint16_t)h);
        if (isnan(f))
            continue;
        if (cgb_float_to_half(f) != h)
            g_error("half 0x%04x -> %g -> 0x%04x", h, f, cgb_float_to_half(f));
    }

#ifdef __FLT16_MAX__
    /* Against the compiler's own conversions, where it has them. */
    for (uint32_t h = 0; h < 65536; h++) {
        uint16_t bits = (uint16_t)h;
        _Float16 x;
        memcpy(&x, &bits, sizeof x);
        float want = (float)x, got = cgb_half_to_float(bits);
        if (!(isnan(want) && isnan(got)) && memcmp(&want, &got, sizeof want) != 0)
            g_error("half 0x%04x: %a, compiler %a", h, got, want);
    }
    GRand *rng = g_rand_new_with_seed(7);
    for (int i = 0; i < 2000000; i++) {
        uint32_t u = g_rand_int(rng);
        float f;
        /* Mostly the range half can hold, some of everything. */
        if (i % 4)
            u = (u & 0x807fffffu) | ((uint32_t)g_rand_int_range(rng, 127 - 26, 127 + 17) << 23);
        memcpy(&f, &u, sizeof f);
        if (isnan(f))
            continue;
        _Float16 x = (_Float16)f;
        uint16_t want;
        memcpy(&want, &x, sizeof want);
        if (cgb_float_to_half(f) != want)
            g_error("float %a: 0x%04x, compiler 0x%04x", f, cgb_float_to_half(f), want);
    }
    g_rand_free(rng);
#else
    g_test_message("no _Float16 in this compiler: checked against known values only");
#endif
}

static void test_f16(void)
{
    const uint16_t halves[4] = {0x3c00, 0x3800, 0x0000, 0x3555}; /* R, G, B, A */
    uint8_t px[8];
    for (int c = 0; c < 4; c++) {
        px[2 * c] = (uint8_t)halves[c];
        px[2 * c + 1] = (uint8_t)(halves[c] >> 8);
    }
    float f[4];
    g_assert_true(cgb_unpack(px, CGB_F16, false, 1, f, NULL));
    g_assert_cmpfloat(f[0], ==, 1.0f);
    g_assert_cmpfloat(f[1], ==, 0.5f);
    g_assert_cmpfloat(f[2], ==, 0.0f);
    g_assert_cmpfloat(f[3], ==, cgb_half_to_float(0x3555));
    uint8_t out[8];
    cgb_pack(f, CGB_F16, false, 1, out);
    g_assert_cmpmem(px, 8, out, 8);

    /* Every finite half in every channel. */
    size_t n = 0;
    uint8_t *in = g_malloc(65536 * 8), *back = g_malloc(65536 * 8);
    float *buf = g_malloc(65536 * 16);
    for (uint32_t h = 0; h < 65536; h++) {
        if ((h & 0x7c00) == 0x7c00)
            continue;
        for (int c = 0; c < 4; c++) {
            uint16_t s = (uint16_t)(h ^ (uint32_t)c);
            if ((s & 0x7c00) == 0x7c00)
                s = 0;
            in[n * 8 + 2 * c] = (uint8_t)s;
            in[n * 8 + 2 * c + 1] = (uint8_t)(s >> 8);
        }
        n++;
    }
    g_assert_true(cgb_unpack(in, CGB_F16, false, n, buf, NULL));
    cgb_pack(buf, CGB_F16, false, n, back);
    g_assert_cmpmem(in, n * 8, back, n * 8);
    g_free(in);
    g_free(back);
    g_free(buf);
}

static void test_f32(void)
{
    GRand *rng = g_rand_new_with_seed(3);
    size_t n = 100000;
    uint8_t *in = g_malloc(n * 16), *out = g_malloc(n * 16);
    float *buf = g_malloc(n * 16);
    for (size_t i = 0; i < n * 4; i++) {
        uint32_t u;
        do
            u = g_rand_int(rng);
        while ((u & 0x7f800000u) == 0x7f800000u);
        for (int b = 0; b < 4; b++)
            in[i * 4 + (size_t)b] = (uint8_t)(u >> (8 * b));
    }
    g_assert_true(cgb_unpack(in, CGB_F32, false, n, buf, NULL));
    /* R, G, B, A order, little-endian. */
    uint32_t first;
    memcpy(&first, &buf[0], 4);
    g_assert_cmpuint(first, ==, in[0] | in[1] << 8 | in[2] << 16 | (uint32_t)in[3] << 24);
    cgb_pack(buf, CGB_F32, false, n, out);
    g_assert_cmpmem(in, n * 16, out, n * 16);
    g_free(in);
    g_free(out);
    g_free(buf);
    g_rand_free(rng);
}

static void test_not_finite(void)
{
    float f[8];
    size_t bad = 99;
    uint8_t f32[32] = {0};
    const float inf = INFINITY;
    memcpy(f32 + 16 + 8, &inf, 4); /* pixel 1, blue */
    g_assert_false(cgb_unpack(f32, CGB_F32, false, 2, f, &bad));
    g_assert_cmpuint(bad, ==, 1);

    uint8_t f16[16] = {0};
    f16[6] = 0x00;
    f16[7] = 0x7e; /* pixel 0, alpha: NaN */
    g_assert_false(cgb_unpack(f16, CGB_F16, false, 2, f, &bad));
    g_assert_cmpuint(bad, ==, 0);
}

static void test_linear(void)
{
    for (int i = 0; i <= 1000; i++) {
        float v = i / 1000.0f;
        g_assert_cmpfloat_with_epsilon(cgb_srgb_decode(cgb_srgb_encode(v)), v, 2e-6);
    }
    g_assert_cmpfloat_with_epsilon(cgb_srgb_encode(0.5f), 0.735356983f, 1e-6);
    g_assert_cmpfloat_with_epsilon(cgb_srgb_encode(-0.5f), -0.735356983f, 1e-6);

    /* Float pixels in linear light reach the engine sRGB-encoded, alpha untouched. */
    const float lin[4] = {0.5f, 0.0f, 1.0f, 0.5f};
    float f[4];
    g_assert_true(cgb_unpack((const uint8_t *)lin, CGB_F32, true, 1, f, NULL));
    g_assert_cmpfloat_with_epsilon(f[0], 0.735356983f, 1e-6);
    g_assert_cmpfloat(f[1], ==, 0.0f);
    g_assert_cmpfloat_with_epsilon(f[2], 1.0f, 1e-6);
    g_assert_cmpfloat(f[3], ==, 0.5f);

    /* Integer values in linear light still come back exactly. */
    uint8_t in[256 * 4], out[256 * 4];
    float buf[256 * 4];
    for (int v = 0; v < 256 * 4; v++)
        in[v] = (uint8_t)(v / 4);
    g_assert_true(cgb_unpack(in, CGB_U8, true, 256, buf, NULL));
    cgb_pack(buf, CGB_U8, true, 256, out);
    g_assert_cmpmem(in, sizeof in, out, sizeof out);
}

static void test_masked(void)
{
    /* Three U8 pixels: mask 0 keeps the original, 255 takes the styled one,
     * 51 (0.2) blends. */
    uint8_t px[12] = {1, 2, 3, 4, 100, 100, 100, 100, 0, 0, 0, 255};
    const uint8_t mask[3] = {0, 255, 51};
    const float styled[12] = {1, 1, 1, 1, 1, 0.5f, 0, 1, 1, 1, 1, 1};
    cgb_pack_masked(styled, mask, CGB_U8, false, 3, px);
    const uint8_t want[12] = {1, 2, 3, 4, 0, 128, 255, 255, 51, 51, 51, 255};
    g_assert_cmpmem(px, 12, want, 12);

    /* Mask 0 keeps even bytes that would not survive a conversion. */
    uint16_t h[4] = {0x7e00, 0x7c00, 0xfc00, 0x0001};
    uint8_t f16[8];
    memcpy(f16, h, 8);
    const uint8_t zero = 0;
    const float any[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    cgb_pack_masked(any, &zero, CGB_F16, false, 1, f16);
    g_assert_cmpmem(f16, 8, h, 8);

    /* Full mask equals packing without one, in every depth. */
    for (cgb_depth d = CGB_U8; d <= CGB_F32; d++) {
        uint8_t a[16] = {0}, b[16] = {0};
        const uint8_t full = 255;
        const float v[4] = {0.25f, 0.75f, 0.125f, 1.0f};
        cgb_pack(v, d, false, 1, a);
        cgb_pack_masked(v, &full, d, false, 1, b);
        g_assert_cmpmem(a, 16, b, 16);
    }
}

static void test_names(void)
{
    g_assert_cmpstr(cgb_type_name(CGB_STYLIZE_FRAMES), ==, "stylize-frames");
    g_assert_cmpstr(cgb_depth_name(CGB_F16), ==, "F16");
    g_assert_cmpuint(cgb_depth_bytes(CGB_U8), ==, 4);
    g_assert_cmpuint(cgb_depth_bytes(CGB_U16), ==, 8);
    g_assert_cmpuint(cgb_depth_bytes(CGB_F16), ==, 8);
    g_assert_cmpuint(cgb_depth_bytes(CGB_F32), ==, 16);
    g_assert_cmpstr(cgb_status_code(CG_ERR_CANCELLED), ==, "cancelled");
    g_assert_cmpstr(cgb_status_code(CG_ERR_NOMEM), ==, "memory");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/bridge/preamble", test_preamble);
    g_test_add_func("/bridge/request/hello", test_hello);
    g_test_add_func("/bridge/request/list-styles", test_list_styles);
    g_test_add_func("/bridge/request/stylize", test_stylize);
    g_test_add_func("/bridge/request/reference", test_reference);
    g_test_add_func("/bridge/request/stylize-frames", test_stylize_frames);
    g_test_add_func("/bridge/request/attention", test_attention);
    g_test_add_func("/bridge/request/cancel", test_cancel);
    g_test_add_func("/bridge/request/animation", test_animation);
    g_test_add_func("/bridge/malformed/json", test_malformed_json);
    g_test_add_func("/bridge/malformed/common", test_malformed_common);
    g_test_add_func("/bridge/malformed/image", test_malformed_image);
    g_test_add_func("/bridge/pixels/u8", test_u8);
    g_test_add_func("/bridge/pixels/u16", test_u16);
    g_test_add_func("/bridge/pixels/half", test_half);
    g_test_add_func("/bridge/pixels/f16", test_f16);
    g_test_add_func("/bridge/pixels/f32", test_f32);
    g_test_add_func("/bridge/pixels/not-finite", test_not_finite);
    g_test_add_func("/bridge/pixels/linear", test_linear);
    g_test_add_func("/bridge/pixels/masked", test_masked);
    g_test_add_func("/bridge/names", test_names);
    return g_test_run();
}
