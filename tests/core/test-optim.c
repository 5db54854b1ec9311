/* Initialisers, Adam(W), SGD, the learning-rate schedule and gradient
 * clipping, against hand-written double-precision references. */
#include "comicgan/optim.h"

#include <glib.h>
#include <math.h>
#include <string.h>

/* A set with two parameters ("w" of 5, "b" of 3) and one buffer. */
static cg_params *small_set(void)
{
    cg_error err = {0};
    cg_params *p = cg_params_new(&err);
    const int64_t d5[1] = {5}, d3[1] = {3}, d2[1] = {2};
    g_assert_nonnull(cg_params_add(p, "w", 1, d5, &err));
    g_assert_nonnull(cg_params_add_buffer(p, "buf", 1, d2, &err));
    g_assert_nonnull(cg_params_add(p, "b", 1, d3, &err));
    g_assert_cmpint(cg_params_finalize(p, &err), ==, CG_OK);
    const float w0[5] = {0.5f, -1.25f, 2.0f, 0.0f, 3.5f}, b0[3] = {-0.75f, 0.1f, 1.5f};
    memcpy(cg_params_get(p, 0)->data, w0, sizeof w0);
    memcpy(cg_params_get(p, 2)->data, b0, sizeof b0);
    cg_params_get(p, 1)->data[0] = 7.0f;
    cg_params_get(p, 1)->data[1] = 8.0f;
    return p;
}

/* The gradient for step s and element k (the same in engine and reference). */
static double grad_at(int s, int k)
{
    return 0.3 * sin(1.7 * k + 0.9 * s) + 0.05 * (k - 3);
}

static void set_grads(cg_params *p, int s)
{
    cg_tensor *w = cg_params_get(p, 0), *b = cg_params_get(p, 2);
    for (int k = 0; k < 5; k++)
        w->grad[k] = (float)grad_at(s, k);
    for (int k = 0; k < 3; k++)
        b->grad[k] = (float)grad_at(s, 5 + k);
}

static void values_of(cg_params *p, double *out)
{
    cg_tensor *w = cg_params_get(p, 0), *b = cg_params_get(p, 2);
    for (int k = 0; k < 5; k++)
        out[k] = w->data[k];
    for (int k = 0; k < 3; k++)
        out[5 + k] = b->data[k];
}

static void check_close(const double *ref, cg_params *p, double tol, const char *what, int step)
{
    double got[8];
    values_of(p, got);
    for (int k = 0; k < 8; k++) {
        double bound = tol * fmax(1.0, fabs(ref[k]));
        if (fabs(got[k] - ref[k]) > bound)
            g_error("%s step %d element %d: engine %.9g, reference %.9g", what, step, k, got[k], ref[k]);
    }
}

static void adam_case(float weight_decay, float l2, const char *what)
{
    cg_error err = {0};
    cg_params *p = small_set();
    cg_adam_options o = {.lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.99f, .eps = 1e-8f,
                         .weight_decay = weight_decay, .l2 = l2};
    cg_optim *opt = cg_optim_adam(p, &o, &err);
    g_assert_nonnull(opt);
    double w[8], m[8] = {0}, v[8] = {0};
    values_of(p, w);
    for (int s = 0; s < 4; s++) {
        set_grads(p, s);
        g_assert_cmpint(cg_optim_step(opt, &err), ==, CG_OK);
        double t = s + 1;
        for (int k = 0; k < 8; k++) {
            double g = grad_at(s, k) + (double)l2 * w[k];
            m[k] = 0.9 * m[k] + 0.1 * g;
            v[k] = 0.99 * v[k] + 0.01 * g * g;
            double mhat = m[k] / (1 - pow(0.9, t)), vhat = v[k] / (1 - pow(0.99, t));
            w[k] -= 0.01 * (double)weight_decay * w[k];
            w[k] -= 0.01 * mhat / (sqrt(vhat) + 1e-8);
        }
        check_close(w, p, 2e-6, what, s);
    }
    g_assert_cmpint(cg_optim_steps(opt), ==, 4);
    /* the buffer is never touched, nor the padding of any block */
    g_assert_cmpfloat(cg_params_get(p, 1)->data[0], ==, 7.0f);
    g_assert_cmpfloat(cg_params_get(p, 1)->data[1], ==, 8.0f);
    int64_t n;
    float *vals = cg_params_values(p, &n);
    for (int k = 5; k < 16; k++)
        g_assert_cmpfloat(vals[k], ==, 0.0f);
    float *mm = cg_optim_state(opt, 0, &n);
    g_assert_cmpint(n, ==, 32);
    for (int k = 5; k < 16; k++)
        g_assert_cmpfloat(mm[k], ==, 0.0f);
    /* m's first element against the reference */
    g_assert_cmpfloat_with_epsilon(mm[0], m[0], 1e-6);
    cg_optim_free(opt);
    cg_params_free(p);
}

