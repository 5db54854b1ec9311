/* Shape ops: concat, slice, reshape and transpose. Elements move, values do not change. */
#include "core/threads.h"
#include "ops/elementwise.h"

#include <string.h>

/* ---- concat and slice ---------------------------------------------------- */

/* Both move rows between a whole tensor and a part that covers a window of
 * every row of the whole: viewed as (outer, dim[axis] * inner), row r of the
 * part (part_row floats) sits at r * whole_row + offset in the whole. */
typedef struct window_job {
    float *part, *whole;
    int64_t part_row, whole_row, offset;
    bool to_whole; /* direction */
    bool add;      /* accumulate (gradients) rather than copy */
} window_job;

static void window_range(void *ctx, int64_t begin, int64_t end)
{
    const window_job *w = ctx;
    for (int64_t i = begin; i < end;) {
        int64_t r = i / w->part_row, col = i % w->part_row;
        int64_t len = min64(w->part_row - col, end - i);
        float *p = w->part + i, *q = w->whole + r * w->whole_row + w->offset + col;
        float *dst = w->to_whole ? q : p;
        const float *src = w->to_whole ? p : q;
        if (w->add)
            for (int64_t k = 0; k < len; k++)
                dst[k] += src[k];
        else
            memcpy(dst, src, (size_t)len * sizeof(float));
        i += len;
    }
}

static void move_window(float *part, int64_t part_size, float *whole, int64_t part_row, int64_t whole_row,
                        int64_t offset, bool to_whole, bool add)
{
    window_job w = {part, whole, part_row, whole_row, offset, to_whole, add};
    cg_parallel_range(part_size, CG_EW_MIN_CHUNK, window_range, &w);
}

static cg_status infer_concat(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *first = n->in[0];
    int axis = n->p.slice.axis;
    for (int i = 0; i < n->n_in; i++)
        if (!n->in[i])
            return cg_fail(err, CG_ERR_INVALID, "input %d is missing", i);
    if (check_axis(first, axis, err) != CG_OK)
        return CG_ERR_INVALID;
    copy_shape(first, ndim, dim);
    for (int i = 1; i < n->n_in; i++) {
        const cg_tensor *x = n->in[i];
        char s0[64], si[64];
        cg_tensor_shape_str(first, s0, sizeof s0);
        cg_tensor_shape_str(x, si, sizeof si);
        if (x->ndim != first->ndim)
            return cg_fail(err, CG_ERR_INVALID, "input 0 is %s and input %d is %s: ranks differ", s0, i, si);
        for (int d = 0; d < x->ndim; d++)
            if (d != axis && x->dim[d] != first->dim[d])
                return cg_fail(err, CG_ERR_INVALID, "input 0 is %s and input %d is %s: dim %d differs", s0,
                               i, si, d);
        dim[axis] += x->dim[axis]; /* cannot overflow: each is below 2^32 */
    }
    return CG_OK;
}

static void concat_move(cg_node *n, bool backward)
{
    int axis = n->p.slice.axis;
    int64_t outer, inner, offset = 0;
    split_at_axis(n->out, axis, &outer, &inner);
    for (int i = 0; i < n->n_in; i++) {
        cg_tensor *x = n->in[i];
        int64_t part_row = x->dim[axis] * inner;
        if (!backward)
            move_window(x->data, x->size, n->out->data, part_row, n->out->dim[axis] * inner, offset, true,
                        false);
        else if (x->grad)
            move_window(x->grad, x->size, n->out->grad, part_row, n->out->dim[axis] * inner, offset, false,
                        true);
        offset += part_row;
    }
}

static void concat_forward(cg_node *n, float *scratch)
{
    concat_move(n, false);
}

static void concat_backward(cg_node *n, float *scratch)
{
    concat_move(n, true);
}

