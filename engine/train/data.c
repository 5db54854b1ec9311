/* Datasets: folders of images loaded through the image library, cleaned
 * (corrupt, tiny and duplicate files skipped with the reason), optionally
 * paired by file name, kept in memory as 8-bit RGB at the load size. */
#include "train/train_private.h"
#include "io/read_file.h"

#include "comicgan/filters.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const image_extensions[] = {".png", ".jpg", ".jpeg", ".webp", ".tif", ".tiff"};

static bool has_image_extension(const char *name)
{
    char *lower = g_ascii_strdown(name, -1);
    bool ok = false;
    for (size_t i = 0; i < G_N_ELEMENTS(image_extensions); i++)
        ok |= g_str_has_suffix(lower, image_extensions[i]);
    g_free(lower);
    return ok;
}

static char *stem(const char *name)
{
    char *s = g_strdup(name);
    char *dot = strrchr(s, '.');
    if (dot && dot != s)
        *dot = '\0';
    return s;
}

static void skip(cg_dataset *d, const char *path, char *reason)
{
    g_ptr_array_add(d->skipped_path, g_strdup(path));
    g_ptr_array_add(d->skipped_reason, reason);
}

static cg_status to_tr_image(const cg_image *img, int w, int h, tr_image *out, cg_error *err)
{
    cg_image *sized = NULL;
    const cg_image *use = img;
    if (img->width != w || img->height != h) {
        if (!(sized = cg_image_resize(img, w, h, err)))
            return err->code;
        use = sized;
    }
    out->w = w;
    out->h = h;
    out->rgb = g_try_malloc((size_t)w * h * 3);
    if (!out->rgb) {
        cg_image_free(sized);
        return cg_fail(err, CG_ERR_NOMEM, "out of memory for a %dx%d image", w, h);
    }
    for (size_t i = 0; i < (size_t)w * h; i++) {
        const float *p = use->pixels + 4 * i;
        float a = p[3] < 0 ? 0 : p[3] > 1 ? 1 : p[3];
        for (int c = 0; c < 3; c++) {
            /* Transparent areas become white paper, not black. */
            float v = p[c] * a + (1 - a);
            out->rgb[3 * i + c] = (uint8_t)lrintf((v < 0 ? 0 : v > 1 ? 1 : v) * 255.0f);
        }
    }
    cg_image_free(sized);
    return CG_OK;
}

cg_image *tr_image_to_cg(const tr_image *t, cg_error *err)
{
    cg_image *img = cg_image_new(t->w, t->h, err);
    if (!img)
        return NULL;
    for (size_t i = 0; i < (size_t)t->w * t->h; i++) {
        for (int c = 0; c < 3; c++)
            img->pixels[4 * i + c] = t->rgb[3 * i + c] / 255.0f;
        img->pixels[4 * i + 3] = 1.0f;
    }
    return img;
}

/* Loads one file: its bytes' hash and the decoded image; a reason when it
 * cannot be used (reason set, NULL returned). */
static cg_image *load_file(const char *path, char **hash, char **reason, cg_error *err)
{
    char *bytes = NULL;
    size_t len = 0;
    cg_error e = {0};
    *hash = NULL;
    *reason = NULL;
    if (cg_io_read_file(path, CG_IO_MAX_IMAGE_FILE, &bytes, &len, &e) != CG_OK) {
        if (e.code == CG_ERR_NOMEM) {
            *err = e;
            return NULL;
        }
        *reason = g_strdup_printf("unreadable: %s", e.message);
        return NULL;
    }
    *hash = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)bytes, len);
    char *base = g_path_get_basename(path);
    cg_image *img = cg_image_load_memory(bytes, len, base, &e);
    g_free(base);
    g_free(bytes);
    if (!img) {
        if (e.code == CG_ERR_NOMEM) {
            *err = e;
            return NULL;
        }
        *reason = g_strdup_printf("corrupt or not an image: %s", e.message);
    }
    return img;
}

