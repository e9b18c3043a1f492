/*
 * The library's entry points that its own files call each other through (and Python calls by
 * ctypes, declared in kernels.py): one prototype each, checked against its definition.
 */
#ifndef ADV_ENTRY_H
#define ADV_ENTRY_H

/* CBLAS's layout and transpose codes, as libmlx passes them to cblas_sgemm. */
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

/* The cblas_sgemm front end (qgemv.c). */
void adv_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
               const float *b, int ldb, float beta, float *c, int ldc);

/* Causal softmax over rows of scores (softmax.c) and gate = silu(gate) * up (silu.c). */
void adv_causal_softmax(const float *scores, float *probs, int rows, int length, int keys, int offset);
void adv_silu_mul(float *gate, const float *up, long n);
#endif