static cg_status infer_slice(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *x = n->in[0];
    int axis = n->p.slice.axis;
    int64_t start = n->p.slice.start, len = n->p.slice.len;
    if (!x)
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    if (check_axis(x, axis, err) != CG_OK)
        return CG_ERR_INVALID;
    if (start < 0 || len < 1 || start > x->dim[axis] - len)
        return cg_fail(err, CG_ERR_INVALID, "start %lld and length %lld do not fit in dim %d of size %lld",
                       (long long)start, (long long)len, axis, (long long)x->dim[axis]);
    copy_shape(x, ndim, dim);
    dim[axis] = len;
    return CG_OK;
}

static void slice_forward(cg_node *n, float *scratch)
{
    int axis = n->p.slice.axis;
    int64_t outer, inner;
    split_at_axis(n->out, axis, &outer, &inner);
    move_window(n->out->data, n->out->size, n->in[0]->data, n->p.slice.len * inner, n->in[0]->dim[axis] * inner,
                n->p.slice.start * inner, false, false);
}

static void slice_backward(cg_node *n, float *scratch)
{
    if (!n->in[0]->grad)
        return;
    int axis = n->p.slice.axis;
    int64_t outer, inner;
    split_at_axis(n->out, axis, &outer, &inner);
    move_window(n->out->grad, n->out->size, n->in[0]->grad, n->p.slice.len * inner, n->in[0]->dim[axis] * inner,
                n->p.slice.start * inner, true, true);
}

/* ---- reshape ------------------------------------------------------------- */

static cg_status infer_reshape(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *x = n->in[0];
    int nd = n->p.reshape.ndim;
    if (!x)
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    if (nd < 1 || nd > CG_MAX_DIMS)
        return cg_fail(err, CG_ERR_INVALID, "the new shape is missing or its rank %d is outside 1..%d", nd,
                       CG_MAX_DIMS);
    char sx[64];
    cg_tensor_shape_str(x, sx, sizeof sx);
    int64_t size = 1;
    for (int d = 0; d < nd; d++) {
        if (n->p.reshape.dim[d] < 1)
            return cg_fail(err, CG_ERR_INVALID, "new dim %d is %lld, must be >= 1", d,
                           (long long)n->p.reshape.dim[d]);
        if (cg_mul_overflows(size, n->p.reshape.dim[d], &size) || size > CG_TENSOR_MAX_ELEMENTS)
            return cg_fail(err, CG_ERR_INVALID, "x is %s: the new shape holds too many elements", sx);
    }
    if (size != x->size)
        return cg_fail(err, CG_ERR_INVALID, "x is %s: the new shape holds %lld elements, not %lld", sx,
                       (long long)size, (long long)x->size);
    *ndim = nd;
    for (int d = 0; d < CG_MAX_DIMS; d++)
        dim[d] = d < nd ? n->p.reshape.dim[d] : 1;
    return CG_OK;
}

static void reshape_forward(cg_node *n, float *scratch)
{
    copy_job j = {n->out->data, n->in[0]->data};
    cg_parallel_range(n->out->size, CG_EW_MIN_CHUNK, cg_ew_copy_range, &j);
}

static void reshape_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        cg_ew_accumulate(n->in[0]->grad, n->out->grad, n->out->size);
}

/* ---- transpose ----------------------------------------------------------- */

static cg_status infer_transpose(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *x = n->in[0];
    const int *perm = n->p.transpose.perm;
    if (!x)
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    bool seen[CG_MAX_DIMS] = {false};
    for (int i = 0; i < x->ndim; i++) {
        if (perm[i] < 0 || perm[i] >= x->ndim || seen[perm[i]])
            return cg_fail(err, CG_ERR_INVALID, "perm is missing or not a permutation of 0..%d (entry %d is %d)",
                           x->ndim - 1, i, perm[i]);
        seen[perm[i]] = true;
        dim[i] = x->dim[perm[i]];
    }
    for (int i = x->ndim; i < CG_MAX_DIMS; i++)
        dim[i] = 1;
    *ndim = x->ndim;
    return CG_OK;
}

/* The permutation seen as four output dims and the input stride of each,
 * with dims of size 1 dropped and output neighbours that are neighbours in
 * the input too merged, so (B, C, N) -> (B, N, C) is a batch of 2-D
 * transposes and an identity is one long row. Padded at the front. */
