/*
 * The MLP's gate for a prompt: gate[i] = silu(gate[i]) * up[i], in place.
 *
 * Why: MLX's CPU sigmoid runs one scalar exp per element; for a turn's 58-token suffix that
 * is 89K elements per layer, ~1.1 ms, 35 ms of the forward pass over 30 layers (and half a
 * second of a 900-token cold prompt). Eight at a time with AVX2 it is a few microseconds.
 */
#include <math.h>
#include <stddef.h>
#include "entry.h"
#include "simd.h"

void adv_silu_mul(float *gate, const float *up, long n) {
    long i = 0;
#if defined(__AVX2__) && defined(__FMA__)
    const __m256 one = _mm256_set1_ps(1.0f);
    const __m256 sign = _mm256_set1_ps(-0.0f);
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_loadu_ps(gate + i);
        /* sigmoid(x) from e = exp(-|x|) <= 1, which cannot overflow: 1/(1+e) for x >= 0,
         * e/(1+e) for x < 0 */
        const __m256 e = exp_nonpositive(_mm256_or_ps(x, sign));
        const __m256 r = _mm256_div_ps(one, _mm256_add_ps(one, e));
        const __m256 s = _mm256_blendv_ps(r, _mm256_mul_ps(e, r), x);
        _mm256_storeu_ps(gate + i, _mm256_mul_ps(_mm256_mul_ps(x, s), _mm256_loadu_ps(up + i)));
    }
#endif
    for (; i < n; i++) {
        const float x = gate[i];
        gate[i] = x / (1.0f + expf(-x)) * up[i];
    }
}
