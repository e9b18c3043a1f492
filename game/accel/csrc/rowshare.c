/*
 * A helper thread that takes chunks of a product's output rows while the thread running a
 * decode-step kernel (decode_step.c) works through the same product.
 *
 * Why: the products are two thirds of a kernel decode step, and the step leaves the machine's other
 * core mostly idle (no MLX graph to dispatch any more). Two threads also draw about twice the
 * memory bandwidth of one: the 35 MB vocabulary projection took 3.0 ms alone and 1.6 ms shared.
 *
 * How the caller never waits on a helper that the scheduler has parked, and the helper never
 * touches a product that is not live:
 *  - the description is published under a sequence number (odd while it is being written, as
 *    a seqlock): the helper works only from a copy it read whole between two equal, even
 *    readings, and claims only chunks of that very product;
 *  - chunks are claimed from one counter tagged with the product's number, so a helper
 *    holding a finished product's description can never claim anything of a later one;
 *  - every chunk is computed into a private buffer and committed with a compare-and-swap on
 *    its state (open -> writing -> done); once the counter runs out, the caller computes any
 *    chunk still open itself (the helper's copy then loses the swap and is dropped), and only
 *    waits for a chunk in the few nanoseconds of its write;
 *  - the helper spins briefly between products (within a step they come microseconds apart)
 *    and then sleeps on a futex, so it takes no core between steps.
 * Each row is still one thread's dot product, so the results are the same numbers as alone.
 */
#define _GNU_SOURCE
#include "rowshare.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

enum { MAX_CHUNKS = 256, MAX_CHUNK_ROWS = 1024, COUNTER_BITS = 16 };
enum { OPEN = 0, WRITING = 1, DONE = 2 }; /* a chunk's state is 3 * product number + one of these */
/* Products with fewer weight bytes than this stay on the caller (waking the helper costs more);
 * chunks hold about CHUNK_BYTES of weights. */
enum { MIN_SHARED_BYTES = 32768, CHUNK_BYTES = 16384 };

typedef struct {
    qmatrix m;
    const qinput *in;
    float *y;
    int rows_per_chunk, chunks;
} product;

static product current;                                /* written by the caller before publishing */
static uint64_t sequence;                              /* the product's number (even), odd while writing */
static uint64_t counter __attribute__((aligned(64)));  /* product number << 16 | next chunk */
static uint64_t states[MAX_CHUNKS] __attribute__((aligned(64)));
static int caller_busy;                                /* one caller at a time uses the helper */
static int helper_running, helper_holds, helper_sleeping, wake_word, stop_requested;
static long spin_ns;
static long helper_chunks, caller_chunks;
static pthread_t helper;

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

