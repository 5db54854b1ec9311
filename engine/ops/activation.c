/* Activations: relu, leaky relu, tanh, sigmoid. Element-wise, any shape. */
#include "core/simd.h"
#include "core/threads.h"
#include "ops/op.h"

#include <math.h>

#define MIN_CHUNK 16384

static cg_status infer_same(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    const cg_tensor *x = n->in[0];
    if (!x)
        return cg_fail(err, CG_ERR_INVALID, "input is missing");
    *ndim = x->ndim;
    for (int i = 0; i < CG_MAX_DIMS; i++)
        dim[i] = x->dim[i];
    return CG_OK;
}

/* relu and leaky relu share kernels: relu is slope 0. */
static float slope_of(const cg_node *n)
{
    return n->op == CG_OP_LEAKY_RELU ? n->p.leaky.slope : 0.0f;
}

CG_KERNEL static void leaky_forward_range(void *ctx, int64_t begin, int64_t end)
{
    const cg_node *n = ctx;
    const float *x = n->in[0]->data;
    float *y = n->out->data, slope = slope_of(n);
    for (int64_t i = begin; i < end; i++)
        y[i] = x[i] > 0 ? x[i] : slope * x[i];
}

CG_KERNEL static void leaky_backward_range(void *ctx, int64_t begin, int64_t end)
{
    const cg_node *n = ctx;
    const float *x = n->in[0]->data, *gy = n->out->grad;
    float *gx = n->in[0]->grad, slope = slope_of(n);
    for (int64_t i = begin; i < end; i++)
        gx[i] += x[i] > 0 ? gy[i] : slope * gy[i];
}

static void leaky_forward(cg_node *n, float *scratch)
{
    cg_parallel_range(n->out->size, MIN_CHUNK, leaky_forward_range, n);
}

static void leaky_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        cg_parallel_range(n->out->size, MIN_CHUNK, leaky_backward_range, n);
}

/* tanh and sigmoid: the gradient is a function of the output. */
static void tanh_forward_range(void *ctx, int64_t begin, int64_t end)
{
    const cg_node *n = ctx;
    const float *x = n->in[0]->data;
    float *y = n->out->data;
    for (int64_t i = begin; i < end; i++)
        y[i] = tanhf(x[i]);
}

static void sigmoid_forward_range(void *ctx, int64_t begin, int64_t end)
{
    const cg_node *n = ctx;
    const float *x = n->in[0]->data;
    float *y = n->out->data;
    for (int64_t i = begin; i < end; i++)
        y[i] = 1.0f / (1.0f + expf(-x[i]));
}

static void tanh_backward_range(void *ctx, int64_t begin, int64_t end)
{
    const cg_node *n = ctx;
    const float *y = n->out->data, *gy = n->out->grad;
    float *gx = n->in[0]->grad;
    for (int64_t i = begin; i < end; i++)
        gx[i] += gy[i] * (1.0f - y[i] * y[i]);
}

static void sigmoid_backward_range(void *ctx, int64_t begin, int64_t end)
{
    const cg_node *n = ctx;
    const float *y = n->out->data, *gy = n->out->grad;
    float *gx = n->in[0]->grad;
    for (int64_t i = begin; i < end; i++)
        gx[i] += gy[i] * y[i] * (1.0f - y[i]);
}

static void tanh_forward(cg_node *n, float *scratch)
{
    cg_parallel_range(n->out->size, MIN_CHUNK, tanh_forward_range, n);
}

static void tanh_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        cg_parallel_range(n->out->size, MIN_CHUNK, tanh_backward_range, n);
}

static void sigmoid_forward(cg_node *n, float *scratch)
{
    cg_parallel_range(n->out->size, MIN_CHUNK, sigmoid_forward_range, n);
}

static void sigmoid_backward(cg_node *n, float *scratch)
{
    if (n->in[0]->grad)
        cg_parallel_range(n->out->size, MIN_CHUNK, sigmoid_backward_range, n);
}

static cg_status infer_leaky(const cg_node *n, int *ndim, int64_t *dim, cg_error *err)
{
    float s = n->p.leaky.slope;
    if (!isfinite(s))
        return cg_fail(err, CG_ERR_INVALID, "slope must be finite");
    return infer_same(n, ndim, dim, err);
}

const cg_op_def cg_op_def_relu = {"relu", 1, 1, infer_same, NULL, NULL, leaky_forward, leaky_backward};
const cg_op_def cg_op_def_leaky_relu = {"leaky_relu", 1, 1, infer_leaky, NULL, NULL, leaky_forward,
                                        leaky_backward};
const cg_op_def cg_op_def_tanh = {"tanh", 1, 1, infer_same, NULL, NULL, tanh_forward, tanh_backward};
const cg_op_def cg_op_def_sigmoid = {"sigmoid", 1, 1, infer_same, NULL, NULL, sigmoid_forward,
                                     sigmoid_backward};

cg_tensor *cg_relu(cg_graph *g, cg_tensor *x)
{
    return x ? cg_graph_apply(g, CG_OP_RELU, &x, 1, NULL) : NULL;
}

cg_tensor *cg_leaky_relu(cg_graph *g, cg_tensor *x, float slope)
{
    cg_op_params p = {.leaky = {slope}};
    return x ? cg_graph_apply(g, CG_OP_LEAKY_RELU, &x, 1, &p) : NULL;
}

cg_tensor *cg_tanh(cg_graph *g, cg_tensor *x)
{
    return x ? cg_graph_apply(g, CG_OP_TANH, &x, 1, NULL) : NULL;
}

cg_tensor *cg_sigmoid(cg_graph *g, cg_tensor *x)
{
    return x ? cg_graph_apply(g, CG_OP_SIGMOID, &x, 1, NULL) : NULL;
}