/* The shorter side becomes load_size (never enlarged beyond 4x). */
static void load_dims(const cg_image *img, int load_size, int *w, int *h)
{
    int shorter = img->width < img->height ? img->width : img->height;
    double s = load_size > 0 ? (double)load_size / shorter : 1.0;
    if (load_size <= 0 && shorter > 4096)
        s = 4096.0 / shorter;
    *w = (int)lround(img->width * s);
    *h = (int)lround(img->height * s);
    if (*w < 1)
        *w = 1;
    if (*h < 1)
        *h = 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Image file names of dir, sorted; NULL with err on an unreadable folder. */
static GPtrArray *list_images(const char *dir, cg_error *err)
{
    GError *gerr = NULL;
    GDir *d = g_dir_open(dir, 0, &gerr);
    if (!d) {
        cg_fail(err, CG_ERR_IO, "%s: %s", dir, gerr->message);
        g_error_free(gerr);
        return NULL;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)))
        if (name[0] != '.' && has_image_extension(name))
            g_ptr_array_add(names, g_strdup(name));
    g_dir_close(d);
    if (names->len > 1)
        qsort(names->pdata, names->len, sizeof(char *), cmp_str);
    return names;
}

void cg_dataset_free(cg_dataset *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->n; i++) {
        g_free(d->items[i].name);
        g_free(d->items[i].hash);
        g_free(d->items[i].img.rgb);
        g_free(d->items[i].aux.rgb);
    }
    g_free(d->items);
    if (d->skipped_path)
        g_ptr_array_free(d->skipped_path, TRUE);
    if (d->skipped_reason)
        g_ptr_array_free(d->skipped_reason, TRUE);
    g_free(d->dir);
    g_free(d->manifest);
    g_free(d);
}

static void compute_manifest(cg_dataset *d)
{
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    for (int i = 0; i < d->n; i++) {
        g_checksum_update(sum, (const guchar *)d->items[i].name, -1);
        g_checksum_update(sum, (const guchar *)"\t", 1);
        g_checksum_update(sum, (const guchar *)d->items[i].hash, -1);
        g_checksum_update(sum, (const guchar *)"\n", 1);
    }
    d->manifest = g_strdup(g_checksum_get_string(sum));
    g_checksum_free(sum);
}

/* Loads the photo (and its target) of one file name: kept as the next item,
 * or listed as skipped with the reason. */
static cg_status scan_one(cg_dataset *d, const char *dir, const char *name, const char *targets_dir,
                          GHashTable *target_names, GHashTable *seen, const cg_data_options *o, cg_error *err)
{
    char *path = g_build_filename(dir, name, NULL), *hash = NULL, *reason = NULL;
    char *tpath = NULL, *thash = NULL;
    if (targets_dir) {
        /* The photo claims its target even when skipped, so the target is not
         * also reported as unpaired. */
        char *s = stem(name);
        const char *tname = g_hash_table_lookup(target_names, s);
        if (tname)
            tpath = g_build_filename(targets_dir, tname, NULL);
        g_hash_table_remove(target_names, s);
        g_free(s);
    }
    cg_image *img = load_file(path, &hash, &reason, err), *timg = NULL;
    cg_status st = CG_OK;
    if (!img && !reason) {
        st = err->code;
        goto out;
    }
    if (reason)
        goto skipped;
    const char *first = g_hash_table_lookup(seen, hash);
    if (img->width < o->min_side || img->height < o->min_side) {
        reason = g_strdup_printf("too small: %dx%d, the minimum side is %d", img->width, img->height, o->min_side);
        goto skipped;
    }
    if (first) {
        reason = g_strdup_printf("duplicate of %s", first);
        goto skipped;
    }
    if (targets_dir) {
        if (!tpath) {
            reason = g_strdup_printf("no target with the same name in %s", targets_dir);
            goto skipped;
        }
        char *treason = NULL;
        timg = load_file(tpath, &thash, &treason, err);
        if (!timg && !treason) {
            st = err->code;
            goto out;
        }
        if (treason) {
            reason = g_strdup_printf("its target %s is %s", tpath, treason);
            g_free(treason);
            goto skipped;
        }
    }
    int w, h;
    load_dims(img, o->load_size, &w, &h);
    tr_item *it = &d->items[d->n];
    memset(it, 0, sizeof *it);
    if ((st = to_tr_image(img, w, h, &it->img, err)) == CG_OK && timg)
        st = to_tr_image(timg, w, h, &it->aux, err);
    if (st != CG_OK) {
        g_free(it->img.rgb);
        g_free(it->aux.rgb);
        goto out;
    }
    it->name = g_strdup(name);
    it->hash = thash ? g_strdup_printf("%s+%s", hash, thash) : g_strdup(hash);
    g_hash_table_insert(seen, g_strdup(hash), g_strdup(name));
    d->n++;
    goto out;
skipped:
    skip(d, path, reason);
out:
    cg_image_free(img);
    cg_image_free(timg);
    g_free(path);
    g_free(tpath);
    g_free(hash);
    g_free(thash);
    return st;
}

