/* Internal: the op table.
 *
 * Adding an op means: an enum value here, a table entry in op_table.c, its
 * kernels in the family's file (infer/forward/backward, plus scratch and saved
 * sizes if it needs them), its public builder in comicgan/ops.h, and in the
 * tests a naive double-precision reference and a gradient check. Nothing else
 * changes. */
#ifndef CG_OPS_OP_H
#define CG_OPS_OP_H

#include "comicgan/ops.h"

typedef enum cg_op {
    CG_OP_CONV2D,
    CG_OP_CONV_TRANSPOSE2D,
    CG_OP_UPSAMPLE_NEAREST,
    CG_OP_UPSAMPLE_BILINEAR,
    CG_OP_AVG_POOL2D,
    CG_OP_MAX_POOL2D,
    CG_OP_GLOBAL_AVG_POOL,
    CG_OP_GLOBAL_MAX_POOL,
    CG_OP_INSTANCE_NORM,
    CG_OP_COND_INSTANCE_NORM,
    CG_OP_LAYER_NORM,
    CG_OP_ADALIN,
    CG_OP_RELU,
    CG_OP_LEAKY_RELU,
    CG_OP_TANH,
    CG_OP_SIGMOID,
    CG_OP_ADD,
    CG_OP_MUL,
    CG_OP_SCALE,
    CG_OP_CONCAT,
    CG_OP_SLICE,
    CG_OP_SOFTMAX,
    CG_OP_MATMUL,
    CG_OP_RESHAPE,
    CG_OP_TRANSPOSE,
    CG_OP_MEAN,
    CG_OP_SPECTRAL_NORM,
    CG_OP_BCE_WITH_LOGITS,
    CG_OP_MSE_LOSS,
    CG_OP_L1_LOSS,
    CG_OP_HUBER_LOSS,
    CG_OP_HINGE_LOSS,
    CG_OP_GRAM,
    CG_OP_TV_LOSS,
    CG_OP_COUNT
} cg_op;

#define CG_MAX_INPUTS 8

typedef union cg_op_params {
    cg_conv_params conv;
    cg_pool_params pool;
    struct { int scale; } upsample;
    struct { float eps; bool leaky; float slope; } norm; /* leaky: instance norms then apply leaky ReLU (slope >= 0) */
    struct { float slope; } leaky;
    struct { float alpha, beta; } scale;
    struct { int axis; int64_t start, len; } slice; /* concat and softmax use axis only */
    struct { bool trans_a, trans_b; } matmul;
    struct { int ndim; int64_t dim[CG_MAX_DIMS]; } reshape;
    struct { int perm[CG_MAX_DIMS]; } transpose;
    struct { int iterations; } spectral;
    struct { float target_value, delta, sign; } loss;
} cg_op_params;

typedef struct cg_node {
    cg_op op;
    int n_in;
    cg_tensor *in[CG_MAX_INPUTS];  /* NULL for an absent optional input */
    cg_tensor *out;
    cg_op_params p;
    float *saved;                  /* saved_size floats kept for backward */
    bool training;
} cg_node;

typedef struct cg_op_def {
    const char *name;
    int min_inputs, max_inputs;
    /* Checks the inputs and parameters and fills the output shape; a message
     * naming what is wrong on failure. Must not touch tensor data. */
    cg_status (*infer)(const cg_node *n, int *ndim, int64_t *dim, cg_error *err);
    /* Floats of state forward keeps for backward (e.g. mean and 1/std). NULL: 0. */
    int64_t (*saved_size)(const cg_node *n);
    /* Floats of scratch per pool worker, for forward and backward. NULL: 0. */
    int64_t (*scratch_size)(const cg_node *n);
    /* Fills n->out->data (and n->saved). Cannot fail: infer checked everything. */
    void (*forward)(cg_node *n, float *scratch);
    /* Adds d(out)/d(in) . out->grad into in[i]->grad for every in[i] whose grad
     * is non-NULL. scratch holds scratch_size floats per worker. */
    void (*backward)(cg_node *n, float *scratch);
} cg_op_def;

extern const cg_op_def *const cg_op_table[CG_OP_COUNT];

/* Runs op on inputs in graph g (see graph.c): validates via infer, allocates
 * the output, runs forward, records the node in training mode. NULL on error. */
cg_tensor *cg_graph_apply(cg_graph *g, cg_op op, cg_tensor *const *in, int n_in, const cg_op_params *p);

/* Each family's table entries, defined beside their kernels. */
#define CG_OP_DECLARE(x) extern const cg_op_def cg_op_def_##x
CG_OP_DECLARE(conv2d);
CG_OP_DECLARE(conv_transpose2d);
CG_OP_DECLARE(upsample_nearest);
CG_OP_DECLARE(upsample_bilinear);
CG_OP_DECLARE(avg_pool2d);
CG_OP_DECLARE(max_pool2d);
CG_OP_DECLARE(global_avg_pool);
CG_OP_DECLARE(global_max_pool);
CG_OP_DECLARE(instance_norm);
CG_OP_DECLARE(cond_instance_norm);
CG_OP_DECLARE(layer_norm);
CG_OP_DECLARE(adalin);
CG_OP_DECLARE(relu);
CG_OP_DECLARE(leaky_relu);
CG_OP_DECLARE(tanh);
CG_OP_DECLARE(sigmoid);
CG_OP_DECLARE(add);
CG_OP_DECLARE(mul);
CG_OP_DECLARE(scale);
CG_OP_DECLARE(concat);
CG_OP_DECLARE(slice);
CG_OP_DECLARE(softmax);
CG_OP_DECLARE(matmul);
CG_OP_DECLARE(reshape);
CG_OP_DECLARE(transpose);
CG_OP_DECLARE(mean);
CG_OP_DECLARE(spectral_norm);
CG_OP_DECLARE(bce_with_logits);
CG_OP_DECLARE(mse_loss);
CG_OP_DECLARE(l1_loss);
CG_OP_DECLARE(huber_loss);
CG_OP_DECLARE(hinge_loss);
CG_OP_DECLARE(gram);
CG_OP_DECLARE(tv_loss);

/* Caps the floats of conv's per-worker column tile (0: the default). For tests
 * that need many tiles on small inputs, and for tuning. Not thread-safe. */
void cg_conv_set_column_budget(int64_t floats);

/* Helpers shared by the kernels. */
static inline int64_t cg_op_clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

#endif