static void test_adam_reference(void) { adam_case(0, 0, "adam"); }
static void test_adamw_reference(void) { adam_case(0.1f, 0, "adamw"); }
static void test_adam_l2_reference(void) { adam_case(0, 0.05f, "adam+l2"); }

static void sgd_case(float momentum, float wd, bool nesterov, const char *what)
{
    cg_error err = {0};
    cg_params *p = small_set();
    cg_sgd_options o = {.lr = 0.1f, .momentum = momentum, .weight_decay = wd, .nesterov = nesterov};
    cg_optim *opt = cg_optim_sgd(p, &o, &err);
    g_assert_nonnull(opt);
    g_assert_cmpint(cg_optim_state_count(opt), ==, momentum > 0 ? 1 : 0);
    double w[8], buf[8] = {0};
    values_of(p, w);
    for (int s = 0; s < 4; s++) {
        set_grads(p, s);
        g_assert_cmpint(cg_optim_step(opt, &err), ==, CG_OK);
        for (int k = 0; k < 8; k++) {
            double g = grad_at(s, k) + (double)wd * w[k], d = g;
            if (momentum > 0) {
                buf[k] = s == 0 ? g : (double)momentum * buf[k] + g;
                d = nesterov ? g + (double)momentum * buf[k] : buf[k];
            }
            w[k] -= 0.1 * d;
        }
        check_close(w, p, 1e-6, what, s);
    }
    cg_optim_free(opt);
    cg_params_free(p);
}

static void test_sgd_reference(void)
{
    sgd_case(0, 0, false, "sgd");
    sgd_case(0.9f, 0, false, "sgd+momentum");
    sgd_case(0.9f, 0.01f, true, "sgd+nesterov+wd");
}

/* Adam finds the minimum of sum_k c_k (w_k - t_k)^2 from a poor start. */
static void test_adam_quadratic(void)
{
    cg_error err = {0};
    cg_params *p = cg_params_new(&err);
    const int64_t d[2] = {4, 5};
    cg_tensor *w = cg_params_add(p, "w", 2, d, &err);
    cg_params_finalize(p, &err);
    cg_rng r;
    cg_rng_seed(&r, 3);
    cg_init_normal(w, 0, 3, &r, &err);
    double target[20], c[20];
    for (int k = 0; k < 20; k++) {
        target[k] = k * 0.25 - 2;
        c[k] = 0.5 + k % 4;
    }
    cg_adam_options o = cg_adam_defaults();
    o.lr = 0.05f;
    o.beta1 = 0.9f;
    cg_optim *opt = cg_optim_adam(p, &o, &err);
    cg_lr_schedule sched = {.base_lr = 0.05f, .constant_steps = 1500, .decay_steps = 1500};
    double loss = 0;
    for (int s = 0; s < 3000; s++) {
        loss = 0;
        for (int k = 0; k < 20; k++) {
            double diff = w->data[k] - target[k];
            loss += c[k] * diff * diff;
            w->grad[k] = (float)(2 * c[k] * diff);
        }
        cg_optim_set_lr(opt, cg_lr_at(&sched, s));
        g_assert_cmpint(cg_optim_step(opt, &err), ==, CG_OK);
    }
    g_test_message("quadratic loss after 3000 Adam steps: %g", loss);
    for (int k = 0; k < 20; k++)
        g_assert_cmpfloat(fabs(w->data[k] - target[k]), <, 1e-3);
    cg_optim_free(opt);
    cg_params_free(p);
}

static void test_frozen_not_updated(void)
{
    cg_error err = {0};
    cg_params *p = small_set();
    cg_optim *opt = cg_optim_adam(p, &(cg_adam_options){.lr = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f,
                                                         .eps = 1e-8f, .weight_decay = 0.5f},
                                  &err);
    set_grads(p, 0);
    g_assert_cmpint(cg_params_set_frozen(p, 0, true, &err), ==, CG_OK);
    double before[8], after[8];
    values_of(p, before);
    g_assert_cmpint(cg_optim_step(opt, &err), ==, CG_OK);
    values_of(p, after);
    for (int k = 0; k < 5; k++)
        g_assert_cmpfloat(after[k], ==, before[k]); /* frozen w: no update, no decay */
    for (int k = 5; k < 8; k++)
        g_assert_cmpfloat(after[k], !=, before[k]);
    cg_optim_free(opt);
    cg_params_free(p);
}

