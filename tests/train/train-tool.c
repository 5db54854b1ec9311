/* Helper of the shell tests: writes a tiny dataset, and compares two
 * checkpoints within the stated tolerance of data-parallel training.
 *
 *   train-tool data DIR                  DIR/photos: 8 photos of 32x32
 *   train-tool compare A B LR STEPS      exit 0 when A and B agree:
 *     - every tensor: max |a - b| <= 2 * LR * STEPS (Adam moves a weight by
 *       at most LR a step, whatever the gradient; where a gradient is pure
 *       rounding noise, e.g. a conv bias before instance norm, the two runs
 *       may move it in opposite directions);
 *     - every conv weight: max |a - b| <= 1e-4;
 *     - the mean |a - b| over all weights <= 1e-5. */
#include "fixture.h"

#include "comicgan/safetensors.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare(const char *pa, const char *pb, double lr, double steps)
{
    cg_error err = {0};
    cg_safetensors *a = cg_safetensors_load(pa, &err), *b = a ? cg_safetensors_load(pb, &err) : NULL;
    if (!a || !b) {
        fprintf(stderr, "train-tool: %s\n", err.message);
        return 2;
    }
    double bound = 2 * lr * steps, sum = 0, worst = 0, worst_weight = 0;
    int64_t count = 0;
    const char *worst_name = "";
    for (int i = 0; i < cg_safetensors_count(a); i++) {
        const cg_safetensors_tensor *ta = cg_safetensors_get(a, i);
        if (strstr(ta->name, "/adam."))
            continue; /* optimizer moments are compared through the weights they move */
        const cg_safetensors_tensor *tb = cg_safetensors_find(b, ta->name);
        if (!tb || tb->size != ta->size) {
            fprintf(stderr, "train-tool: %s missing or of another size in %s\n", ta->name, pb);
            return 1;
        }
        bool conv_weight = g_str_has_suffix(ta->name, ".conv.weight");
        for (int64_t k = 0; k < ta->size; k++) {
            double d = fabs((double)ta->data[k] - tb->data[k]);
            sum += d;
            count++;
            if (d > worst) {
                worst = d;
                worst_name = ta->name;
            }
            if (conv_weight && d > worst_weight)
                worst_weight = d;
        }
    }
    double mean = sum / (count ? count : 1);
    printf("max |a-b| %.3g (%s, bound %.3g), conv weights %.3g (bound 1e-4), mean %.3g (bound 1e-5)\n", worst,
           worst_name, bound, worst_weight, mean);
    cg_safetensors_free(a);
    cg_safetensors_free(b);
    return worst <= bound && worst_weight <= 1e-4 && mean <= 1e-5 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "data") == 0) {
        char *photos = g_build_filename(argv[2], "photos", NULL);
        fx_write_photos(photos, 8, 32, 32, 21);
        g_free(photos);
        return 0;
    }
    if (argc == 6 && strcmp(argv[1], "compare") == 0)
        return compare(argv[2], argv[3], atof(argv[4]), atof(argv[5]));
    fprintf(stderr, "usage: train-tool data DIR | compare A B LR STEPS\n");
    return 2;
}
