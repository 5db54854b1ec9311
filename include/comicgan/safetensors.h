/* comicgan — safetensors model files.
 *
 * Layout: 8 bytes of little-endian header length N, N bytes of JSON header,
 * then the tensor data. The header is an object:
 *   {"__metadata__": {"key": "value", ...},
 *    "name": {"dtype": "F32", "shape": [d0, ...], "data_offsets": [begin, end]}, ...}
 * with offsets relative to the start of the data, the tensors back to back
 * from 0 to the end of the file. Any safetensors reader can open our files.
 *
 * Writing produces F32 tensors in the order given, the header padded with
 * spaces so the data starts at a multiple of 8 bytes, and replaces the target
 * file atomically: a temporary file in the same folder is written, flushed to
 * disk (fsync) and renamed over the path, so a reader sees either the old file
 * or the whole new one, and a failed write leaves nothing at the path.
 *
 * Loading trusts nothing. Before allocating anything larger than the header,
 * it checks: the header length (at least 2 bytes, at most
 * CG_SAFETENSORS_MAX_HEADER, inside the file); the header text (UTF-8, no
 * NUL, strict RFC 8259 JSON: no comments, C escapes, octal or hex numbers or
 * integers over 18 digits, nested at most 8 deep); that it is a JSON object whose
 * "__metadata__", if present, maps strings to strings; that every tensor entry
 * has exactly dtype, shape and data_offsets, a supported dtype (F32, or F16 and
 * BF16, converted to float), at most 4 dims each >= 0, an element count and
 * byte size computed without overflow, offsets that match dtype x shape; that
 * names are unique; and that the tensors tile the data exactly (contiguous from
 * 0, no gap, no overlap, the last ending at the end of the file). After
 * reading, every value must be finite. Each rejection has its own message
 * naming the tensor or key at fault; malformed input gives CG_ERR_FORMAT,
 * a well-formed but unsupported dtype CG_ERR_UNSUPPORTED, non-finite values
 * CG_ERR_NUMERIC, an unreadable file CG_ERR_IO.
 *
 * The metadata keys of a comicgan model (DESIGN.md) are plain strings here;
 * cg_safetensors_check_format checks the format version. */
#ifndef COMICGAN_SAFETENSORS_H
#define COMICGAN_SAFETENSORS_H

#include <stddef.h>

#include "comicgan/params.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest header accepted (and written). */
#define CG_SAFETENSORS_MAX_HEADER ((size_t)16 << 20)

/* Metadata keys of a comicgan model file, and the format version written. */
#define CG_META_FORMAT "comicgan.format"
#define CG_META_ARCH "comicgan.arch"
#define CG_META_STYLES "comicgan.styles"
#define CG_META_PROVENANCE "comicgan.provenance"
/* A reference model's style encoder arch; its tensors are named "encoder/...". */
#define CG_META_ENCODER "comicgan.encoder"
#define CG_MODEL_FORMAT_VERSION "1"

/* ---- writing ------------------------------------------------------------ */

/* One tensor to write: its name and its data (tensor->size floats, shape from
 * tensor->dim). */
typedef struct cg_safetensors_entry {
    const char *name;
    const cg_tensor *tensor;
} cg_safetensors_entry;

/* One metadata pair; both strings UTF-8. */
typedef struct cg_safetensors_meta {
    const char *key;
    const char *value;
} cg_safetensors_meta;

/* Writes n tensors and n_meta metadata pairs to path, atomically (see above).
 * Refused, with nothing written: an empty, duplicate, non-UTF-8 or reserved
 * ("__metadata__") name or one with control characters (CG_ERR_INVALID); a
 * NULL tensor; a non-UTF-8 or duplicate metadata key or value
 * (CG_ERR_INVALID); a NaN or Inf value (CG_ERR_NUMERIC, naming the tensor);
 * a header over CG_SAFETENSORS_MAX_HEADER (CG_ERR_INVALID). A file-system
 * failure is CG_ERR_IO with the path and the system's reason. */
cg_status cg_safetensors_write(const char *path, const cg_safetensors_entry *tensors, int n,
                               const cg_safetensors_meta *meta, int n_meta, cg_error *err);

/* The same file image in memory: *out (free with g_free / free) and *len.
 * Same checks as cg_safetensors_write. */
cg_status cg_safetensors_write_bytes(const cg_safetensors_entry *tensors, int n, const cg_safetensors_meta *meta,
                                     int n_meta, void **out, size_t *len, cg_error *err);

/* Writes every entry of the finalized set p, parameters and buffers, in
 * registration order, under their names. */
