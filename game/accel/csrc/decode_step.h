/*
 * The model and layer descriptions that decode_step.c reads and decode_step.py fills in
 * through ctypes mirrors (tests/accel/test_struct_layout.py checks that both agree on every
 * size and offset).
 */
#ifndef ADV_DECODE_STEP_H
#define ADV_DECODE_STEP_H

typedef struct {
    int layers, dims, hidden, heads, kv_heads, head_dim, vocab, traditional;
    float rope_scale, attn_scale, final_eps;
    const float *freqs;      /* head_dim / 2 rotary frequencies, as the MLX path computes them */
    const float *embed;      /* vocab x dims, float32 */
    const float *final_norm; /* dims */
    const float *head;       /* the vocabulary projection's float32 weight (its registered key) */
} decode_model;

typedef struct {
    const float *in_norm, *post_norm; /* dims each */
    const float *wq, *wk, *wv, *wo, *wg, *wu, *wd; /* float32 weights: keys of their twins */
    float eps_in, eps_post;
} decode_layer;

#endif
