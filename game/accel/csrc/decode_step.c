/*
 * A whole decode step of an mlx-lm llama in one call: embedding row, every layer, the
 * vocabulary projection, reading the quantized twins and writing the new key and value into
 * the KV cache's own buffers.
 *
 * Why: as an MLX graph a one-token step is ~1,200 operations. MLX's CPU backend runs them on
 * its own thread and paces the thread that dispatches them (at most ~100 ahead), so a step is
 * two threads handing work back and forth a few hundred times, each hand-off a futex wake
 * (an inter-processor interrupt on a VM), plus a malloc or two per operation. The
 * arithmetic itself (the quantized products, qrows.c) was only ~half of the step. Here the
 * step is plain loops on the calling thread; Python only samples from the logits, in MLX.
 *
 * The mathematics is mlx_lm.models.llama's (as llama_forward.py writes it): RMSNorm, q/k/v,
 * rotary embedding (traditional: pairs 2i, 2i+1; else i, i + half), queries scaled, grouped
 * query attention (query head h reads key head h / (heads / kv_heads)) over positions
 * 0..pos, output projection and residual, RMSNorm, silu(gate) * up, down projection and
 * residual; final RMSNorm and the vocabulary projection. Tests compare the logits with the
 * stock model's. The products go through rowshare.c, where a helper thread takes chunks of
 * the larger ones; attention uses the front end's small products (qgemv.c) and softmax.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "decode_step.h"
#include "entry.h"
#include "qrows.h"
#include "rowshare.h"

enum { STEP_OK = 0, STEP_UNREGISTERED = -1, STEP_BAD_SHAPE = -2, STEP_NO_MEMORY = -3 };

static void rms_norm(const float *x, const float *w, float eps, int n, float *out) {
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += (double)x[i] * x[i];
    const float scale = 1.0f / sqrtf((float)(sum / n) + eps);
    for (int i = 0; i < n; i++)
        out[i] = x[i] * scale * w[i];
}

/* Rotate each of `count` heads of x (head_dim each) to position pos. */
static void rope(float *x, int count, int head_dim, int pos, const decode_model *m) {
    const int half = head_dim / 2;
    const float position = (float)pos * m->rope_scale;
    for (int i = 0; i < half; i++) {
        /* The MLX path's own frequencies: an angle of a few hundred radians magnifies a last-bit
         * difference in the frequency (libm's expf against MLX's exp) into its cosine. */
        const float theta = position * m->freqs[i];
        const float c = cosf(theta), s = sinf(theta);
        for (int h = 0; h < count; h++) {
            float *head = x + h * head_dim;
            const int a = m->traditional ? 2 * i : i, b = m->traditional ? 2 * i + 1 : i + half;
            const float xa = head[a], xb = head[b];
            head[a] = xa * c - xb * s;
            head[b] = xa * s + xb * c;
        }
    }
}

/* y = W x for the twin of `key` (n x k); x prepared into `in` unless `prepared` already holds it. */
static int product(const float *key, int n, int k, const float *x, qinput *in, const qmatrix **prepared,
                   float *y) {
    const qmatrix *w = qgemv_matrix(key, n, k);
    if (w == NULL)
        return STEP_UNREGISTERED;
    if (*prepared == NULL || (*prepared)->bits != w->bits || (*prepared)->k != k) {
        qrows_prepare(w, x, in);
        *prepared = w;
    }
    rowshare_product(w, in, y);
    qgemv_count(1);
    return STEP_OK;
}

/* Y (count x n) = X (count x k) W^T for MLX's float32 weight W (key): one row from the quantized
 * twin through rowshare.c; several through the front end (up to 4 rows on the twin, more as an
 * OpenBLAS GEMM on the float32 weights, as MLX's prompt products run). */
static int products(const float *key, int n, int k, const float *x, int count, qinput *in,
                    const qmatrix **prepared, float *y) {
    if (count == 1)
        return product(key, n, k, x, in, prepared, y);
    adv_sgemm(ROW_MAJOR, NO_TRANS, TRANS, count, n, k, 1.0f, x, k, key, k, 0.0f, y, n);
    return STEP_OK;
}

