/* Data-parallel training over MPI: every rank holds the same weights, works
 * on its shard of each batch, and gradients are summed in one allreduce per
 * network's contiguous gradient block. Without MPI in the build, one rank. */
#include "train/train_private.h"

#ifdef CG_HAVE_MPI
#include <mpi.h>

/* MPI counts are int: big blocks go in pieces. */
#define MPI_CHUNK ((int64_t)1 << 30)

static bool running(void)
{
    int init = 0, done = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&done);
    return init && !done;
}

bool cg_dist_available(void) { return true; }

cg_status cg_dist_init(int *argc, char ***argv, cg_error *err)
{
    if (running())
        return CG_OK;
    if (MPI_Init(argc, argv) != MPI_SUCCESS)
        return cg_fail(err, CG_ERR_IO, "MPI_Init failed");
    /* Errors come back as codes so a failing rank can say why. */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    return CG_OK;
}

void cg_dist_finalize(void)
{
    if (running())
        MPI_Finalize();
}

int cg_dist_rank(void)
{
    int r = 0;
    if (running())
        MPI_Comm_rank(MPI_COMM_WORLD, &r);
    return r;
}

int cg_dist_size(void)
{
    int n = 1;
    if (running())
        MPI_Comm_size(MPI_COMM_WORLD, &n);
    return n;
}

static cg_status mpi_fail(int rc, const char *what, cg_error *err)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, text, &len);
    return cg_fail(err, CG_ERR_IO, "%s failed: %s", what, text);
}

cg_status tr_dist_allreduce_sum(float *buf, int64_t n, cg_error *err)
{
    for (int64_t at = 0; at < n; at += MPI_CHUNK) {
        int len = (int)(n - at < MPI_CHUNK ? n - at : MPI_CHUNK);
        int rc = MPI_Allreduce(MPI_IN_PLACE, buf + at, len, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return mpi_fail(rc, "MPI_Allreduce", err);
    }
    return CG_OK;
}

cg_status tr_dist_allreduce_sum_double(double *buf, int n, cg_error *err)
{
    int rc = MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? CG_OK : mpi_fail(rc, "MPI_Allreduce", err);
}

cg_status tr_dist_broadcast(float *buf, int64_t n, cg_error *err)
{
    for (int64_t at = 0; at < n; at += MPI_CHUNK) {
        int len = (int)(n - at < MPI_CHUNK ? n - at : MPI_CHUNK);
        int rc = MPI_Bcast(buf + at, len, MPI_FLOAT, 0, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return mpi_fail(rc, "MPI_Bcast", err);
    }
    return CG_OK;
}

cg_status tr_dist_allgather(const float *local, int64_t n_local, float *all, cg_error *err)
{
    if (n_local > MPI_CHUNK)
        return cg_fail(err, CG_ERR_UNSUPPORTED, "a batch shard of %lld floats is too large to gather",
                       (long long)n_local);
    int rc = MPI_Allgather(local, (int)n_local, MPI_FLOAT, all, (int)n_local, MPI_FLOAT, MPI_COMM_WORLD);
    return rc == MPI_SUCCESS ? CG_OK : mpi_fail(rc, "MPI_Allgather", err);
}

cg_status tr_dist_agree(cg_status st, cg_error *err)
{
    if (!running())
        return st;
    int mine = (int)st, worst = 0;
    int rc = MPI_Allreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS)
        return mpi_fail(rc, "MPI_Allreduce", err);
    if (worst != CG_OK && st == CG_OK)
        return cg_fail(err, (cg_status)worst, "another rank stopped with: %s", cg_status_name((cg_status)worst));
    return st;
}

#else

bool cg_dist_available(void) { return false; }

cg_status cg_dist_init(int *argc, char ***argv, cg_error *err)
{
    return cg_fail(err, CG_ERR_UNSUPPORTED, "this build has no MPI (configure with -Dmpi=enabled)");
}

void cg_dist_finalize(void) {}
int cg_dist_rank(void) { return 0; }
int cg_dist_size(void) { return 1; }

static cg_status no_mpi(cg_error *err)
{
    return cg_fail(err, CG_ERR_UNSUPPORTED, "this build has no MPI");
}

cg_status tr_dist_allreduce_sum(float *buf, int64_t n, cg_error *err) { return no_mpi(err); }
cg_status tr_dist_allreduce_sum_double(double *buf, int n, cg_error *err) { return no_mpi(err); }
cg_status tr_dist_broadcast(float *buf, int64_t n, cg_error *err) { return no_mpi(err); }
cg_status tr_dist_allgather(const float *local, int64_t n_local, float *all, cg_error *err) { return no_mpi(err); }
cg_status tr_dist_agree(cg_status st, cg_error *err) { return st; }

#endif
