/* The style catalog: model files found in the search folders. */
#include "comicgan/catalog.h"
#include "cg_config.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

struct cg_catalog {
    GPtrArray *folders;  /* char* */
    GArray *styles;      /* cg_catalog_style, strings owned by `strings` */
    GPtrArray *strings;
    GPtrArray *broken_paths, *broken_errors;
};

static const char *keep(cg_catalog *c, const char *s)
{
    char *copy = g_strdup(s ? s : "");
    g_ptr_array_add(c->strings, copy);
    return copy;
}

static void add_folder(cg_catalog *c, const char *folder)
{
    if (!folder || !*folder)
        return;
    for (guint i = 0; i < c->folders->len; i++)
        if (strcmp(g_ptr_array_index(c->folders, i), folder) == 0)
            return;
    g_ptr_array_add(c->folders, g_strdup(folder));
}

static void scan_file(cg_catalog *c, const char *path)
{
    cg_error err = {0};
    /* Listing reads headers only: a model's weights are read when it runs. */
    cg_model *m = cg_model_load_header(path, &err);
    if (!m) {
        g_ptr_array_add(c->broken_paths, g_strdup(path));
        g_ptr_array_add(c->broken_errors, g_strdup(err.message));
        return;
    }
    for (int i = 0; i < cg_model_style_count(m); i++) {
        const cg_style_info *s = cg_model_style(m, i);
        if (cg_catalog_find(c, s->name))
            continue;
        cg_catalog_style e = {keep(c, s->name), keep(c, s->display_name), keep(c, s->description), keep(c, s->mode),
                              keep(c, path), i};
        g_array_append_val(c->styles, e);
    }
    cg_model_free(m);
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void scan_folder(cg_catalog *c, const char *folder)
{
    GDir *dir = g_dir_open(folder, 0, NULL);
    if (!dir)
        return;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(dir)))
        if (g_str_has_suffix(name, ".safetensors"))
            g_ptr_array_add(names, g_build_filename(folder, name, NULL));
    g_dir_close(dir);
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++)
        scan_file(c, g_ptr_array_index(names, i));
    g_ptr_array_free(names, TRUE);
}

cg_catalog *cg_catalog_new(void)
{
    cg_catalog *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->folders = g_ptr_array_new_with_free_func(g_free);
    c->styles = g_array_new(FALSE, FALSE, sizeof(cg_catalog_style));
    c->strings = g_ptr_array_new_with_free_func(g_free);
    c->broken_paths = g_ptr_array_new_with_free_func(g_free);
    c->broken_errors = g_ptr_array_new_with_free_func(g_free);

    const char *env = g_getenv("COMICGAN_MODEL_PATH");
    if (env) {
        char **parts = g_strsplit(env, ":", -1);
        for (char **p = parts; *p; p++)
            add_folder(c, *p);
        g_strfreev(parts);
    }
    char *user = g_build_filename(g_get_user_data_dir(), "comicgan", "models", NULL);
    add_folder(c, user);
    g_free(user);
    add_folder(c, CG_MODELDIR);
    add_folder(c, CG_SOURCE_MODELDIR);
    for (guint i = 0; i < c->folders->len; i++)
        scan_folder(c, g_ptr_array_index(c->folders, i));
    return c;
}

void cg_catalog_free(cg_catalog *c)
{
    if (!c)
        return;
    g_ptr_array_free(c->folders, TRUE);
    g_array_free(c->styles, TRUE);
    g_ptr_array_free(c->strings, TRUE);
    g_ptr_array_free(c->broken_paths, TRUE);
    g_ptr_array_free(c->broken_errors, TRUE);
    free(c);
}

int cg_catalog_folder_count(const cg_catalog *c) { return (int)c->folders->len; }

const char *cg_catalog_folder(const cg_catalog *c, int i)
{
    return i >= 0 && i < (int)c->folders->len ? g_ptr_array_index(c->folders, i) : NULL;
}

int cg_catalog_count(const cg_catalog *c) { return (int)c->styles->len; }

const cg_catalog_style *cg_catalog_get(const cg_catalog *c, int i)
{
    return i >= 0 && i < (int)c->styles->len ? &g_array_index(c->styles, cg_catalog_style, i) : NULL;
}

const cg_catalog_style *cg_catalog_find(const cg_catalog *c, const char *name)
{
    for (guint i = 0; i < c->styles->len; i++)
        if (strcmp(g_array_index(c->styles, cg_catalog_style, i).name, name) == 0)
            return &g_array_index(c->styles, cg_catalog_style, i);
    return NULL;
}

int cg_catalog_broken_count(const cg_catalog *c) { return (int)c->broken_paths->len; }

const char *cg_catalog_broken_path(const cg_catalog *c, int i)
{
    return i >= 0 && i < (int)c->broken_paths->len ? g_ptr_array_index(c->broken_paths, i) : NULL;
}

const char *cg_catalog_broken_error(const cg_catalog *c, int i)
{
    return i >= 0 && i < (int)c->broken_errors->len ? g_ptr_array_index(c->broken_errors, i) : NULL;
}

cg_model *cg_catalog_load_style(const cg_catalog *c, const char *name, int *style_index, cg_error *err)
{
    const cg_catalog_style *s = cg_catalog_find(c, name);
    if (!s) {
        GString *known = g_string_new(NULL);
        for (guint i = 0; i < c->styles->len; i++)
            g_string_append_printf(known, "%s%s", i ? ", " : "", g_array_index(c->styles, cg_catalog_style, i).name);
        cg_fail(err, CG_ERR_INVALID, "no style called \"%s\" (styles found: %s)", name,
                known->len ? known->str : "none; see COMICGAN_MODEL_PATH");
        g_string_free(known, TRUE);
        return NULL;
    }
    cg_model *m = cg_model_load(s->model_path, err);
    if (m && style_index)
        *style_index = s->style_index;
    return m;
}