static void test_bad_options(void)
{
    cg_error err = {0};
    cg_params *p = small_set();
    cg_adam_options o = cg_adam_defaults();
    o.beta1 = 1.0f;
    g_assert_null(cg_optim_adam(p, &o, &err));
    g_assert_cmpint(err.code, ==, CG_ERR_INVALID);
    g_assert_nonnull(strstr(err.message, "beta1 1"));
    o = cg_adam_defaults();
    o.eps = 0;
    g_assert_null(cg_optim_adam(p, &o, &err));
    g_assert_null(cg_optim_adam(p, NULL, &err));
    g_assert_null(cg_optim_sgd(p, &(cg_sgd_options){.lr = 0.1f, .nesterov = true}, &err));
    g_assert_nonnull(strstr(err.message, "Nesterov"));
    g_assert_null(cg_optim_sgd(p, &(cg_sgd_options){.lr = NAN}, &err));

    cg_params *unfinished = cg_params_new(&err);
    g_assert_null(cg_optim_adam(unfinished, &(cg_adam_options){cg_adam_defaults().lr, 0.5f, 0.999f, 1e-8f, 0, 0},
                                &err));
    g_assert_nonnull(strstr(err.message, "finalized"));
    cg_params_free(unfinished);

    cg_optim *opt = cg_optim_adam(p, &(cg_adam_options){.lr = 1e-3f, .beta1 = 0.5f, .beta2 = 0.9f, .eps = 1e-8f},
                                  &err);
    g_assert_cmpint(cg_optim_state_count(opt), ==, 2);
    g_assert_cmpstr(cg_optim_state_name(opt, 0), ==, "adam.m");
    g_assert_cmpstr(cg_optim_state_name(opt, 1), ==, "adam.v");
    g_assert_null(cg_optim_state_name(opt, 2));
    g_assert_null(cg_optim_state(opt, 2, NULL));
    cg_optim_set_lr(opt, INFINITY);
    g_assert_cmpint(cg_optim_step(opt, &err), ==, CG_ERR_INVALID);
    g_assert_cmpint(cg_optim_steps(opt), ==, 0);
    cg_optim_set_lr(opt, 1e-3f);
    cg_optim_set_steps(opt, 100);
    g_assert_cmpint(cg_optim_steps(opt), ==, 100);
    cg_optim_free(opt);
    cg_params_free(p);
}

static void test_schedule(void)
{
    cg_lr_schedule s = {.base_lr = 2e-4f, .constant_steps = 100, .decay_steps = 100};
    g_assert_cmpfloat(cg_lr_at(&s, -5), ==, 2e-4f);
    g_assert_cmpfloat(cg_lr_at(&s, 0), ==, 2e-4f);
    g_assert_cmpfloat(cg_lr_at(&s, 99), ==, 2e-4f);
    g_assert_cmpfloat(cg_lr_at(&s, 100), ==, 2e-4f);
    g_assert_cmpfloat_with_epsilon(cg_lr_at(&s, 101), 2e-4 * 0.99, 1e-10);
    g_assert_cmpfloat_with_epsilon(cg_lr_at(&s, 150), 1e-4, 1e-10);
    g_assert_cmpfloat_with_epsilon(cg_lr_at(&s, 199), 2e-6, 1e-10);
    g_assert_cmpfloat(cg_lr_at(&s, 200), ==, 0.0f);
    g_assert_cmpfloat(cg_lr_at(&s, 100000), ==, 0.0f);
    /* monotone non-increasing */
    for (int64_t t = 1; t < 250; t++)
        g_assert_cmpfloat(cg_lr_at(&s, t), <=, cg_lr_at(&s, t - 1));
    /* no decay: a step down to 0 at N */
    cg_lr_schedule c = {.base_lr = 1.0f, .constant_steps = 10, .decay_steps = 0};
    g_assert_cmpfloat(cg_lr_at(&c, 9), ==, 1.0f);
    g_assert_cmpfloat(cg_lr_at(&c, 10), ==, 0.0f);
    /* decay only */
    cg_lr_schedule d = {.base_lr = 1.0f, .constant_steps = 0, .decay_steps = 4};
    g_assert_cmpfloat(cg_lr_at(&d, 0), ==, 1.0f);
    g_assert_cmpfloat(cg_lr_at(&d, 2), ==, 0.5f);
    g_assert_cmpfloat(cg_lr_at(&d, 4), ==, 0.0f);
}

