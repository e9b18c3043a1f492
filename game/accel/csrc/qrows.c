/*
 * Quantized matrix rows times one vector, as fast as one core allows.
 *
 * 4-bit rows (all of SmolLM2's layers) go two at a time: x is held as int16 per group (scale
 * max|x| / 32767, within 2e-5 of float; 8-bit activations as llama.cpp uses measured 0.996
 * logit correlation with the float32 model and changed greedy tokens), arranged so that the
 * nibbles of two adjacent groups, widened with one unpack each, meet their x in madd_epi16,
 * and each x load serves both rows. Eight groups' integer sums are reduced together (three
 * horizontal adds) and scaled with one multiply-add. Measured on this machine's Zen 3 against
 * the one-row kernel it replaced: 35-40% less time per product (docs/accelerator.md).
 *
 * 8-bit rows (the vocabulary projection) keep float x: that product streams 35 MB from memory
 * and the integer form was no faster there.
 *
 * Without AVX2 the same results come from plain C on float x.
 */
#include "qrows.h"

#include <stddef.h>
#include "simd.h"

enum { GROUP = QROWS_GROUP };

/* Per group: its sum (for the biases) and its int16 scale. */
static void group_stats(const float *x, int k, float *xd, float *xsum, float *inv) {
    for (int g = 0; g < k / GROUP; g++) {
        const float *src = x + g * GROUP;
        float amax = 0.0f, s = 0.0f;
        for (int i = 0; i < GROUP; i++) {
            const float a = src[i] < 0.0f ? -src[i] : src[i];
            amax = a > amax ? a : amax;
            s += src[i];
        }
        xsum[g] = s;
        xd[g] = amax / 32767.0f;
        inv[g] = amax > 0.0f ? 32767.0f / amax : 0.0f;
    }
}

#if defined(__AVX2__) && defined(__FMA__)
#define HAVE_AVX2_ROWS 1

/* 16 floats as int16 scaled by inv, rounded to nearest: [a (8) | b (8)] -> 16 int16 in order. */
static inline __m256i to_int16(__m256 a, __m256 b, __m256 inv) {
    const __m256i packed = _mm256_packs_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(a, inv)),
                                              _mm256_cvtps_epi32(_mm256_mul_ps(b, inv)));
    return _mm256_permute4x64_epi64(packed, 0xD8);
}

/* 16 int16 in order -> [evens (8) | odds (8)]. */
static inline __m256i evens_then_odds(__m256i v) {
    const __m256i within = _mm256_shuffle_epi8(
        v, _mm256_setr_epi8(0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15,
                            0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15));
    return _mm256_permute4x64_epi64(within, 0xD8);
}

/* One 4-bit group's x as int16 with its evens and odds apart: e[0..7] = elements 0, 2 .. 14,
 * e[8..15] = 16 .. 30, o[0..7] = 1 .. 15, o[8..15] = 17 .. 31. */
static inline void split_group(const float *src, float inv, __m256i *e, __m256i *o) {
    const __m256 scale = _mm256_set1_ps(inv);
    const __m256i first = evens_then_odds(to_int16(_mm256_loadu_ps(src), _mm256_loadu_ps(src + 8), scale));
    const __m256i second = evens_then_odds(to_int16(_mm256_loadu_ps(src + 16), _mm256_loadu_ps(src + 24), scale));
    *e = _mm256_permute2x128_si256(first, second, 0x20);
    *o = _mm256_permute2x128_si256(first, second, 0x31);
}

/* x for the 4-bit kernel. Groups go in pairs (a, b), 64 int16 per pair:
 *   a 0,2..14 | b 0,2..14 | a 16..30 | b 16..30 | a 1..15 | b 1..15 | a 17..31 | b 17..31
 * (what unpacking the low and high nibbles of the pair's 32 bytes lines up against); a last
 * unpaired group:  0,2..14 | 16..30 | 1..15 | 17..31. */