/* `count` tokens at positions pos.. through every layer; logits of the last one. */
static int forward(const decode_model *m, const decode_layer *layers, const int *tokens, int count, int pos,
                   float *const *k_cache, float *const *v_cache, const int *capacity, float *logits) {
    const int d = m->dims, hd = m->head_dim, qd = m->heads * hd, kvd = m->kv_heads * hd;
    const int group = m->kv_heads > 0 ? m->heads / m->kv_heads : 0;
    const int seen = pos + count; /* keys after this call */
    if (count < 1 || pos < 0 || d > QROWS_MAX_K || qd > QROWS_MAX_K || m->hidden > QROWS_MAX_K || group < 1 ||
        group * m->kv_heads != m->heads || hd % 2)
        return STEP_BAD_SHAPE;
    for (int i = 0; i < count; i++)
        if (tokens[i] < 0 || tokens[i] >= m->vocab)
            return STEP_BAD_SHAPE;
    for (int l = 0; l < m->layers; l++)
        if (seen > capacity[l])
            return STEP_BAD_SHAPE;
    const size_t n = (size_t)count, rows = (size_t)group * n;
    const size_t floats = n * (3 * (size_t)d + 2 * (size_t)qd + 2 * (size_t)kvd + 2 * (size_t)m->hidden) +
                          2 * rows * hd + rows * (size_t)seen;
    float *scratch = malloc(floats * sizeof(float));
    qinput *in = aligned_alloc(32, sizeof(qinput)); /* its int16 x is stored with aligned stores */
    int status = scratch != NULL && in != NULL ? STEP_OK : STEP_NO_MEMORY;
    float *h = scratch, *xn = h + n * d, *tmp = xn + n * d, *q = tmp + n * d, *attn = q + n * qd,
          *k = attn + n * qd, *v = k + n * kvd, *gate = v + n * kvd, *up = gate + n * m->hidden,
          *qg = up + n * m->hidden, *outg = qg + rows * hd, *scores = outg + rows * hd;
    for (int i = 0; i < count && status == STEP_OK; i++)
        memcpy(h + (size_t)i * d, m->embed + (size_t)tokens[i] * d, (size_t)d * sizeof(float));
    for (int l = 0; l < m->layers && status == STEP_OK; l++) {
        const decode_layer *L = &layers[l];
        const qmatrix *prepared = NULL;
        for (int i = 0; i < count; i++)
            rms_norm(h + (size_t)i * d, L->in_norm, L->eps_in, d, xn + (size_t)i * d);
        if ((status = products(L->wq, qd, d, xn, count, in, &prepared, q)) ||
            (status = products(L->wk, kvd, d, xn, count, in, &prepared, k)) ||
            (status = products(L->wv, kvd, d, xn, count, in, &prepared, v)))
            break;
        const size_t cap = (size_t)capacity[l];
        for (int i = 0; i < count; i++) {
            float *qi = q + (size_t)i * qd, *ki = k + (size_t)i * kvd, *vi = v + (size_t)i * kvd;
            rope(qi, m->heads, hd, pos + i, m);
            rope(ki, m->kv_heads, hd, pos + i, m);
            for (int j = 0; j < qd; j++)
                qi[j] *= m->attn_scale;
            for (int kh = 0; kh < m->kv_heads; kh++) {
                memcpy(k_cache[l] + ((size_t)kh * cap + pos + i) * hd, ki + kh * hd, (size_t)hd * sizeof(float));
                memcpy(v_cache[l] + ((size_t)kh * cap + pos + i) * hd, vi + kh * hd, (size_t)hd * sizeof(float));
            }
        }
        /* Each key head with its group of query heads, rows (query head j, token i): scores,
         * causal softmax (token i sees positions 0..pos+i), values; through the front end's
         * products (qgemv.c: small ones on this thread, larger ones OpenBLAS) and softmax.c. */
        for (int kh = 0; kh < m->kv_heads; kh++) {
            const float *keys = k_cache[l] + (size_t)kh * cap * hd, *values = v_cache[l] + (size_t)kh * cap * hd;
            for (int j = 0; j < group; j++)
                for (int i = 0; i < count; i++)
                    memcpy(qg + ((size_t)j * n + i) * hd, q + (size_t)i * qd + ((size_t)kh * group + j) * hd,
                           (size_t)hd * sizeof(float));
            adv_sgemm(ROW_MAJOR, NO_TRANS, TRANS, (int)rows, seen, hd, 1.0f, qg, hd, keys, hd, 0.0f, scores, seen);
            adv_causal_softmax(scores, scores, (int)rows, count, seen, pos);
            adv_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, (int)rows, hd, seen, 1.0f, scores, seen, values, hd, 0.0f, outg, hd);
            for (int j = 0; j < group; j++)
                for (int i = 0; i < count; i++)
                    memcpy(attn + (size_t)i * qd + ((size_t)kh * group + j) * hd, outg + ((size_t)j * n + i) * hd,
                           (size_t)hd * sizeof(float));
        }
        prepared = NULL;
        if ((status = products(L->wo, d, qd, attn, count, in, &prepared, tmp)))
            break;
        for (size_t i = 0; i < n * d; i++)
            h[i] += tmp[i];
        for (int i = 0; i < count; i++)
            rms_norm(h + (size_t)i * d, L->post_norm, L->eps_post, d, xn + (size_t)i * d);
        prepared = NULL;
        if ((status = products(L->wg, m->hidden, d, xn, count, in, &prepared, gate)) ||
            (status = products(L->wu, m->hidden, d, xn, count, in, &prepared, up)))
            break;
        adv_silu_mul(gate, up, (long)n * m->hidden);
        prepared = NULL;
        if ((status = products(L->wd, d, m->hidden, gate, count, in, &prepared, tmp)))
            break;
        for (size_t i = 0; i < n * d; i++)
            h[i] += tmp[i];
    }
    if (status == STEP_OK) {
        const qmatrix *prepared = NULL;
        rms_norm(h + (n - 1) * d, m->final_norm, m->final_eps, d, xn);
        status = product(m->head, m->vocab, d, xn, in, &prepared, logits);
    }
    rowshare_quiesce(); /* a helper parked in a chunk may still read x from these buffers */
    free(scratch);
    free(in);
    return status;
}

/* One token at position pos: its logits, its key and value written at pos. */
int adv_decode_step(const decode_model *m, const decode_layer *layers, int token, int pos,
                    float *const *k_cache, float *const *v_cache, const int *capacity, float *logits) {
    return forward(m, layers, &token, 1, pos, k_cache, v_cache, capacity, logits);
}

/* `count` tokens at positions pos.. (a turn's suffix): the last one's logits, every key and
 * value written. */
int adv_prompt_step(const decode_model *m, const decode_layer *layers, const int *tokens, int count, int pos,
                    float *const *k_cache, float *const *v_cache, const int *capacity, float *logits) {
    return forward(m, layers, tokens, count, pos, k_cache, v_cache, capacity, logits);
}