cg_status cg_safetensors_write_params(const char *path, const cg_params *p, const cg_safetensors_meta *meta,
                                      int n_meta, cg_error *err);

/* ---- loading ------------------------------------------------------------ */

typedef struct cg_safetensors cg_safetensors;

/* A loaded tensor, owned by its cg_safetensors. ndim may be 0 (a scalar, one
 * element) and dims may be 0 (no elements; data then points to no floats). */
typedef struct cg_safetensors_tensor {
    const char *name;
    const char *dtype;            /* as stored: "F32", "F16" or "BF16" */
    int ndim;
    int64_t dim[CG_MAX_DIMS];     /* dims past ndim are 1 */
    int64_t size;                 /* elements */
    const float *data;            /* size floats, 64-byte aligned */
} cg_safetensors_tensor;

/* Loads the file at path; NULL and err filled on any failure (see above).
 * Free the result with cg_safetensors_free. */
cg_safetensors *cg_safetensors_load(const char *path, cg_error *err);

/* Opens the file at path and checks its header (every check above but the
 * finiteness of the values) without reading any tensor data: the tensors
 * have names and shapes, and data NULL. Read them with cg_safetensors_read
 * or cg_safetensors_to_params, so that a file is checked against what the
 * caller expects before its data costs any memory. The file stays open until
 * cg_safetensors_free. NULL and err filled on failure. */
cg_safetensors *cg_safetensors_open(const char *path, cg_error *err);

/* Copies the values of t, a tensor of f, into dst (t->size floats), from
 * memory or, for an opened file, from the file. CG_ERR_NUMERIC (naming the
 * tensor) on a NaN or Inf value, CG_ERR_IO when the file cannot be read;
 * dst's contents are then unspecified. */
cg_status cg_safetensors_read(const cg_safetensors *f, const cg_safetensors_tensor *t, float *dst, cg_error *err);

/* Loads a file image from memory (len bytes at data; copied, so the buffer
 * can be freed afterwards). Same checks and errors as cg_safetensors_load. */
cg_safetensors *cg_safetensors_load_bytes(const void *data, size_t len, cg_error *err);

void cg_safetensors_free(cg_safetensors *f);

/* Tensors in data order (increasing offset). */
int cg_safetensors_count(const cg_safetensors *f);
/* The i-th tensor, i in [0, count); NULL outside. */
const cg_safetensors_tensor *cg_safetensors_get(const cg_safetensors *f, int i);
/* The tensor called name, or NULL. */
const cg_safetensors_tensor *cg_safetensors_find(const cg_safetensors *f, const char *name);

/* Metadata: the value for key, or NULL; and the pairs in header order. */
const char *cg_safetensors_metadata(const cg_safetensors *f, const char *key);
int cg_safetensors_metadata_count(const cg_safetensors *f);
const char *cg_safetensors_metadata_key(const cg_safetensors *f, int i);
const char *cg_safetensors_metadata_value(const cg_safetensors *f, int i);

/* CG_OK when "comicgan.format" is CG_MODEL_FORMAT_VERSION; CG_ERR_FORMAT when
 * the key is missing, CG_ERR_UNSUPPORTED for another version. */
cg_status cg_safetensors_check_format(const cg_safetensors *f, cg_error *err);

/* Flags for cg_safetensors_to_params. */
enum {
    /* Tensors in the file that the set does not have are ignored instead of
     * refused (e.g. optimizer state in a checkpoint). */
    CG_SAFETENSORS_ALLOW_EXTRA = 1 << 0,
};

/* The checks of cg_safetensors_to_params on names and shapes alone: nothing
 * is read or copied. */
cg_status cg_safetensors_check_params(const cg_safetensors *f, const cg_params *p, unsigned flags, cg_error *err);

/* Copies the file's tensors into the finalized set p by name (parameters and
 * buffers). Names and shapes are checked before any value is read or copied,
 * so p is untouched on such an error: a parameter missing from the file, a
 * tensor of another shape (both shapes in the message) and, unless
 * CG_SAFETENSORS_ALLOW_EXTRA, a tensor the set does not have are
 * CG_ERR_FORMAT errors naming the tensor. CG_ERR_INVALID when p is not
 * finalized. For an opened file (cg_safetensors_open) only the set's tensors
 * are read; a read error or a non-finite value (as cg_safetensors_read)
 * leaves p partly copied. */
cg_status cg_safetensors_to_params(const cg_safetensors *f, cg_params *p, unsigned flags, cg_error *err);

#ifdef __cplusplus
}
#endif
#endif
