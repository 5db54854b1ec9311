/* comicgan — finding styles: the model files installed and in the source tree.
 *
 * A catalog scans, in this order, the folders in COMICGAN_MODEL_PATH
 * (colon-separated), the user's $XDG_DATA_HOME/comicgan/models, the installed
 * model folder, and the source tree's models/ (for running uninstalled). Each
 * *.safetensors file found is opened just far enough to read its styles; files
 * that fail to load are listed with their error instead of their styles. The
 * first model providing a style name wins, so earlier folders override later
 * ones. */
#ifndef COMICGAN_CATALOG_H
#define COMICGAN_CATALOG_H

#include "comicgan/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cg_catalog cg_catalog;

typedef struct cg_catalog_style {
    const char *name;          /* the style's name, as on the command line */
    const char *display_name;
    const char *description;
    const char *mode;
    const char *model_path;    /* the file holding it */
    int style_index;           /* its index in that model */
} cg_catalog_style;

/* Scans the folders (missing ones are skipped silently). Never fails except
 * for memory (NULL). Free with cg_catalog_free. */
cg_catalog *cg_catalog_new(void);
void cg_catalog_free(cg_catalog *c);

/* The folders searched, in order, and how many there are. Owned by c. */
int cg_catalog_folder_count(const cg_catalog *c);
const char *cg_catalog_folder(const cg_catalog *c, int i);

/* Styles found, in folder then file-name then style order, duplicates after
 * the first dropped. Owned by c. */
int cg_catalog_count(const cg_catalog *c);
const cg_catalog_style *cg_catalog_get(const cg_catalog *c, int i);
const cg_catalog_style *cg_catalog_find(const cg_catalog *c, const char *name);

/* Model files that could not be loaded, with why. Owned by c. */
int cg_catalog_broken_count(const cg_catalog *c);
const char *cg_catalog_broken_path(const cg_catalog *c, int i);
const char *cg_catalog_broken_error(const cg_catalog *c, int i);

/* Loads the model holding style `name` and gives its index: the usual way a
 * front end turns a style name into something to run. NULL with err filled
 * (naming the styles that exist) when no model has it. */
cg_model *cg_catalog_load_style(const cg_catalog *c, const char *name, int *style_index, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
