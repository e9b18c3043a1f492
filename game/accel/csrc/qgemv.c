/*
 * A `cblas_sgemm` front end for MLX's CPU backend that decodes from quantized weights.
 *
 * Why: a decode step multiplies one row (the new token) by every weight matrix of the model.
 * With float32 weights that reads 540 MB per token for SmolLM2-135M; the GGUF it came from
 * holds the same numbers as 4-bit/8-bit affine groups (~95 MB). MLX's own CPU quantized
 * matmul is not vectorised, so the narrator keeps float32 weights (fast BLAS GEMM for the
 * prompt) and this front end, placed in libmlx's `cblas_sgemm` GOT slot by gemm_slot.py, answers
 * one-row products against a registered weight from its quantized twin instead.
 *
 *   M <= 4, row-major, x @ W^T, W registered   -> quantized matrix-vector products (qrows.c)
 *   M <= 4, row-major, other A B^T or A B      -> small AVX2 products here (attention: scores
 *                                                 and outputs of a few query heads per key head)
 *   M <= 4, row-major, anything else           -> OpenBLAS sgemv per row (it streams W once;
 *                                                 sgemm packs it first)
 *   otherwise                                  -> OpenBLAS sgemm
 *
 * A registered weight is keyed by the address of MLX's float32 buffer plus its shape; the
 * Python side keeps that buffer alive for as long as it is registered, so an address can
 * never be reused by another array while it is in the table. The table is written only while
 * no product runs (model load/unload on the narrator thread) and read without locks.
 * The quantized layout and the products' arithmetic are in qrows.h and qrows.c.
 */
#include <stddef.h>
#include <stdint.h>
#include "entry.h"
#include "qrows.h"
#include "rowshare.h"
#include "simd.h"

enum { GROUP = QROWS_GROUP, TABLE_SIZE = 4096, MAX_K = QROWS_MAX_K };
/* Up to this many rows, products go row by row (sgemv streams B once per row; sgemm packs B
 * first, which for a handful of rows costs more than the multiplication). */
enum { MAX_ROWS_AS_GEMV = 4 };
#define TOMBSTONE ((const float *)1) /* an unregistered entry: probes continue past it */

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                         const float *, int, float, float *, int);
typedef void (*sgemv_fn)(int, int, int, int, float, const float *, int, const float *, int,
                         float, float *, int);

typedef struct {
    const float *key; /* MLX's float32 weight, N x K row-major; NULL = never used */
    qmatrix m;        /* its quantized twin */
} qweight;

static sgemm_fn openblas_sgemm;
static sgemv_fn openblas_sgemv;
static qweight table[TABLE_SIZE];
static long quantized_calls;

static size_t slot_of(const float *key) {
    uintptr_t h = (uintptr_t)key >> 4;
    return (size_t)((h * 0x9E3779B97F4A7C15ull) >> 52) & (TABLE_SIZE - 1);
}

void adv_init(void *sgemm, void *sgemv) {
    openblas_sgemm = (sgemm_fn)sgemm;
    openblas_sgemv = (sgemv_fn)sgemv;
}

/* The slot holding `key`, or -1. */
static long find_slot(const float *key) {
    size_t i = slot_of(key);
    for (size_t probe = 0; probe < TABLE_SIZE; probe++, i = (i + 1) & (TABLE_SIZE - 1)) {
        const float *stored = __atomic_load_n(&table[i].key, __ATOMIC_ACQUIRE);
        if (stored == NULL)
            return -1;
        if (stored == key)
            return (long)i;
    }
    return -1;
}

