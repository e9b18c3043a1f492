/*
 * A `cblas_sgemm` front end for MLX's CPU backend that decodes from quantized weights.
 *
 * Why: a decode step multiplies one row (the new token) by every weight matrix of the model.
 * With float32 weights that reads 540 MB per token for SmolLM2-135M; the GGUF it came from
 * holds the same numbers as 4-bit/8-bit affine groups (~95 MB). MLX's own CPU quantized
 * matmul is not vectorised, so the narrator keeps float32 weights (fast BLAS GEMM for the
 * prompt) and this front end, placed in libmlx's `cblas_sgemm` GOT slot by blas.py, answers
 * one-row products against a registered weight from its quantized twin instead.
 *
 *   M <= 4, row-major, x @ W^T, W registered   -> quantized matrix-vector products (this file)
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
 *
 * Quantized layout (MLX's affine format, group size 32, as read from the GGUF):
 *   w[n][k] = scales[n][k/32] * q[n][k] + biases[n][k/32]
 *   4-bit: each byte holds q of element 2i (low nibble) and 2i+1 (high nibble)
 *   8-bit: one byte per element
 */
#include <stddef.h>
#include <stdint.h>
#include "simd.h"

enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
enum { GROUP = 32, TABLE_SIZE = 4096, MAX_K = 8192 };
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
    int n, k, bits;
    const uint8_t *q;
    const float *scales, *biases; /* N x K/32 */
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
            table[i].n = n;
            table[i].k = k;
            table[i].bits = bits;
            table[i].q = q;
            table[i].scales = scales;
            table[i].biases = biases;
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
}

long adv_quantized_calls(void) { return __atomic_load_n(&quantized_calls, __ATOMIC_RELAXED); }

static const qweight *lookup(const float *key, int n, int k) {
    long found = find_slot(key);
    if (found < 0 || table[found].n != n || table[found].k != k)
        return NULL;
    return &table[found];
}

/* x rearranged so that each group's even elements come first, then its odd ones: the order in
 * which a 4-bit group's low and high nibbles come out of its 16 bytes. */
static void deinterleave(const float *x, int k, float *xp, float *xsum) {
    for (int g = 0; g < k / GROUP; g++) {
        const float *src = x + g * GROUP;
        float *dst = xp + g * GROUP;
        float s = 0.0f;
        for (int i = 0; i < GROUP / 2; i++) {
            dst[i] = src[2 * i];
            dst[GROUP / 2 + i] = src[2 * i + 1];
        }
        for (int i = 0; i < GROUP; i++)
            s += src[i];
        xsum[g] = s;
    }
}

#if defined(__AVX2__) && defined(__FMA__)
#define HAVE_INT16_DOT 1
static inline __m256 u8x8_to_ps(__m128i bytes) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
}

/* A 4-bit row against x held as int16 per group (scale max|x| / 32767, within 2e-5 of float):
 * two madd_epi16 multiply-add 32 weights where floats would need four conversions and FMAs.
 * (8-bit activations, as llama.cpp uses, measured 0.996 logit correlation with the float32
 * model on SmolLM2 instead of 0.99999, and changed greedy tokens.) */
static float row_dot4_i16(const uint8_t *q, const float *sc, const float *bi, const int16_t *xq,
                          const float *xd, const float *xsum, int groups) {
    const __m128i low = _mm_set1_epi8(0x0F);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float offset = 0.0f;
    int g = 0;
    for (; g + 1 < groups; g += 2) {
        const __m128i v0 = _mm_loadu_si128((const __m128i *)(q + g * 16));
        const __m128i v1 = _mm_loadu_si128((const __m128i *)(q + g * 16 + 16));
        const int16_t *x0 = xq + g * GROUP, *x1 = x0 + GROUP;
        __m256i s0 = _mm256_add_epi32(
            _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_and_si128(v0, low)), _mm256_loadu_si256((const __m256i *)x0)),
            _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(v0, 4), low)),
                              _mm256_loadu_si256((const __m256i *)(x0 + 16))));
        __m256i s1 = _mm256_add_epi32(
            _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_and_si128(v1, low)), _mm256_loadu_si256((const __m256i *)x1)),
            _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(v1, 4), low)),
                              _mm256_loadu_si256((const __m256i *)(x1 + 16))));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s0), _mm256_set1_ps(sc[g] * xd[g]), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s1), _mm256_set1_ps(sc[g + 1] * xd[g + 1]), acc1);
        offset += bi[g] * xsum[g] + bi[g + 1] * xsum[g + 1];
    }
    for (; g < groups; g++) {
        const __m128i v0 = _mm_loadu_si128((const __m128i *)(q + g * 16));
        const int16_t *x0 = xq + g * GROUP;
        __m256i s0 = _mm256_add_epi32(
            _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_and_si128(v0, low)), _mm256_loadu_si256((const __m256i *)x0)),
            _mm256_madd_epi16(_mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(v0, 4), low)),
                              _mm256_loadu_si256((const __m256i *)(x0 + 16))));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s0), _mm256_set1_ps(sc[g] * xd[g]), acc0);
        offset += bi[g] * xsum[g];
    }
    return hsum(_mm256_add_ps(acc0, acc1)) + offset;
}