static void arrange4(const float *x, int k, qinput *in) {
    float inv[QROWS_MAX_K / GROUP];
    const int groups = k / GROUP;
    group_stats(x, k, in->xd, in->xsum, inv);
    int g = 0;
    for (; g + 2 <= groups; g += 2) {
        __m256i ea, oa, eb, ob;
        split_group(x + g * GROUP, inv[g], &ea, &oa);
        split_group(x + (g + 1) * GROUP, inv[g + 1], &eb, &ob);
        __m256i *dst = (__m256i *)(in->xq + g * GROUP);
        _mm256_store_si256(dst, _mm256_permute2x128_si256(ea, eb, 0x20));
        _mm256_store_si256(dst + 1, _mm256_permute2x128_si256(ea, eb, 0x31));
        _mm256_store_si256(dst + 2, _mm256_permute2x128_si256(oa, ob, 0x20));
        _mm256_store_si256(dst + 3, _mm256_permute2x128_si256(oa, ob, 0x31));
    }
    if (g < groups) {
        __m256i e, o;
        split_group(x + g * GROUP, inv[g], &e, &o);
        __m256i *dst = (__m256i *)(in->xq + g * GROUP);
        _mm256_store_si256(dst, e);
        _mm256_store_si256(dst + 1, o);
    }
}

static inline __m256i widen_lo(__m256i v) { return _mm256_unpacklo_epi8(v, _mm256_setzero_si256()); }
static inline __m256i widen_hi(__m256i v) { return _mm256_unpackhi_epi8(v, _mm256_setzero_si256()); }

/* Integer partial sums of two adjacent groups (32 bytes) for two rows: lanes 0-3 group a,
 * lanes 4-7 group b. */
static inline void pair_sums(const uint8_t *q0, const uint8_t *q1, const int16_t *x, __m256i *u0, __m256i *u1) {
    const __m256i low = _mm256_set1_epi8(0x0F);
    const __m256i v0 = _mm256_loadu_si256((const __m256i *)q0), v1 = _mm256_loadu_si256((const __m256i *)q1);
    const __m256i l0 = _mm256_and_si256(v0, low), h0 = _mm256_and_si256(_mm256_srli_epi16(v0, 4), low);
    const __m256i l1 = _mm256_and_si256(v1, low), h1 = _mm256_and_si256(_mm256_srli_epi16(v1, 4), low);
    __m256i xv = _mm256_load_si256((const __m256i *)x);
    __m256i a0 = _mm256_madd_epi16(widen_lo(l0), xv), a1 = _mm256_madd_epi16(widen_lo(l1), xv);
    xv = _mm256_load_si256((const __m256i *)(x + 16));
    a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(widen_hi(l0), xv));
    a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(widen_hi(l1), xv));
    xv = _mm256_load_si256((const __m256i *)(x + 32));
    a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(widen_lo(h0), xv));
    a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(widen_lo(h1), xv));
    xv = _mm256_load_si256((const __m256i *)(x + 48));
    *u0 = _mm256_add_epi32(a0, _mm256_madd_epi16(widen_hi(h0), xv));
    *u1 = _mm256_add_epi32(a1, _mm256_madd_epi16(widen_hi(h1), xv));
}

/* The same for a last unpaired group (16 bytes), one row. */
static inline __m128i lone_sums(const uint8_t *q, const int16_t *x) {
    const __m128i low = _mm_set1_epi8(0x0F), zero = _mm_setzero_si128();
    const __m128i v = _mm_loadu_si128((const __m128i *)q);
    const __m128i lo = _mm_and_si128(v, low), hi = _mm_and_si128(_mm_srli_epi16(v, 4), low);
    const __m128i a = _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(lo, zero), _mm_load_si128((const __m128i *)x)),
                                    _mm_madd_epi16(_mm_unpackhi_epi8(lo, zero), _mm_load_si128((const __m128i *)(x + 8))));
    const __m128i b = _mm_add_epi32(_mm_madd_epi16(_mm_unpacklo_epi8(hi, zero), _mm_load_si128((const __m128i *)(x + 16))),
                                    _mm_madd_epi16(_mm_unpackhi_epi8(hi, zero), _mm_load_si128((const __m128i *)(x + 24))));
    return _mm_add_epi32(a, b);
}

