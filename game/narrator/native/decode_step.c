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
 * The mathematics is mlx_lm.models.llama's (as fast_decode.py writes it): RMSNorm, q/k/v,
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
#include "qrows.h"
#include "rowshare.h"

void adv_causal_softmax(const float *scores, float *probs, int rows, int length, int keys, int offset);
void adv_silu_mul(float *gate, const float *up, long n);
void adv_sgemm(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
               const float *b, int ldb, float beta, float *c, int ldc);
enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };

typedef struct {
    int layers, dims, hidden, heads, kv_heads, head_dim, vocab, traditional;
    float rope_base, rope_scale, attn_scale, final_eps;
    const float *embed;      /* vocab x dims, float32 */
    const float *final_norm; /* dims */
    const float *head;       /* the vocabulary projection's float32 weight (its registered key) */
} decode_model;

typedef struct {
    const float *in_norm, *post_norm; /* dims each */
    const float *wq, *wk, *wv, *wo, *wg, *wu, *wd; /* float32 weights: keys of their twins */
    float eps_in, eps_post;
} decode_layer;

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
    const float log_base = logf(m->rope_base) / (float)half;
    const float position = (float)pos * m->rope_scale;
    for (int i = 0; i < half; i++) {
        const float theta = position * expf(-(float)i * log_base);
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

int adv_decode_step(const decode_model *m, const decode_layer *layers, int token, int pos,
                    float *const *k_cache, float *const *v_cache, const int *capacity, float *logits) {
    const int d = m->dims, hd = m->head_dim, qd = m->heads * hd, kvd = m->kv_heads * hd;
    const int group = m->kv_heads > 0 ? m->heads / m->kv_heads : 0;
    if (token < 0 || token >= m->vocab || pos < 0 || d > QROWS_MAX_K || qd > QROWS_MAX_K ||
        m->hidden > QROWS_MAX_K || group < 1 || group * m->kv_heads != m->heads || hd % 2)
        return STEP_BAD_SHAPE;
    for (int l = 0; l < m->layers; l++)
        if (pos >= capacity[l])
            return STEP_BAD_SHAPE;
    const size_t floats = (size_t)3 * d + 2 * (size_t)qd + 2 * (size_t)kvd + 2 * (size_t)m->hidden + (size_t)group * (pos + 1);
    float *scratch = malloc(floats * sizeof(float));
    qinput *in = aligned_alloc(32, sizeof(qinput)); /* its int16 x is stored with aligned stores */
    int status = scratch != NULL && in != NULL ? STEP_OK : STEP_NO_MEMORY;
    float *h = scratch, *xn = h + d, *tmp = xn + d, *q = tmp + d, *attn = q + qd, *k = attn + qd,
          *v = k + kvd, *gate = v + kvd, *up = gate + m->hidden, *scores = up + m->hidden;
    if (status == STEP_OK)
        memcpy(h, m->embed + (size_t)token * d, (size_t)d * sizeof(float));
    for (int l = 0; l < m->layers && status == STEP_OK; l++) {
        const decode_layer *L = &layers[l];
        const qmatrix *prepared = NULL;
        rms_norm(h, L->in_norm, L->eps_in, d, xn);
        if ((status = product(L->wq, qd, d, xn, in, &prepared, q)) ||
            (status = product(L->wk, kvd, d, xn, in, &prepared, k)) ||
            (status = product(L->wv, kvd, d, xn, in, &prepared, v)))
            break;
        rope(q, m->heads, hd, pos, m);
        rope(k, m->kv_heads, hd, pos, m);
        for (int i = 0; i < qd; i++)
            q[i] *= m->attn_scale;
        const size_t cap = (size_t)capacity[l];
        for (int kh = 0; kh < m->kv_heads; kh++) {
            memcpy(k_cache[l] + ((size_t)kh * cap + pos) * hd, k + kh * hd, (size_t)hd * sizeof(float));
            memcpy(v_cache[l] + ((size_t)kh * cap + pos) * hd, v + kh * hd, (size_t)hd * sizeof(float));
        }
        /* Each key head with its group of query heads: scores, softmax over positions 0..pos,
         * values; through the front end's small products (qgemv.c), as MLX's path ran them. */
        for (int kh = 0; kh < m->kv_heads; kh++) {
            const float *keys = k_cache[l] + (size_t)kh * cap * hd, *values = v_cache[l] + (size_t)kh * cap * hd;
            adv_sgemm(ROW_MAJOR, NO_TRANS, TRANS, group, pos + 1, hd, 1.0f, q + kh * group * hd, hd, keys, hd,
                      0.0f, scores, pos + 1);
            adv_causal_softmax(scores, scores, group, 1, pos + 1, pos);
            adv_sgemm(ROW_MAJOR, NO_TRANS, NO_TRANS, group, hd, pos + 1, 1.0f, scores, pos + 1, values, hd,
                      0.0f, attn + kh * group * hd, hd);
        }
        prepared = NULL;
        if ((status = product(L->wo, d, qd, attn, in, &prepared, tmp)))
            break;
        for (int i = 0; i < d; i++)
            h[i] += tmp[i];
        rms_norm(h, L->post_norm, L->eps_post, d, xn);
        prepared = NULL;
        if ((status = product(L->wg, m->hidden, d, xn, in, &prepared, gate)) ||
            (status = product(L->wu, m->hidden, d, xn, in, &prepared, up)))
            break;
        adv_silu_mul(gate, up, m->hidden);
        prepared = NULL;
        if ((status = product(L->wd, d, m->hidden, gate, in, &prepared, tmp)))
            break;
        for (int i = 0; i < d; i++)
            h[i] += tmp[i];
    }
    if (status == STEP_OK) {
        const qmatrix *prepared = NULL;
        rms_norm(h, m->final_norm, m->final_eps, d, xn);
        status = product(m->head, m->vocab, d, xn, in, &prepared, logits);
    }
    rowshare_quiesce(); /* a helper parked in a chunk may still read x from these buffers */
    free(scratch);
    free(in);
    return status;
}