/* The next chunk of product g, or -1 when it has none left (or is no longer current). */
static int claim(uint64_t g, int chunks) {
    uint64_t seen = __atomic_load_n(&counter, __ATOMIC_ACQUIRE);
    for (;;) {
        if (seen >> COUNTER_BITS != g || (int)(seen & ((1u << COUNTER_BITS) - 1)) >= chunks)
            return -1;
        if (__atomic_compare_exchange_n(&counter, &seen, seen + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return (int)(seen & ((1u << COUNTER_BITS) - 1));
    }
}

/* Compute chunk c of product p (number g) and write it unless someone else already did. */
static int compute_and_commit(const product *p, uint64_t g, int c) {
    float out[MAX_CHUNK_ROWS];
    const int first = c * p->rows_per_chunk;
    const int last = first + p->rows_per_chunk < p->m.n ? first + p->rows_per_chunk : p->m.n;
    qrows_unscaled(&p->m, p->in, first, last, out);
    uint64_t expected = 3 * g + OPEN;
    if (!__atomic_compare_exchange_n(&states[c], &expected, 3 * g + WRITING, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return 0;
    memcpy(p->y + first, out, (size_t)(last - first) * sizeof(float));
    __atomic_store_n(&states[c], 3 * g + DONE, __ATOMIC_RELEASE);
    return 1;
}

static void futex(int *word, int op, int value) {
    syscall(SYS_futex, word, op, value, NULL, NULL, 0);
}

static void *helper_main(void *unused) {
    (void)unused;
    uint64_t last = __atomic_load_n(&sequence, __ATOMIC_ACQUIRE);
    long idle_since = now_ns();
    while (!__atomic_load_n(&stop_requested, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&helper_holds, 1, __ATOMIC_SEQ_CST);
        const uint64_t g = __atomic_load_n(&sequence, __ATOMIC_ACQUIRE);
        if (g != last && !(g & 1)) {
            /* A copy of the description, kept only if the sequence did not move while it was
             * read (then it is product g's, whole); chunks are claimed only while g is live. */
            product p;
            memcpy(&p, &current, sizeof p);
            __atomic_thread_fence(__ATOMIC_ACQUIRE);
            long done = 0;
            if (__atomic_load_n(&sequence, __ATOMIC_RELAXED) == g) {
                int c;
                while ((c = claim(g, p.chunks)) >= 0)
                    done += compute_and_commit(&p, g, c);
            }
            __atomic_add_fetch(&helper_chunks, done, __ATOMIC_RELAXED);
            last = g;
            __atomic_store_n(&helper_holds, 0, __ATOMIC_RELEASE);
            idle_since = now_ns();
            continue;
        }
        __atomic_store_n(&helper_holds, 0, __ATOMIC_RELEASE);
        if (now_ns() - idle_since < spin_ns) {
            for (int i = 0; i < 64; i++)
                CPU_RELAX();
            continue;
        }
        const int word = __atomic_load_n(&wake_word, __ATOMIC_ACQUIRE);
        __atomic_store_n(&helper_sleeping, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&sequence, __ATOMIC_SEQ_CST) == last && !__atomic_load_n(&stop_requested, __ATOMIC_SEQ_CST))
            futex(&wake_word, FUTEX_WAIT_PRIVATE, word);
        __atomic_store_n(&helper_sleeping, 0, __ATOMIC_SEQ_CST);
        idle_since = now_ns();
    }
    return NULL;
}

static void wake_helper(void) {
    if (__atomic_load_n(&helper_sleeping, __ATOMIC_SEQ_CST)) {
        __atomic_add_fetch(&wake_word, 1, __ATOMIC_SEQ_CST);
        futex(&wake_word, FUTEX_WAKE_PRIVATE, 1);
    }
}

/* Shared with the helper; 0 when it cannot be (the caller then computes alone). */
static int shared_product(const qmatrix *m, const qinput *in, float *y) {
    if (!__atomic_load_n(&helper_running, __ATOMIC_ACQUIRE))
        return 0;
    const long row_bytes = (long)m->k * m->bits / 8 + (long)(m->k / QROWS_GROUP) * 8;
    if (row_bytes * m->n < MIN_SHARED_BYTES)
        return 0;
    long rows = CHUNK_BYTES / row_bytes;
    rows = rows < 8 ? 8 : rows;
    const long per_max = (m->n + MAX_CHUNKS - 1) / MAX_CHUNKS;
    rows = rows < per_max ? per_max : rows;
    rows += rows & 1; /* 4-bit rows go in pairs */
    const int chunks = (int)((m->n + rows - 1) / rows);
    if (rows > MAX_CHUNK_ROWS || chunks < 2)
        return 0;
    int free_ = 0;
    if (!__atomic_compare_exchange_n(&caller_busy, &free_, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return 0;
    const uint64_t g = __atomic_load_n(&sequence, __ATOMIC_RELAXED) + 2; /* even: this product's number */
    __atomic_store_n(&sequence, g - 1, __ATOMIC_RELAXED);               /* odd: being written */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    current = (product){*m, in, y, (int)rows, chunks};
    for (int c = 0; c < chunks; c++)
        __atomic_store_n(&states[c], 3 * g + OPEN, __ATOMIC_RELAXED);
    __atomic_store_n(&counter, g << COUNTER_BITS, __ATOMIC_RELEASE);
    __atomic_store_n(&sequence, g, __ATOMIC_SEQ_CST);
    wake_helper();
    int c;
    long done = 0;
    while ((c = claim(g, chunks)) >= 0)
        done += compute_and_commit(&current, g, c);
    /* Chunks the helper claimed: finish the ones it has not written (it may be parked). */
    for (c = chunks - 1; c >= 0; c--) {
        if (__atomic_load_n(&states[c], __ATOMIC_ACQUIRE) == 3 * g + OPEN)
            done += compute_and_commit(&current, g, c);
        while (__atomic_load_n(&states[c], __ATOMIC_ACQUIRE) != 3 * g + DONE)
            CPU_RELAX();
    }
    __atomic_add_fetch(&caller_chunks, done, __ATOMIC_RELAXED);
    __atomic_store_n(&caller_busy, 0, __ATOMIC_RELEASE);
    return 1;
}

void rowshare_product(const qmatrix *m, const qinput *in, float *y) {
    if (!shared_product(m, in, y))
        qrows_unscaled(m, in, 0, m->n, y);
}

void rowshare_quiesce(void) {
    while (__atomic_load_n(&helper_holds, __ATOMIC_SEQ_CST))
        sched_yield();
}

/* Start the helper (idempotent); spin_us: how long it waits for the next product before
 * sleeping. 0 on success. */
int adv_rowshare_start(int spin_us) {
    spin_ns = (long)(spin_us < 0 ? 0 : spin_us) * 1000L;
    if (__atomic_load_n(&helper_running, __ATOMIC_ACQUIRE))
        return 0;
    __atomic_store_n(&stop_requested, 0, __ATOMIC_RELEASE);
    if (pthread_create(&helper, NULL, helper_main, NULL) != 0)
        return -1;
    __atomic_store_n(&helper_running, 1, __ATOMIC_RELEASE);
    return 0;
}

/* Stop and join the helper; products go back to the caller alone. */
void adv_rowshare_stop(void) {
    if (!__atomic_load_n(&helper_running, __ATOMIC_ACQUIRE))
        return;
    int free_ = 0;
    while (!__atomic_compare_exchange_n(&caller_busy, &free_, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        free_ = 0;
        sched_yield();
    }
    __atomic_store_n(&helper_running, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&stop_requested, 1, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&wake_word, 1, __ATOMIC_SEQ_CST);
    futex(&wake_word, FUTEX_WAKE_PRIVATE, 1);
    pthread_join(helper, NULL);
    __atomic_store_n(&caller_busy, 0, __ATOMIC_RELEASE);
}

/* Chunks computed and written by the helper and by callers since the start. */
long adv_rowshare_helper_chunks(void) { return __atomic_load_n(&helper_chunks, __ATOMIC_RELAXED); }
long adv_rowshare_caller_chunks(void) { return __atomic_load_n(&caller_chunks, __ATOMIC_RELAXED); }