/* Two rows of a 4-bit matrix: out[0], out[1]. Row pointers: codes, scales, biases. */
static void dot4_two_rows(const uint8_t *q0, const uint8_t *q1, const float *sc0, const float *sc1,
                          const float *bi0, const float *bi1, const qinput *in, int groups, float *out) {
    const int16_t *xq = in->xq;
    const float *xd = in->xd, *xsum = in->xsum;
    /* After the horizontal adds the eight groups sit as [0 2 4 6 | 1 3 5 7]. */
    const __m256i natural = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    int g = 0;
    for (; g + 8 <= groups; g += 8) {
        const uint8_t *a = q0 + g * 16, *b = q1 + g * 16;
        const int16_t *xg = xq + g * GROUP;
        __m256i p0, p1, s0, s1;
        pair_sums(a, b, xg, &p0, &p1);
        pair_sums(a + 32, b + 32, xg + 64, &s0, &s1);
        const __m256i t0 = _mm256_hadd_epi32(p0, s0), t1 = _mm256_hadd_epi32(p1, s1);
        pair_sums(a + 64, b + 64, xg + 128, &p0, &p1);
        pair_sums(a + 96, b + 96, xg + 192, &s0, &s1);
        const __m256 sum0 = _mm256_permutevar8x32_ps(_mm256_cvtepi32_ps(_mm256_hadd_epi32(t0, _mm256_hadd_epi32(p0, s0))), natural);
        const __m256 sum1 = _mm256_permutevar8x32_ps(_mm256_cvtepi32_ps(_mm256_hadd_epi32(t1, _mm256_hadd_epi32(p1, s1))), natural);
        const __m256 xdg = _mm256_loadu_ps(xd + g), xsg = _mm256_loadu_ps(xsum + g);
        acc0 = _mm256_fmadd_ps(sum0, _mm256_mul_ps(_mm256_loadu_ps(sc0 + g), xdg), acc0);
        acc1 = _mm256_fmadd_ps(sum1, _mm256_mul_ps(_mm256_loadu_ps(sc1 + g), xdg), acc1);
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(bi0 + g), xsg, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(bi1 + g), xsg, acc1);
    }
    /* Fewer than eight groups left: each lane of a pair's sums scaled by its own group's scale. */
    float tail0 = 0.0f, tail1 = 0.0f;
    for (; g + 2 <= groups; g += 2) {
        __m256i p0, p1;
        pair_sums(q0 + g * 16, q1 + g * 16, xq + g * GROUP, &p0, &p1);
        const __m256 s0 = _mm256_setr_m128(_mm_set1_ps(sc0[g] * xd[g]), _mm_set1_ps(sc0[g + 1] * xd[g + 1]));
        const __m256 s1 = _mm256_setr_m128(_mm_set1_ps(sc1[g] * xd[g]), _mm_set1_ps(sc1[g + 1] * xd[g + 1]));
        acc0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p0), s0, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p1), s1, acc1);
        tail0 += bi0[g] * xsum[g] + bi0[g + 1] * xsum[g + 1];
        tail1 += bi1[g] * xsum[g] + bi1[g + 1] * xsum[g + 1];
    }
    if (g < groups) {
        const __m128 f0 = _mm_cvtepi32_ps(lone_sums(q0 + g * 16, xq + g * GROUP));
        const __m128 f1 = _mm_cvtepi32_ps(lone_sums(q1 + g * 16, xq + g * GROUP));
        acc0 = _mm256_fmadd_ps(_mm256_zextps128_ps256(f0), _mm256_set1_ps(sc0[g] * xd[g]), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_zextps128_ps256(f1), _mm256_set1_ps(sc1[g] * xd[g]), acc1);
        tail0 += bi0[g] * xsum[g];
        tail1 += bi1[g] * xsum[g];
    }
    out[0] = hsum(acc0) + tail0;
    out[1] = hsum(acc1) + tail1;
}

static inline __m256 u8x8_to_ps(__m128i bytes) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
}