cg_dataset *cg_dataset_scan(const char *dir, const char *targets_dir, const cg_data_options *opts, cg_error *err)
{
    cg_data_options o = opts ? *opts : (cg_data_options){0};
    if (o.min_side <= 0)
        o.min_side = 32;
    GPtrArray *names = list_images(dir, err), *tnames = NULL;
    if (!names)
        return NULL;
    if (targets_dir && !(tnames = list_images(targets_dir, err))) {
        g_ptr_array_free(names, TRUE);
        return NULL;
    }
    cg_dataset *d = g_new0(cg_dataset, 1);
    d->dir = g_strdup(dir);
    d->paired = targets_dir != NULL;
    d->skipped_path = g_ptr_array_new_with_free_func(g_free);
    d->skipped_reason = g_ptr_array_new_with_free_func(g_free);
    d->items = g_new0(tr_item, names->len ? names->len : 1);
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    /* stem -> target file name; matched entries are removed as photos claim them. */
    GHashTable *target_names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; tnames && i < tnames->len; i++) {
        char *s = stem(tnames->pdata[i]);
        if (g_hash_table_contains(target_names, s)) {
            char *p = g_build_filename(targets_dir, (char *)tnames->pdata[i], NULL);
            skip(d, p, g_strdup_printf("another target has the name %s", s));
            g_free(p);
            g_free(s);
        } else {
            g_hash_table_insert(target_names, s, tnames->pdata[i]);
        }
    }
    cg_status st = CG_OK;
    for (guint i = 0; i < names->len && st == CG_OK; i++) {
        if (o.max_images > 0 && d->n >= o.max_images)
            break;
        st = scan_one(d, dir, names->pdata[i], targets_dir, target_names, seen, &o, err);
    }
    if (st == CG_OK && targets_dir && (o.max_images <= 0 || d->n < o.max_images)) {
        /* Targets no photo claimed, in name order. */
        for (guint i = 0; i < tnames->len; i++) {
            char *s = stem(tnames->pdata[i]);
            if (g_hash_table_lookup(target_names, s) == tnames->pdata[i]) {
                char *p = g_build_filename(targets_dir, (char *)tnames->pdata[i], NULL);
                skip(d, p, g_strdup_printf("no photo with the same name in %s", dir));
                g_free(p);
            }
            g_free(s);
        }
    }
    if (st == CG_OK && d->n == 0)
        st = cg_fail(err, CG_ERR_INVALID, "%s: no usable image (%u skipped)", dir, d->skipped_path->len);
    g_hash_table_destroy(seen);
    g_hash_table_destroy(target_names);
    g_ptr_array_free(names, TRUE);
    if (tnames)
        g_ptr_array_free(tnames, TRUE);
    if (st != CG_OK) {
        cg_dataset_free(d);
        return NULL;
    }
    compute_manifest(d);
    return d;
}

cg_status tr_teacher_apply(int teacher, cg_image *img, cg_error *err)
{
    switch (teacher) {
    case TR_TEACHER_MANGA: return cg_filter_manga(img, img, NULL, err);
    case TR_TEACHER_CEL: return cg_filter_cel(img, img, NULL, err);
    case TR_TEACHER_PAINTED: return cg_filter_painted(img, img, NULL, err);
    case TR_TEACHER_ANIME: return cg_filter_anime(img, img, NULL, err);
    case TR_TEACHER_HATCHING: return cg_filter_hatching(img, img, NULL, err);
    case TR_TEACHER_INK: return cg_filter_xdog(img, img, NULL, err);
    case TR_TEACHER_POSTER: {
        cg_quantize_params q = cg_quantize_defaults();
        q.colors = 6;
        return cg_filter_quantize(img, img, &q, err);
    }
    default: return cg_fail(err, CG_ERR_INVALID, "no teacher filter %d", teacher);
    }
}

