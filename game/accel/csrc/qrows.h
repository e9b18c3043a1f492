/*
 * Rows of a quantized matrix times one vector (qrows.c): the arithmetic of qgemv.c's decode
 * products, apart from the table and the cblas front end.
 */
#ifndef ADV_QROWS_H
#define ADV_QROWS_H
#include <stdint.h>

enum { QROWS_GROUP = 32, QROWS_MAX_K = 8192 };

/* MLX's affine format as read from the GGUF, group size 32:
 *   w[n][k] = scales[n][k/32] * q[n][k] + biases[n][k/32]
 *   4-bit: each byte holds q of element 2i (low nibble) and 2i+1 (high nibble) of its group
 *   8-bit: one byte per element */
typedef struct {
    int n, k, bits;
    const uint8_t *q;
    const float *scales, *biases; /* n x k/32 */
} qmatrix;

/* One product's input vector, prepared once for all rows (on the caller's stack). */
typedef struct {
    const float *x;                                          /* float x, where the kernel uses it */
    float xbuf[QROWS_MAX_K] __attribute__((aligned(32)));    /* backing for x when rearranged */
    int16_t xq[QROWS_MAX_K] __attribute__((aligned(32)));    /* x as int16 per group, arranged */
    float xd[QROWS_MAX_K / QROWS_GROUP];                     /* per-group scale of xq */
    float xsum[QROWS_MAX_K / QROWS_GROUP];                   /* per-group sum of x (the biases' share) */
} qinput;

/* Fill `in` for products of `m` with x (k floats); x must outlive the product. */
void qrows_prepare(const qmatrix *m, const float *x, qinput *in);

/* out[r - first] = row r of m times x, for first <= r < last. */
void qrows_unscaled(const qmatrix *m, const qinput *in, int first, int last, float *out);

/* The quantized twin registered for MLX's float32 weight `key` (n x k), or NULL (qgemv.c). */
const qmatrix *qgemv_matrix(const float *key, int n, int k);

/* Count products answered from a quantized twin outside the cblas front end (qgemv.c). */
void qgemv_count(long products);
#endif