static float dot8(const uint8_t *q, const float *sc, const float *bi, const float *x, const float *xsum, int groups) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    float offset = 0.0f;
    for (int g = 0; g < groups; g++) {
        const uint8_t *qg = q + g * GROUP;
        const float *xg = x + g * GROUP;
        __m256 d0 = _mm256_mul_ps(u8x8_to_ps(_mm_loadl_epi64((const __m128i *)qg)), _mm256_loadu_ps(xg));
        __m256 d1 = _mm256_mul_ps(u8x8_to_ps(_mm_loadl_epi64((const __m128i *)(qg + 8))), _mm256_loadu_ps(xg + 8));
        d0 = _mm256_fmadd_ps(u8x8_to_ps(_mm_loadl_epi64((const __m128i *)(qg + 16))), _mm256_loadu_ps(xg + 16), d0);
        d1 = _mm256_fmadd_ps(u8x8_to_ps(_mm_loadl_epi64((const __m128i *)(qg + 24))), _mm256_loadu_ps(xg + 24), d1);
        const __m256 scale = _mm256_broadcast_ss(sc + g);
        acc0 = _mm256_fmadd_ps(d0, scale, acc0);
        acc1 = _mm256_fmadd_ps(d1, scale, acc1);
        offset += bi[g] * xsum[g];
    }
    return hsum(_mm256_add_ps(acc0, acc1)) + offset;
}
#else
/* Plain C: x with each group's evens first, then its odds (the nibbles' order). */
static void deinterleave(const float *x, int k, float *xp) {
    for (int g = 0; g < k / GROUP; g++)
        for (int i = 0; i < GROUP / 2; i++) {
            xp[g * GROUP + i] = x[g * GROUP + 2 * i];
            xp[g * GROUP + GROUP / 2 + i] = x[g * GROUP + 2 * i + 1];
        }
}

static float dot4(const uint8_t *q, const float *sc, const float *bi, const float *xp, const float *xsum, int groups) {
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

static float dot8(const uint8_t *q, const float *sc, const float *bi, const float *x, const float *xsum, int groups) {
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

void qrows_prepare(const qmatrix *m, const float *x, qinput *in) {
    in->x = x;
#ifdef HAVE_AVX2_ROWS
    if (m->bits == 4) {
        arrange4(x, m->k, in);
        return;
    }
#else
    if (m->bits == 4) {
        deinterleave(x, m->k, in->xbuf);
        in->x = in->xbuf;
    }
#endif
    float inv[QROWS_MAX_K / GROUP];
    group_stats(x, m->k, in->xd, in->xsum, inv);
}

void qrows_unscaled(const qmatrix *m, const qinput *in, int first, int last, float *out) {
    const int groups = m->k / GROUP;
    const size_t row_bytes = (size_t)m->k * (size_t)m->bits / 8;
    const uint8_t *q = m->q;
    const float *sc = m->scales, *bi = m->biases;
#ifdef HAVE_AVX2_ROWS
    if (m->bits == 4) {
        int r = first;
        for (; r + 2 <= last; r += 2)
            dot4_two_rows(q + r * row_bytes, q + (r + 1) * row_bytes, sc + (size_t)r * groups,
                          sc + (size_t)(r + 1) * groups, bi + (size_t)r * groups, bi + (size_t)(r + 1) * groups,
                          in, groups, out + (r - first));
        if (r < last) { /* an odd last row: the same row twice */
            float pair[2];
            dot4_two_rows(q + r * row_bytes, q + r * row_bytes, sc + (size_t)r * groups, sc + (size_t)r * groups,
                          bi + (size_t)r * groups, bi + (size_t)r * groups, in, groups, pair);
            out[r - first] = pair[0];
        }
        return;
    }
#endif
    for (int r = first; r < last; r++) {
        const uint8_t *qr = q + r * row_bytes;
        const float *s = sc + (size_t)r * groups, *b = bi + (size_t)r * groups;
#ifndef HAVE_AVX2_ROWS
        if (m->bits == 4) {
            out[r - first] = dot4(qr, s, b, in->x, in->xsum, groups);
            continue;
        }
#endif
        out[r - first] = dot8(qr, s, b, in->x, in->xsum, groups);
    }
}