static float row_dot8(const uint8_t *q, const float *sc, const float *bi, const float *x,
                      const float *xsum, int groups) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float offset = 0.0f;
    for (int g = 0; g < groups; g++) {
        const uint8_t *qg = q + g * GROUP;
        const float *xg = x + g * GROUP;
        __m256 d0 = _mm256_mul_ps(u8x8_to_ps(_mm_loadl_epi64((const __m128i *)qg)), _mm256_loadu_ps(xg));
        __m256 d1 = _mm256_mul_ps(u8x8_to_ps(_mm_loadl_epi64((const __m128i *)(qg + 8))),
                                  _mm256_loadu_ps(xg + 8));
        d0 = _mm256_fmadd_ps(u8x8_to_ps(_mm_loadl_epi64((const __m128i *)(qg + 16))),
                             _mm256_loadu_ps(xg + 16), d0);
        d1 = _mm256_fmadd_ps(u8x8_to_ps(_mm_loadl_epi64((const __m128i *)(qg + 24))),
                             _mm256_loadu_ps(xg + 24), d1);
        const __m256 scale = _mm256_broadcast_ss(sc + g);
        acc0 = _mm256_fmadd_ps(d0, scale, acc0);
        acc1 = _mm256_fmadd_ps(d1, scale, acc1);
        offset += bi[g] * xsum[g];
    }
    return hsum(_mm256_add_ps(acc0, acc1)) + offset;
}
#else
static float row_dot4(const uint8_t *q, const float *sc, const float *bi, const float *xp,
                      const float *xsum, int groups) {
    float total = 0.0f;
    for (int g = 0; g < groups; g++) {
        const uint8_t *qg = q + g * 16;
        const float *xg = xp + g * GROUP;
        float d = 0.0f;
        for (int i = 0; i < 16; i++)
            d += (float)(qg[i] & 0x0F) * xg[i] + (float)(qg[i] >> 4) * xg[16 + i];
        total += sc[g] * d + bi[g] * xsum[g];
    }
    return total;
}

static float row_dot8(const uint8_t *q, const float *sc, const float *bi, const float *x,
                      const float *xsum, int groups) {
    float total = 0.0f;
    for (int g = 0; g < groups; g++) {
        float d = 0.0f;
        for (int i = 0; i < GROUP; i++)
            d += (float)q[g * GROUP + i] * x[g * GROUP + i];
        total += sc[g] * d + bi[g] * xsum[g];
    }
    return total;
}
#endif

/* y[r] = alpha * (W x)[r] + beta * y[r] for rows [first, last). */
/* One call's input vector, prepared once for all rows. */
typedef struct {
    const float *x;     /* as given (8-bit rows) or deinterleaved (4-bit rows) */
    const int16_t *xq;  /* deinterleaved, as int16 per group (4-bit rows, integer dot) */
    const float *xd;    /* per-group scale of xq */
    const float *xsum;  /* per-group sum of x (the biases' share) */
} prepared;

/* y[r] = alpha * (W x)[r] + beta * y[r] for rows [first, last). */
static void qgemv_rows(const qweight *w, const prepared *in, float alpha, float beta, float *y, int first,
                       int last) {
    const int groups = w->k / GROUP;
    const size_t row_bytes = (size_t)w->k * (size_t)w->bits / 8;
    for (int r = first; r < last; r++) {
        const uint8_t *q = w->q + (size_t)r * row_bytes;
        const float *sc = w->scales + (size_t)r * groups, *bi = w->biases + (size_t)r * groups;
        float v;
        if (w->bits == 8)
            v = row_dot8(q, sc, bi, in->x, in->xsum, groups);
        else
#ifdef HAVE_INT16_DOT
            v = row_dot4_i16(q, sc, bi, in->xq, in->xd, in->xsum, groups);
#else
            v = row_dot4(q, sc, bi, in->x, in->xsum, groups);
#endif
        v *= alpha;
        y[r] = beta == 0.0f ? v : v + beta * y[r];
    }
}

/* Per group of the deinterleaved x: int16 codes with scale max|x| / 32767. */
static void quantize_groups(const float *xp, int k, int16_t *xq, float *xd) {
    for (int g = 0; g < k / GROUP; g++) {
        const float *src = xp + g * GROUP;
        float amax = 0.0f;
        for (int i = 0; i < GROUP; i++) {
            const float a = src[i] < 0.0f ? -src[i] : src[i];
            amax = a > amax ? a : amax;
        }
        const float inv = amax > 0.0f ? 32767.0f / amax : 0.0f;
        for (int i = 0; i < GROUP; i++) {
            const float v = src[i] * inv;
            xq[g * GROUP + i] = (int16_t)(v >= 0.0f ? (int)(v + 0.5f) : -(int)(-v + 0.5f));
        }
        xd[g] = amax / 32767.0f;
    }
}

static void qgemv(const qweight *w, const float *x, float alpha, float beta, float *y) {
    float xp[MAX_K] __attribute__((aligned(32)));
    int16_t xq[MAX_K] __attribute__((aligned(32)));
    float xd[MAX_K / GROUP], xsum[MAX_K / GROUP];
    prepared in = {x, xq, xd, xsum};
    if (w->bits == 4) {
        deinterleave(x, w->k, xp, xsum);
#ifdef HAVE_INT16_DOT
        quantize_groups(xp, w->k, xq, xd);
#endif
        in.x = xp;
    } else {
        for (int g = 0; g < w->k / GROUP; g++) {
            float s = 0.0f;
            for (int i = 0; i < GROUP; i++)
                s += x[g * GROUP + i];
            xsum[g] = s;
        }
    }
    qgemv_rows(w, &in, alpha, beta, y, 0, w->n);
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
