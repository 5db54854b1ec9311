/* STUB: to be replaced by the real kernels. */
#include "ops/op.h"

static cg_status stub_infer(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    return cg_fail(err, CG_ERR_UNSUPPORTED, "not implemented yet");
}

static void stub_kernel(cg_node *n, float *scratch) {}

const cg_op_def cg_op_def_conv2d = {"conv2d", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_conv_transpose2d = {"conv_transpose2d", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};

cg_tensor *cg_conv2d(cg_graph *g, cg_tensor *x, cg_tensor *weight, cg_tensor *bias, const cg_conv_params *p)
{
    return cg_graph_apply(g, CG_OP_CONV2D, NULL, 0, NULL);
}

cg_tensor *cg_conv_transpose2d(cg_graph *g, cg_tensor *x, cg_tensor *weight, cg_tensor *bias, const cg_conv_params *p)
{
    return cg_graph_apply(g, CG_OP_CONV_TRANSPOSE2D, NULL, 0, NULL);
}

cg_conv_params cg_conv_defaults(void)
{
    cg_conv_params p = {1, 1, 0, 0, 1, 1, 1, CG_PAD_ZERO, 0, 0};
    return p;
}