static void test_fans(void)
{
    cg_error err = {0};
    int64_t fi, fo;
    cg_tensor conv = {.ndim = 4, .dim = {64, 32, 3, 3}}, lin = {.ndim = 2, .dim = {10, 20, 1, 1}},
              vec = {.ndim = 1, .dim = {7, 1, 1, 1}};
    g_assert_cmpint(cg_init_fans(&conv, &fi, &fo, &err), ==, CG_OK);
    g_assert_cmpint(fi, ==, 32 * 9);
    g_assert_cmpint(fo, ==, 64 * 9);
    cg_init_fans(&lin, &fi, &fo, &err);
    g_assert_cmpint(fi, ==, 20);
    g_assert_cmpint(fo, ==, 10);
    cg_init_fans(&vec, &fi, &fo, &err);
    g_assert_cmpint(fi, ==, 7);
    g_assert_cmpint(fo, ==, 7);
    g_assert_cmpint(cg_init_fans(NULL, &fi, &fo, &err), ==, CG_ERR_INVALID);
}

static void moments(const cg_tensor *t, double *mean, double *var, double *maxabs)
{
    double s1 = 0, s2 = 0, m = 0;
    for (int64_t i = 0; i < t->size; i++) {
        s1 += t->data[i];
        s2 += (double)t->data[i] * t->data[i];
        m = fmax(m, fabs(t->data[i]));
    }
    *mean = s1 / t->size;
    *var = s2 / t->size - *mean * *mean;
    *maxabs = m;
}

/* Xavier's empirical variance against 2 / (fan_in + fan_out) = 2 / 3456 on a
 * (256, 128, 3, 3) weight (294912 samples): the relative standard error of a
 * sample variance is sqrt(2/n) = 0.26% for normal samples and sqrt(0.8/n) =
 * 0.16% for uniform ones; the bound is 1.5% (more than 5 sigma). */
static void test_xavier_variance(void)
{
    cg_error err = {0};
    cg_tensor *t = cg_tensor_new4(256, 128, 3, 3, &err);
    cg_rng r;
    cg_rng_seed(&r, 11);
    const double want = 2.0 / (128 * 9 + 256 * 9);
    double mean, var, maxabs;

    g_assert_cmpint(cg_init_xavier_uniform(t, 1.0f, &r, &err), ==, CG_OK);
    moments(t, &mean, &var, &maxabs);
    g_test_message("xavier uniform: var %.6g, want %.6g (rel %.4f)", var, want, var / want - 1);
    g_assert_cmpfloat(fabs(var / want - 1), <, 0.015);
    g_assert_cmpfloat(fabs(mean), <, 5 * sqrt(want / t->size));
    g_assert_cmpfloat(maxabs, <=, sqrt(3 * want) * (1 + 1e-6));

    g_assert_cmpint(cg_init_xavier_normal(t, 1.0f, &r, &err), ==, CG_OK);
    moments(t, &mean, &var, &maxabs);
    g_test_message("xavier normal: var %.6g, want %.6g (rel %.4f)", var, want, var / want - 1);
    g_assert_cmpfloat(fabs(var / want - 1), <, 0.015);
    g_assert_cmpfloat(fabs(mean), <, 5 * sqrt(want / t->size));

    /* gain scales the deviation */
    g_assert_cmpint(cg_init_xavier_normal(t, 2.0f, &r, &err), ==, CG_OK);
    moments(t, &mean, &var, &maxabs);
    g_assert_cmpfloat(fabs(var / (4 * want) - 1), <, 0.015);

    /* Kaiming for leaky ReLU 0.2: 2 / (1.04 * fan_in) */
    g_assert_cmpint(cg_init_kaiming_normal(t, 0.2f, &r, &err), ==, CG_OK);
    moments(t, &mean, &var, &maxabs);
    g_assert_cmpfloat(fabs(var / (2.0 / (1.04 * 128 * 9)) - 1), <, 0.015);

    /* the GAN default N(0, 0.02) */
    g_assert_cmpint(cg_init_normal(t, 0.0f, 0.02f, &r, &err), ==, CG_OK);
    moments(t, &mean, &var, &maxabs);
    g_assert_cmpfloat(fabs(sqrt(var) / 0.02 - 1), <, 0.0075);
    g_assert_cmpfloat(fabs(mean), <, 5 * 0.02 / sqrt((double)t->size));

    g_assert_cmpint(cg_init_uniform(t, -0.5f, 1.5f, &r, &err), ==, CG_OK);
    moments(t, &mean, &var, &maxabs);
    g_assert_cmpfloat(fabs(mean - 0.5), <, 0.01);
    g_assert_cmpfloat(maxabs, <=, 1.5);

    g_assert_cmpint(cg_init_constant(t, 0.25f, &err), ==, CG_OK);
    for (int64_t i = 0; i < t->size; i++)
        g_assert_cmpfloat(t->data[i], ==, 0.25f);

    /* same seed, same weights */
    cg_tensor *u = cg_tensor_new4(256, 128, 3, 3, &err);
    cg_rng a, b;
    cg_rng_seed(&a, 77);
    cg_rng_seed(&b, 77);
    cg_init_xavier_uniform(t, 1.0f, &a, &err);
    cg_init_xavier_uniform(u, 1.0f, &b, &err);
    g_assert_cmpmem(t->data, t->size * 4, u->data, u->size * 4);

    /* bad arguments leave the tensor alone */
    g_assert_cmpint(cg_init_normal(t, 0.0f, -1.0f, &r, &err), ==, CG_ERR_INVALID);
    g_assert_cmpint(cg_init_uniform(t, 1.0f, 0.0f, &r, &err), ==, CG_ERR_INVALID);
    g_assert_cmpint(cg_init_constant(t, NAN, &err), ==, CG_ERR_INVALID);
    g_assert_cmpint(cg_init_xavier_normal(t, NAN, &r, &err), ==, CG_ERR_INVALID);
    g_assert_cmpint(cg_init_xavier_normal(NULL, 1, &r, &err), ==, CG_ERR_INVALID);
    g_assert_cmpint(cg_init_normal(t, 0, 1, NULL, &err), ==, CG_ERR_INVALID);
    g_assert_cmpmem(t->data, t->size * 4, u->data, u->size * 4);
    cg_tensor_free(t);
    cg_tensor_free(u);
}

