/* STUB: to be replaced by the real kernels. */
#include "ops/op.h"

static cg_status stub_infer(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    return cg_fail(err, CG_ERR_UNSUPPORTED, "not implemented yet");
}

static void stub_kernel(cg_node *n, float *scratch) {}

const cg_op_def cg_op_def_spectral_norm = {"spectral_norm", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_bce_with_logits = {"bce_with_logits", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_mse_loss = {"mse_loss", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_l1_loss = {"l1_loss", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_huber_loss = {"huber_loss", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_hinge_loss = {"hinge_loss", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_gram = {"gram", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};
const cg_op_def cg_op_def_tv_loss = {"tv_loss", 0, 8, stub_infer, NULL, NULL, stub_kernel, stub_kernel};

cg_tensor *cg_spectral_norm(cg_graph *g, cg_tensor *weight, cg_tensor *u, int iterations)
{
    return cg_graph_apply(g, CG_OP_SPECTRAL_NORM, NULL, 0, NULL);
}

cg_tensor *cg_bce_with_logits(cg_graph *g, cg_tensor *logits, cg_tensor *target, float target_value)
{
    return cg_graph_apply(g, CG_OP_BCE_WITH_LOGITS, NULL, 0, NULL);
}

cg_tensor *cg_mse_loss(cg_graph *g, cg_tensor *x, cg_tensor *target, float target_value)
{
    return cg_graph_apply(g, CG_OP_MSE_LOSS, NULL, 0, NULL);
}

cg_tensor *cg_l1_loss(cg_graph *g, cg_tensor *x, cg_tensor *target, float target_value)
{
    return cg_graph_apply(g, CG_OP_L1_LOSS, NULL, 0, NULL);
}

cg_tensor *cg_huber_loss(cg_graph *g, cg_tensor *x, cg_tensor *target, float delta)
{
    return cg_graph_apply(g, CG_OP_HUBER_LOSS, NULL, 0, NULL);
}

cg_tensor *cg_hinge_loss(cg_graph *g, cg_tensor *x, float sign)
{
    return cg_graph_apply(g, CG_OP_HINGE_LOSS, NULL, 0, NULL);
}

cg_tensor *cg_gram(cg_graph *g, cg_tensor *x)
{
    return cg_graph_apply(g, CG_OP_GRAM, NULL, 0, NULL);
}

cg_tensor *cg_tv_loss(cg_graph *g, cg_tensor *x)
{
    return cg_graph_apply(g, CG_OP_TV_LOSS, NULL, 0, NULL);
}

cg_tensor *cg_gram_loss(cg_graph *g, cg_tensor *a, cg_tensor *b)
{
    return cg_graph_apply(g, CG_OP_GRAM, NULL, 0, NULL);
}