/* 0 on success, -1 bad arguments, -2 table full. */
int adv_register(const float *key, int n, int k, int bits, const uint8_t *q, const float *scales,
                 const float *biases) {
    if (!key || key == TOMBSTONE || n <= 0 || k <= 0 || k % GROUP || k > MAX_K || (bits != 4 && bits != 8))
        return -1;
    long found = find_slot(key);
    size_t i = found >= 0 ? (size_t)found : slot_of(key);
    for (size_t probe = 0; probe < TABLE_SIZE; probe++, i = (i + 1) & (TABLE_SIZE - 1)) {
        const float *stored = table[i].key;
        if (stored == NULL || stored == TOMBSTONE || stored == key) {
            __atomic_store_n(&table[i].key, TOMBSTONE, __ATOMIC_RELEASE);
            table[i].m = (qmatrix){n, k, bits, q, scales, biases};
            __atomic_store_n(&table[i].key, key, __ATOMIC_RELEASE);
            return 0;
        }
    }
    return -2;
}

/* Forget one weight (before the Python side lets go of its buffer). */
void adv_unregister(const float *key) {
    long found = find_slot(key);
    if (found >= 0)
        __atomic_store_n(&table[found].key, TOMBSTONE, __ATOMIC_RELEASE);
    rowshare_quiesce(); /* the helper may still be reading its rows */
}

long adv_quantized_calls(void) { return __atomic_load_n(&quantized_calls, __ATOMIC_RELAXED); }

static const qweight *lookup(const float *key, int n, int k) {
    long found = find_slot(key);
    if (found < 0 || table[found].m.n != n || table[found].m.k != k)
        return NULL;
    return &table[found];
}

void qgemv_count(long products) { __atomic_add_fetch(&quantized_calls, products, __ATOMIC_RELAXED); }

const qmatrix *qgemv_matrix(const float *key, int n, int k) {
    const qweight *w = lookup(key, n, k);
    return w != NULL ? &w->m : NULL;
}

enum { ROWS_PER_BLOCK = 256 };

static void qgemv(const qweight *w, const float *x, float alpha, float beta, float *y) {
    qinput in;
    qrows_prepare(&w->m, x, &in);
    float block[ROWS_PER_BLOCK];
    for (int first = 0; first < w->m.n; first += ROWS_PER_BLOCK) {
        const int last = first + ROWS_PER_BLOCK < w->m.n ? first + ROWS_PER_BLOCK : w->m.n;
        qrows_unscaled(&w->m, &in, first, last, block);
        for (int r = first; r < last; r++) {
            const float v = alpha * block[r - first];
            y[r] = beta == 0.0f ? v : v + beta * y[r];
        }
    }
    __atomic_add_fetch(&quantized_calls, 1, __ATOMIC_RELAXED);
}

#if defined(__AVX2__) && defined(__FMA__)
static inline void store_scaled(float *out, float v, float alpha, float beta) {
    v *= alpha;
    *out = beta == 0.0f ? v : v + beta * *out;
}

/* C[i][j] = alpha * dot(A row i, B row j) + beta * C[i][j] for up to 3 rows of A, with K a multiple
 * of 8 (attention scores: a few query heads against a key head's cached keys). Key rows go four
 * at a time: each is read once for all query rows, and four dot products are summed across
 * their lanes together (three horizontal adds instead of four full reductions). */
static void small_nt(int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                     float beta, float *c, int ldc) {
    int j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256 acc[3][4];
        for (int i = 0; i < m; i++)
            for (int r = 0; r < 4; r++)
                acc[i][r] = _mm256_setzero_ps();
        for (int kk = 0; kk < k; kk += 8) {
            __m256 av[3];
            for (int i = 0; i < m; i++)
                av[i] = _mm256_loadu_ps(a + (size_t)i * lda + kk);
            for (int r = 0; r < 4; r++) {
                const __m256 bv = _mm256_loadu_ps(b + (size_t)(j + r) * ldb + kk);
                for (int i = 0; i < m; i++)
                    acc[i][r] = _mm256_fmadd_ps(av[i], bv, acc[i][r]);
            }
        }
        for (int i = 0; i < m; i++) {
            const __m256 s = _mm256_hadd_ps(_mm256_hadd_ps(acc[i][0], acc[i][1]), _mm256_hadd_ps(acc[i][2], acc[i][3]));
            float sums[4];
            _mm_storeu_ps(sums, _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1)));
            for (int r = 0; r < 4; r++)
                store_scaled(c + (size_t)i * ldc + j + r, sums[r], alpha, beta);
        }
    }
    for (; j < n; j++) {
        const float *bj = b + (size_t)j * ldb;
        for (int i = 0; i < m; i++) {
            __m256 acc = _mm256_setzero_ps();
            for (int kk = 0; kk < k; kk += 8)
                acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + (size_t)i * lda + kk), _mm256_loadu_ps(bj + kk), acc);
            store_scaled(c + (size_t)i * ldc + j, hsum(acc), alpha, beta);
        }
    }
}