typedef struct transpose_job {
    cg_node *n;
    int64_t dim[CG_MAX_DIMS], stride[CG_MAX_DIMS], out_stride[CG_MAX_DIMS];
    int q; /* the output dim that reads the input contiguously (stride 1) */
} transpose_job;

static void make_transpose_job(cg_node *n, transpose_job *j)
{
    const cg_tensor *x = n->in[0];
    int64_t in_stride[CG_MAX_DIMS], s = 1, dim[CG_MAX_DIMS], stride[CG_MAX_DIMS];
    for (int d = CG_MAX_DIMS - 1; d >= 0; d--) {
        in_stride[d] = s;
        s *= x->dim[d];
    }
    int kept = 0;
    for (int i = 0; i < x->ndim; i++) {
        int from = n->p.transpose.perm[i];
        if (x->dim[from] == 1)
            continue;
        if (kept > 0 && stride[kept - 1] == in_stride[from] * x->dim[from]) {
            dim[kept - 1] *= x->dim[from];
            stride[kept - 1] = in_stride[from];
            continue;
        }
        dim[kept] = x->dim[from];
        stride[kept++] = in_stride[from];
    }
    *j = (transpose_job){.n = n, .q = 3};
    for (int d = 0; d < CG_MAX_DIMS; d++) {
        int from = d - (CG_MAX_DIMS - kept);
        j->dim[d] = from >= 0 ? dim[from] : 1;
        j->stride[d] = from >= 0 ? stride[from] : 0;
        if (j->stride[d] == 1)
            j->q = d;
    }
    s = 1;
    for (int d = CG_MAX_DIMS - 1; d >= 0; d--) {
        j->out_stride[d] = s;
        s *= j->dim[d];
    }
}

/* The input read contiguously along the output's last dim: copy rows. */
static void transpose_rows(const transpose_job *j, int64_t begin, int64_t end, bool backward)
{
    int64_t row = j->dim[3];
    for (int64_t i = begin; i < end;) {
        int64_t len = min64(row - i % row, end - i), off = 0, rest = i;
        for (int d = 3; d >= 0; d--) {
            off += (rest % j->dim[d]) * j->stride[d];
            rest /= j->dim[d];
        }
        if (!backward)
            memcpy(j->n->out->data + i, j->n->in[0]->data + off, (size_t)len * sizeof(float));
        else
            for (int64_t k = 0; k < len; k++)
                j->n->in[0]->grad[off + k] += j->n->out->grad[i + k];
        i += len;
    }
}

/* Otherwise a true transpose of dims q and 3, in TILE x TILE blocks so that
 * both sides stay in cache: with power-of-two strides the strided side maps
 * to few cache sets, and 16 lines beat 32 there (measured). */
#define TILE 16

static int64_t tiles_along(const transpose_job *j, int d)
{
    return d == j->q || d == 3 ? (j->dim[d] + TILE - 1) / TILE : j->dim[d];
}

static void transpose_tiles(const transpose_job *j, int64_t begin, int64_t end, bool backward)
{
    int q = j->q;
    int64_t step = j->stride[3], out_step = j->out_stride[q];
    for (int64_t t = begin; t < end; t++) {
        int64_t rest = t, in = 0, out = 0, first[CG_MAX_DIMS];
        for (int d = 3; d >= 0; d--) {
            int64_t c = rest % tiles_along(j, d);
            rest /= tiles_along(j, d);
            first[d] = d == q || d == 3 ? c * TILE : c;
            in += first[d] * j->stride[d];
            out += first[d] * j->out_stride[d];
        }
        int64_t rows = min64(TILE, j->dim[q] - first[q]), cols = min64(TILE, j->dim[3] - first[3]);
        /* The inner loop runs along the side being written. */
        if (!backward)
            for (int64_t a = 0; a < rows; a++) {
                const float *x = j->n->in[0]->data + in + a;
                float *y = j->n->out->data + out + a * out_step;
                for (int64_t b = 0; b < cols; b++)
                    y[b] = x[b * step];
            }
        else
            for (int64_t b = 0; b < cols; b++) {
                float *gx = j->n->in[0]->grad + in + b * step;
                const float *gy = j->n->out->grad + out + b;
                for (int64_t a = 0; a < rows; a++)
                    gx[a] += gy[a * out_step];
            }
    }
}

