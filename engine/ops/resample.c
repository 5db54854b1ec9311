/* STUB: to be replaced by the real kernels. */
#include "ops/op.h"

static cg_status stub_infer(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    return cg_fail(err, CG_ERR_UNSUPPORTED, "not implemented yet");
}

static void stub_kernel(cg_node *n, float *scratch) {}

const cg_op_def cg_op_def_upsample_nearest = {"upsample_nearest", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_upsample_bilinear = {"upsample_bilinear", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_avg_pool2d = {"avg_pool2d", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_max_pool2d = {"max_pool2d", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_global_avg_pool = {"global_avg_pool", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_global_max_pool = {"global_max_pool", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};

cg_tensor *cg_upsample_nearest(cg_graph *g, cg_tensor *x, int scale)
{
    return cg_graph_apply(g, CG_OP_UPSAMPLE_NEAREST, NULL, 0, NULL);
}

cg_tensor *cg_upsample_bilinear(cg_graph *g, cg_tensor *x, int scale)
{
    return cg_graph_apply(g, CG_OP_UPSAMPLE_BILINEAR, NULL, 0, NULL);
}

cg_tensor *cg_avg_pool2d(cg_graph *g, cg_tensor *x, const cg_pool_params *p)
{
    return cg_graph_apply(g, CG_OP_AVG_POOL2D, NULL, 0, NULL);
}

cg_tensor *cg_max_pool2d(cg_graph *g, cg_tensor *x, const cg_pool_params *p)
{
    return cg_graph_apply(g, CG_OP_MAX_POOL2D, NULL, 0, NULL);
}

cg_tensor *cg_global_avg_pool(cg_graph *g, cg_tensor *x)
{
    return cg_graph_apply(g, CG_OP_GLOBAL_AVG_POOL, NULL, 0, NULL);
}

cg_tensor *cg_global_max_pool(cg_graph *g, cg_tensor *x)
{
    return cg_graph_apply(g, CG_OP_GLOBAL_MAX_POOL, NULL, 0, NULL);
}
