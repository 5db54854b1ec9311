/* STUB: to be replaced by the real kernels. */
#include "ops/op.h"

static cg_status stub_infer(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    return cg_fail(err, CG_ERR_UNSUPPORTED, "not implemented yet");
}

static void stub_kernel(cg_node *n, float *scratch) {}

const cg_op_def cg_op_def_add = {"add", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_mul = {"mul", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_scale = {"scale", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_concat = {"concat", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_slice = {"slice", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_softmax = {"softmax", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_matmul = {"matmul", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_reshape = {"reshape", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_transpose = {"transpose", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_mean = {"mean", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};

cg_tensor *cg_add(cg_graph *g, cg_tensor *a, cg_tensor *b)
{
    return cg_graph_apply(g, CG_OP_ADD, NULL, 0, NULL);
}

cg_tensor *cg_mul(cg_graph *g, cg_tensor *a, cg_tensor *b)
{
    return cg_graph_apply(g, CG_OP_MUL, NULL, 0, NULL);
}

cg_tensor *cg_scale(cg_graph *g, cg_tensor *x, float alpha, float beta)
{
    return cg_graph_apply(g, CG_OP_SCALE, NULL, 0, NULL);
}

cg_tensor *cg_concat(cg_graph *g, cg_tensor *const *xs, int n, int axis)
{
    return cg_graph_apply(g, CG_OP_CONCAT, NULL, 0, NULL);
}

cg_tensor *cg_slice(cg_graph *g, cg_tensor *x, int axis, int64_t start, int64_t len)
{
    return cg_graph_apply(g, CG_OP_SLICE, NULL, 0, NULL);
}

cg_tensor *cg_softmax(cg_graph *g, cg_tensor *x, int axis)
{
    return cg_graph_apply(g, CG_OP_SOFTMAX, NULL, 0, NULL);
}

cg_tensor *cg_matmul(cg_graph *g, cg_tensor *a, cg_tensor *b, bool trans_a, bool trans_b)
{
    return cg_graph_apply(g, CG_OP_MATMUL, NULL, 0, NULL);
}

cg_tensor *cg_reshape(cg_graph *g, cg_tensor *x, int ndim, const int64_t *dim)
{
    return cg_graph_apply(g, CG_OP_RESHAPE, NULL, 0, NULL);
}

cg_tensor *cg_transpose(cg_graph *g, cg_tensor *x, const int *perm)
{
    return cg_graph_apply(g, CG_OP_TRANSPOSE, NULL, 0, NULL);
}

cg_tensor *cg_mean(cg_graph *g, cg_tensor *x)
{
    return cg_graph_apply(g, CG_OP_MEAN, NULL, 0, NULL);
}