/* Each output element comes from its own input element, so tasks that own
 * parts of the output also write disjoint gradient elements. */
static void transpose_forward_range(void *ctx, int64_t begin, int64_t end)
{
    const transpose_job *j = ctx;
    if (j->q == 3)
        transpose_rows(j, begin, end, false);
    else
        transpose_tiles(j, begin, end, false);
}

static void transpose_backward_range(void *ctx, int64_t begin, int64_t end)
{
    const transpose_job *j = ctx;
    if (j->q == 3)
        transpose_rows(j, begin, end, true);
    else
        transpose_tiles(j, begin, end, true);
}

static void transpose_run(cg_node *n, bool backward)
{
    transpose_job j;
    make_transpose_job(n, &j);
    void (*fn)(void *, int64_t, int64_t) = backward ? transpose_backward_range : transpose_forward_range;
    if (j.q == 3) {
        cg_parallel_range(n->out->size, CG_EW_MIN_CHUNK, fn, &j);
        return;
    }
    int64_t tiles = 1;
    for (int d = 0; d < CG_MAX_DIMS; d++)
        tiles *= tiles_along(&j, d);
    cg_parallel_range(tiles, chunk_for(TILE * TILE), fn, &j);
}

static void transpose_forward(cg_node *n, float *scratch)
{
    transpose_run(n, false);
}

static void transpose_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        transpose_run(n, true);
}

/* ---- table entries and builders ------------------------------------------ */

const cg_op_def cg_op_def_concat = {"concat", 1, CG_MAX_INPUTS, infer_concat, NULL, NULL, concat_forward,
                                    concat_backward};
const cg_op_def cg_op_def_slice = {"slice", 1, 1, infer_slice, NULL, NULL, slice_forward, slice_backward};
const cg_op_def cg_op_def_reshape = {"reshape", 1, 1, infer_reshape, NULL, NULL, reshape_forward,
                                     reshape_backward};
const cg_op_def cg_op_def_transpose = {"transpose", 1, 1, infer_transpose, NULL, NULL, transpose_forward,
                                       transpose_backward};

cg_tensor *cg_concat(cg_graph *g, cg_tensor *const *xs, int n, int axis)
{
    cg_op_params p = {.slice = {.axis = axis}};
    /* A missing array is a count of 0, which apply refuses with a message. */
    int count = xs ? n : 0;
    for (int i = 0; i < count && i < CG_MAX_INPUTS; i++)
        if (!xs[i])
            return NULL;
    return cg_graph_apply(g, CG_OP_CONCAT, xs, count, &p);
}

cg_tensor *cg_slice(cg_graph *g, cg_tensor *x, int axis, int64_t start, int64_t len)
{
    cg_op_params p = {.slice = {axis, start, len}};
    return x ? cg_graph_apply(g, CG_OP_SLICE, &x, 1, &p) : NULL;
}

cg_tensor *cg_reshape(cg_graph *g, cg_tensor *x, int ndim, const int64_t *dim)
{
    cg_op_params p = {.reshape = {.ndim = dim ? ndim : 0}};
    for (int d = 0; dim && d < ndim && d < CG_MAX_DIMS; d++)
        p.reshape.dim[d] = dim[d];
    return x ? cg_graph_apply(g, CG_OP_RESHAPE, &x, 1, &p) : NULL;
}

cg_tensor *cg_transpose(cg_graph *g, cg_tensor *x, const int *perm)
{
    if (!x)
        return NULL;
    cg_op_params p = {.transpose = {{0}}};
    /* A missing perm reads as all -1, which infer refuses. */
    for (int d = 0; d < CG_MAX_DIMS; d++)
        p.transpose.perm[d] = !perm ? -1 : d < x->ndim ? perm[d] : d;
    return cg_graph_apply(g, CG_OP_TRANSPOSE, &x, 1, &p);
}
