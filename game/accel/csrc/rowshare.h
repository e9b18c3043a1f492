/*
 * A helper thread sharing the rows of one quantized matrix-vector product (rowshare.c).
 */
#ifndef ADV_ROWSHARE_H
#define ADV_ROWSHARE_H
#include "qrows.h"

/* y = m x, with the rows split between the calling thread and the helper when the helper is
 * running and the product is large enough to be worth it; otherwise on the caller alone. */
void rowshare_product(const qmatrix *m, const qinput *in, float *y);

/* Wait until the helper holds no product (before a weight it may read is freed). */
void rowshare_quiesce(void);
#endif
