/* rng.h: counter-based deterministic random numbers (splitmix64 seeding + xoshiro256**).
 * A stream is keyed by (seed, stream id) so results never depend on thread scheduling. */
#ifndef SEGP_RNG_H
#define SEGP_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct {
    uint64_t s[4];
} rng_state;

static inline uint64_t rng_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline rng_state rng_seed(uint64_t seed, uint64_t stream) {
    uint64_t x = seed ^ (stream * 0xD1342543DE82EF95ull + 0x2545F4914F6CDD1Dull);
    rng_state r;
    for (int i = 0; i < 4; i++) r.s[i] = rng_splitmix64(&x);
    return r;
}

static inline uint64_t rng_next(rng_state *r) {
    uint64_t *s = r->s;
    uint64_t t = s[1] << 17, res = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return res;
}

/* uniform in [0, 1) with 24 bits */
static inline float rng_uniform(rng_state *r) { return (float)(rng_next(r) >> 40) * 0x1p-24f; }

/* standard normal (Box-Muller) */
static inline float rng_normal(rng_state *r) {
    double u1 = ((double)(rng_next(r) >> 11) + 1.0) * 0x1p-53;
    double u2 = (double)(rng_next(r) >> 11) * 0x1p-53;
    return (float)(sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2));
}

#endif
