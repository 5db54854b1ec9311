/* STUB: to be replaced by the real kernels. */
#include "ops/op.h"

static cg_status stub_infer(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    return cg_fail(err, CG_ERR_UNSUPPORTED, "not implemented yet");
}

static void stub_kernel(cg_node *n, float *scratch) {}

const cg_op_def cg_op_def_instance_norm = {"instance_norm", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_cond_instance_norm = {"cond_instance_norm", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_layer_norm = {"layer_norm", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_adalin = {"adalin", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};

cg_tensor *cg_instance_norm(cg_graph *g, cg_tensor *x, cg_tensor *gamma, cg_tensor *beta, float eps)
{
    return cg_graph_apply(g, CG_OP_INSTANCE_NORM, NULL, 0, NULL);
}

cg_tensor *cg_cond_instance_norm(cg_graph *g, cg_tensor *x, cg_tensor *gamma, cg_tensor *beta, cg_tensor *style_weights, float eps)
{
    return cg_graph_apply(g, CG_OP_COND_INSTANCE_NORM, NULL, 0, NULL);
}

cg_tensor *cg_layer_norm(cg_graph *g, cg_tensor *x, cg_tensor *gamma, cg_tensor *beta, float eps)
{
    return cg_graph_apply(g, CG_OP_LAYER_NORM, NULL, 0, NULL);
}

cg_tensor *cg_adalin(cg_graph *g, cg_tensor *x, cg_tensor *rho, cg_tensor *gamma, cg_tensor *beta, float eps)
{
    return cg_graph_apply(g, CG_OP_ADALIN, NULL, 0, NULL);
}