static void test_clip(void)
{
    cg_error err = {0};
    cg_params *p = cg_params_new(&err);
    const int64_t big[1] = {300000}, small[1] = {3};
    cg_tensor *a = cg_params_add(p, "a", 1, big, &err);
    cg_tensor *f = cg_params_add(p, "frozen", 1, small, &err);
    cg_tensor *b = cg_params_add(p, "b", 1, small, &err);
    cg_params_finalize(p, &err);
    cg_params_set_frozen(p, 1, true, &err);
    double want = 0;
    for (int64_t i = 0; i < a->size; i++) {
        a->grad[i] = (float)(0.01 * sin(0.37 * (double)i));
        want += (double)a->grad[i] * a->grad[i];
    }
    for (int i = 0; i < 3; i++) {
        b->grad[i] = (float)(i + 1);
        want += (double)(i + 1) * (i + 1);
    }
    want = sqrt(want);
    double norm = 0;
    /* below the limit: reported, not scaled */
    g_assert_cmpint(cg_clip_grad_norm(p, 1000.0f, &norm, &err), ==, CG_OK);
    g_assert_cmpfloat(fabs(norm - want), <, 1e-9 * want);
    g_assert_cmpfloat(b->grad[2], ==, 3.0f);
    /* above: scaled to the limit */
    g_assert_cmpint(cg_clip_grad_norm(p, 1.0f, &norm, &err), ==, CG_OK);
    g_assert_cmpint(cg_clip_grad_norm(p, 0.0f, &norm, &err), ==, CG_OK); /* 0: measure only */
    g_assert_cmpfloat(fabs(norm - 1.0), <, 1e-5);
    g_assert_cmpfloat_with_epsilon(b->grad[2], 3.0 / want, 1e-6);
    (void)f;
    /* a NaN anywhere: CG_ERR_NUMERIC, nothing scaled */
    a->grad[12345] = NAN;
    float keep = b->grad[0];
    g_assert_cmpint(cg_clip_grad_norm(p, 1e-3f, &norm, &err), ==, CG_ERR_NUMERIC);
    g_assert_nonnull(strstr(err.message, "not finite"));
    g_assert_cmpfloat(b->grad[0], ==, keep);
    cg_params_free(p);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/core/optim/adam_reference", test_adam_reference);
    g_test_add_func("/core/optim/adamw_reference", test_adamw_reference);
    g_test_add_func("/core/optim/adam_l2_reference", test_adam_l2_reference);
    g_test_add_func("/core/optim/sgd_reference", test_sgd_reference);
    g_test_add_func("/core/optim/adam_quadratic", test_adam_quadratic);
    g_test_add_func("/core/optim/frozen_not_updated", test_frozen_not_updated);
    g_test_add_func("/core/optim/bad_options", test_bad_options);
    g_test_add_func("/core/optim/schedule", test_schedule);
    g_test_add_func("/core/optim/fans", test_fans);
    g_test_add_func("/core/optim/init_variance", test_xavier_variance);
    g_test_add_func("/core/optim/clip_grad_norm", test_clip);
    return g_test_run();
}