bool tr_teacher_monochrome(int teacher)
{
    return teacher == TR_TEACHER_MANGA || teacher == TR_TEACHER_HATCHING || teacher == TR_TEACHER_INK;
}

int tr_teacher_of(const char *name)
{
    char **names = g_strsplit(TR_TEACHERS, "|", -1);
    int found = 0;
    for (int i = 1; name && names[i] && !found; i++)
        if (strcmp(name, names[i]) == 0)
            found = i;
    g_strfreev(names);
    return found;
}

char *tr_teacher_name(int teacher)
{
    char **names = g_strsplit(TR_TEACHERS, "|", -1);
    char *name = teacher > 0 && teacher < (int)g_strv_length(names) ? g_strdup(names[teacher]) : NULL;
    g_strfreev(names);
    return name;
}

cg_status tr_dataset_apply_teacher(cg_dataset *d, int filter, cg_error *err)
{
    for (int i = 0; i < d->n; i++) {
        tr_item *it = &d->items[i];
        cg_image *img = tr_image_to_cg(&it->img, err);
        if (!img)
            return err->code;
        cg_status st = tr_teacher_apply(filter, img, err);
        g_free(it->aux.rgb);
        it->aux.rgb = NULL;
        if (st == CG_OK)
            st = to_tr_image(img, img->width, img->height, &it->aux, err);
        cg_image_free(img);
        if (st != CG_OK)
            return cg_error_prefix(err, "%s", it->name);
    }
    d->paired = true;
    return CG_OK;
}

int cg_dataset_count(const cg_dataset *d) { return d->n; }
const char *cg_dataset_name(const cg_dataset *d, int i) { return i >= 0 && i < d->n ? d->items[i].name : NULL; }
bool cg_dataset_paired(const cg_dataset *d) { return d->paired; }
int cg_dataset_skipped_count(const cg_dataset *d) { return (int)d->skipped_path->len; }
const char *cg_dataset_manifest_hash(const cg_dataset *d) { return d->manifest; }

const char *cg_dataset_skipped_path(const cg_dataset *d, int i)
{
    return i >= 0 && i < (int)d->skipped_path->len ? d->skipped_path->pdata[i] : NULL;
}

const char *cg_dataset_skipped_reason(const cg_dataset *d, int i)
{
    return i >= 0 && i < (int)d->skipped_reason->len ? d->skipped_reason->pdata[i] : NULL;
}

typedef struct split_key {
    uint64_t key;
    int index;
} split_key;

static int cmp_key(const void *a, const void *b)
{
    const split_key *x = a, *y = b;
    return x->key < y->key ? -1 : x->key > y->key ? 1 : x->index - y->index;
}

cg_status cg_dataset_split(const cg_dataset *d, uint64_t seed, double val, double test, int *assign, cg_error *err)
{
    if (!(val >= 0 && val <= 0.9 && test >= 0 && test <= 0.9 && val + test < 1))
        return cg_fail(err, CG_ERR_INVALID, "split fractions %g and %g must be in [0, 0.9] and sum below 1", val,
                       test);
    /* Each item is ranked by a hash of (seed, name): the split depends on the
     * names, not on the order or the other files. */
    split_key *keys = g_new(split_key, d->n);
    for (int i = 0; i < d->n; i++) {
        uint64_t h = seed ^ 0x9E3779B97F4A7C15ull;
        for (const unsigned char *p = (const unsigned char *)d->items[i].name; *p; p++)
            h = (h ^ *p) * 0x100000001B3ull;
        cg_rng r;
        cg_rng_seed(&r, h);
        keys[i] = (split_key){cg_rng_u64(&r), i};
    }
    qsort(keys, (size_t)d->n, sizeof *keys, cmp_key);
    int n_test = (int)lround(test * d->n), n_val = (int)lround(val * d->n);
    while (n_test + n_val > d->n - 1 && (n_test || n_val)) {
        if (n_val >= n_test && n_val)
            n_val--;
        else
            n_test--;
    }
    for (int k = 0; k < d->n; k++)
        assign[keys[k].index] = k < n_test ? 2 : k < n_test + n_val ? 1 : 0;
    g_free(keys);
    return CG_OK;
}
