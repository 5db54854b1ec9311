/* comicgan — model files: a network, its styles and where it came from.
 *
 * A model is a safetensors file (comicgan/safetensors.h) whose metadata holds
 * comicgan.format ("1"), comicgan.arch (comicgan/net.h), comicgan.styles and
 * comicgan.provenance. comicgan.styles is a JSON list, one entry per style of
 * the network, in style-index order:
 *   {"name": "manga", "display_name": "Manga", "description": "...",
 *    "mode": "pix2pix" | "cyclegan" | "attention" | "identity",
 *    "monochrome": true}   (optional, default false)
 * A style whose mode is "identity" is trained to return its input: chosen on
 * its own, stylize returns the input exactly; strength interpolates the other
 * styles toward it (comicgan/stylize.h). A monochrome style draws in black,
 * white and grays: stylize returns its output as gray.
 *
 * A reference model takes its style from a picture instead: it also holds a
 * style encoder (comicgan/net.h, "style_encoder"), whose arch is the
 * comicgan.encoder metadata and whose tensors are named "encoder/NAME"; its
 * generator is a cond_instance network with one style per value of the
 * encoder's code (code + 1), and comicgan.styles lists one style of mode
 * "reference". Stylizing needs a style code (comicgan/stylize.h:
 * cg_model_encode_reference, cg_stylize_options.code). */
#ifndef COMICGAN_MODEL_H
#define COMICGAN_MODEL_H

#include "comicgan/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cg_model cg_model;

typedef struct cg_style_info {
    const char *name;          /* identifier used on command lines: [a-z0-9_-]+ */
    const char *display_name;  /* for menus */
    const char *description;
    const char *mode;
    bool monochrome;           /* its output is taken to gray */
} cg_style_info;

/* The rules for names and text in model files, shared by the loader, the
 * training config (checked at --check and start) and export. */

/* True for a style name: 1 to 64 of a-z, 0-9, _ and -. */
bool cg_style_name_valid(const char *name);

/* Text shown to people (display names, descriptions, provenance) must not
 * drive a terminal or reorder what is shown around it. Returns 0 when s may
 * be shown, else the first code point refused: C0 controls, DEL, C1
 * controls, the bidi embeddings and overrides U+202A..U+202E and isolates
 * U+2066..U+2069 (tab and newline are allowed when multiline), or 0xFFFD for
 * invalid UTF-8. */
uint32_t cg_text_refused_char(const char *s, bool multiline);

/* Loads and checks a model file: every rule of the safetensors loader, then
 * the format version, the architecture, the styles (one per network style,
 * unique valid names, display names and descriptions without control or
 * bidi characters), the provenance's text (the same rule) and every
 * tensor's presence and shape. Caller frees with
 * cg_model_free. NULL and err filled (message naming the file) on failure. */
cg_model *cg_model_load(const char *path, cg_error *err);

/* cg_model_load without the weights: every check on the file's header
 * (format, architecture, styles, each tensor's name and shape) but no tensor
 * data read, and the network's weights left zero. For listing styles; load
 * the model to run it. Caller frees; NULL and err filled as above. */
cg_model *cg_model_load_header(const char *path, cg_error *err);

/* A new model around a network built from arch_json (zeroed weights) with the
 * given styles JSON (NULL: one style called "default"). Caller frees. */
cg_model *cg_model_new(const char *arch_json, const char *styles_json, cg_error *err);

/* A reference model: a generator from arch_json and a style encoder from
 * encoder_json (zeroed weights), with styles_json listing its one style of
 * mode "reference". Caller frees; NULL and err filled when the two do not fit
 * (the generator must have code + 1 cond_instance styles). */
cg_model *cg_model_new_reference(const char *arch_json, const char *encoder_json, const char *styles_json,
                                 cg_error *err);

void cg_model_free(cg_model *m);

/* Writes the model atomically (nothing left at path on failure), with
 * provenance_json (NULL: the provenance it was loaded with, or "{}"). */
cg_status cg_model_save(const cg_model *m, const char *path, const char *provenance_json, cg_error *err);

/* The network (owned by m). */
cg_net *cg_model_net(const cg_model *m);

/* A reference model's style code starts with the reference's palette: the
 * mean of its Lab L, a and b, then their standard deviations
 * (cg_quality_lab_stats), CG_PALETTE_LENGTH values; then the encoder's code,
 * the generator's style weights, ending in the constant 1. */
#define CG_PALETTE_LENGTH 6

/* A reference model's style encoder (owned by m), NULL for other models; and
 * the length of its style codes (the palette and the constant 1 included), 0
 * for other models. */
cg_net *cg_model_encoder(const cg_model *m);
int cg_model_code_length(const cg_model *m);

int cg_model_style_count(const cg_model *m);
/* Style i (0..count-1), NULL outside; strings owned by m. */
const cg_style_info *cg_model_style(const cg_model *m, int i);
/* Index of the style called name, or -1. */
int cg_model_find_style(const cg_model *m, const char *name);
/* Index of the first identity style, or -1. */
int cg_model_identity_style(const cg_model *m);

/* The styles and provenance as JSON text (owned by m). */
const char *cg_model_styles_json(const cg_model *m);
const char *cg_model_provenance_json(const cg_model *m);

#ifdef __cplusplus
}
#endif
#endif
