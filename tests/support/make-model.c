/* Writes a model with seeded random weights, for tests of the front ends
 * before (and besides) trained models:
 *   make-model OUT.safetensors [ARCH_JSON [STYLES_JSON [SEED]]]
 *   make-model --reference OUT.safetensors [SEED]
 * The default is a small multi-style network (two styles and an identity
 * style) with a CAM attention point; --reference makes a small reference
 * model (a style encoder with codes of 4 + 1 values and its generator, one
 * style "test-reference"). Its output is not a meaningful style; it is
 * deterministic for a seed, which is what tests need. */
#include "comicgan/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_ARCH "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 2, " \
                     "\"norm\": \"cond_instance\", \"styles\": 3, \"attention\": [\"cam\"]}"
#define DEFAULT_STYLES "[{\"name\": \"test-ink\", \"display_name\": \"Test ink\", \"mode\": \"pix2pix\", " \
                       "\"description\": \"random weights, for tests\"}," \
                       " {\"name\": \"test-paint\", \"display_name\": \"Test paint\", \"mode\": \"cyclegan\"}," \
                       " {\"name\": \"identity\", \"display_name\": \"Original\", \"mode\": \"identity\"}]"

#define REFERENCE_ARCH "{\"type\": \"resnet\", \"width\": 8, \"downsamples\": 2, \"blocks\": 2, " \
                       "\"norm\": \"cond_instance\", \"styles\": 5}"
#define REFERENCE_ENCODER "{\"type\": \"style_encoder\", \"width\": 8, \"layers\": 2, \"code\": 4, \"side\": 32}"
#define REFERENCE_STYLES "[{\"name\": \"test-reference\", \"display_name\": \"Test reference\", " \
                         "\"mode\": \"reference\", \"description\": \"random weights, for tests\"}]"

int main(int argc, char **argv)
{
    bool reference = argc > 1 && strcmp(argv[1], "--reference") == 0;
    if (reference) {
        argc--;
        argv++;
    }
    if (argc < 2 || argc > (reference ? 3 : 5)) {
        fprintf(stderr, "usage: make-model OUT.safetensors [ARCH_JSON [STYLES_JSON [SEED]]]\n"
                        "       make-model --reference OUT.safetensors [SEED]\n");
        return 2;
    }
    const char *arch = argc > 2 ? argv[2] : DEFAULT_ARCH;
    const char *styles = argc > 3 ? argv[3] : (argc > 2 ? NULL : DEFAULT_STYLES);
    const char *seed = argc > (reference ? 2 : 4) ? argv[reference ? 2 : 4] : NULL;
    cg_error err = {0};
    cg_model *m = reference ? cg_model_new_reference(REFERENCE_ARCH, REFERENCE_ENCODER, REFERENCE_STYLES, &err)
                            : cg_model_new(arch, styles, &err);
    cg_rng rng;
    cg_rng_seed(&rng, seed ? strtoull(seed, NULL, 10) : 1);
    /* Xavier weights give a visible, image-dependent output. */
    if (!m || cg_net_init(cg_model_net(m), &rng, true, &err) != CG_OK ||
        (reference && cg_net_init(cg_model_encoder(m), &rng, true, &err) != CG_OK) ||
        cg_model_save(m, argv[1], "{\"recipe\": \"make-model (random weights, for tests)\"}", &err) != CG_OK) {
        fprintf(stderr, "make-model: %s\n", err.message);
        cg_model_free(m);
        return 1;
    }
    cg_model_free(m);
    return 0;
}