/* C[i][:] = alpha * sum_s A[i][s] * B[s][:] + beta * C[i][:] for up to 4 rows of A, with N a
 * multiple of 8 (attention output: a few rows of probabilities times a key head's values).
 * Columns go in blocks of 32 so that the accumulators stay in registers. */
static void small_nn(int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb,
                     float beta, float *c, int ldc) {
    for (int col = 0; col < n; col += 32) {
        const int width = n - col < 32 ? n - col : 32;
        __m256 acc[MAX_ROWS_AS_GEMV][4];
        for (int i = 0; i < m; i++)
            for (int v = 0; v < 4; v++)
                acc[i][v] = _mm256_setzero_ps();
        for (int s = 0; s < k; s++) {
            const float *bs = b + (size_t)s * ldb + col;
            __m256 bv[4];
            for (int v = 0; v * 8 < width; v++)
                bv[v] = _mm256_loadu_ps(bs + v * 8);
            for (int i = 0; i < m; i++) {
                const __m256 p = _mm256_set1_ps(a[(size_t)i * lda + s]);
                for (int v = 0; v * 8 < width; v++)
                    acc[i][v] = _mm256_fmadd_ps(p, bv[v], acc[i][v]);
            }
        }
        for (int i = 0; i < m; i++) {
            float *out = c + (size_t)i * ldc + col;
            for (int v = 0; v * 8 < width; v++) {
                __m256 r = _mm256_mul_ps(_mm256_set1_ps(alpha), acc[i][v]);
                if (beta != 0.0f)
                    r = _mm256_fmadd_ps(_mm256_set1_ps(beta), _mm256_loadu_ps(out + v * 8), r);
                _mm256_storeu_ps(out + v * 8, r);
            }
        }
    }
}
#define HAVE_SMALL_KERNELS 1
#endif

void adv_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
               const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc) {
    if (m < 1 || m > MAX_ROWS_AS_GEMV || order != ROW_MAJOR) {
        openblas_sgemm(order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    const qweight *w = NULL;
    if (trans_b == TRANS && trans_a == NO_TRANS && ldb == k)
        w = lookup(b, n, k);
#ifdef HAVE_SMALL_KERNELS
    /* Not a registered weight: attention against the KV cache. Done here on this thread, because
     * OpenBLAS threads sgemv above ~9K elements and waking its threads 540 times per token costs
     * more than the products. */
    if (w == NULL && trans_a == NO_TRANS) {
        if (trans_b == TRANS && k % 8 == 0 && m <= 3) {
            small_nt(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
        if (trans_b == NO_TRANS && n % 8 == 0) {
            small_nn(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            return;
        }
    }
#endif
    /* A few rows (a decode step; attention of a few query heads per key head): one
     * matrix-vector product per row, with x = row i of op(A). */
    for (int i = 0; i < m; i++) {
        const float *x = trans_a == TRANS ? a + i : a + (size_t)i * lda;
        const int inc_x = trans_a == TRANS ? lda : 1;
        float *y = c + (size_t)i * ldc;
        if (w != NULL)
            qgemv(w, x, alpha, beta, y);
        else if (trans_b == TRANS)
            openblas_sgemv(ROW_MAJOR, NO_TRANS, n, k, alpha, b, ldb, x, inc_x, beta, y, 1);
        else
            openblas_sgemv(ROW_MAJOR, TRANS, k, n, alpha, b, ldb, x, inc_x, beta, y, 1);
    }
}
