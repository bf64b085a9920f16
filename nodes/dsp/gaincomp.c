/* gaincomp.c - the limiter's gain computer (see gaincomp.h; the release design is limiter.c's). */
#include "gaincomp.h"

#include "limiter.h"

#include <math.h>

int lathe_gaincomp_init(lathe_gaincomp *g, uint32_t win, uint32_t bridge, uint32_t len,
                        const lathe_dsp_alloc *a)
{
    g->len = len;
    g->bridge_full = pow(10.0, -LATHE_LIMITER_BRIDGE_FULL_DB / 20.0);
    g->bridge_none = pow(10.0, -LATHE_LIMITER_BRIDGE_NONE_DB / 20.0);
    g->box = lathe_dsp_calloc(a, len, sizeof *g->box);
    g->inv_len = 1.0 / len;
    int rc = lathe_slidemin_init(&g->held, win, a);
    if (rc == 0 && bridge)
        rc = lathe_slidemin_init(&g->bridged, win + bridge, a);
    return g->box && rc == 0 ? 0 : -1;
}

void lathe_gaincomp_fini(lathe_gaincomp *g, const lathe_dsp_alloc *a)
{
    lathe_slidemin_fini(&g->held, a);
    lathe_slidemin_fini(&g->bridged, a);
    lathe_dsp_free(a, g->box);
}

void lathe_gaincomp_reset(lathe_gaincomp *g)
{
    lathe_slidemin_reset(&g->held);
    if (g->bridged.win)
        lathe_slidemin_reset(&g->bridged);
    for (uint32_t i = 0; i < g->len; i++)
        g->box[i] = 1.0;
    g->box_sum = g->len;
    g->box_pos = 0;
    g->fresh = 0.0;
    g->ones = g->len;
    g->env = g->slow = 1.0;
}

/* Unity is landed on exactly, so the pass-through is bit-exact again after a release. */
static inline double snap_unity(double e)
{
    return e > 1.0 - 1e-12 ? 1.0 : e;
}

/* [rt] Required gains in, smoothed gains out (n frames), frame by frame. The state lives in
 * locals for the loop: in the struct, every store to out[] (a double, as the state is) made
 * the compiler store and reload the envelopes, the box sum and the windows' minima at each
 * frame, on the loop's dependency chains. The arithmetic and its order are the same.
 * `released` (a constant where it is inlined): every requirement is 1 and the held windows hold
 * nothing else (slidemin.h), so each held minimum, bridged or not, is exactly 1 (the bridge's
 * share of 1 - 1 adds 0) and the windows need no pushes; only the envelopes and the box move. A
 * safety stage spends most of a hard-limited song there, releasing from rare overs. */
static inline __attribute__((always_inline)) void
gaincomp_loop(lathe_gaincomp *g, const lathe_release *r, const double *req,
              const double *req_bridge, double *out, uint32_t n, const int released)
{
    lathe_slidemin held = g->held, bridged = g->bridged;
    double env = g->env, slow = g->slow, box_sum = g->box_sum, fresh = g->fresh;
    uint32_t box_pos = g->box_pos;
    uint64_t ones = g->ones;
    double *const box = g->box;
    const uint32_t len = g->len;
    for (uint32_t i = 0; i < n; i++) {
        double h = 1.0;
        if (!released)
            h = lathe_slidemin_push(&held, req[i]);
        if (!released && bridged.win) { /* the bridged minimum, its share by the depth */
            double b = lathe_slidemin_push(&bridged, req_bridge[i]);
            b = b < h ? b : h;
            double w = (b - g->bridge_none) / (g->bridge_full - g->bridge_none);
            h += (b - h) * (w >= 1.0 ? 1.0 : w <= 0.0 ? 0.0 : w);
        }
        double e = snap_unity(env + (1.0 - env) * (r->two_stage ? r->a_fast : r->a_rel));
        env = e < h ? e : h;
        double gain = env;
        if (r->two_stage) {
            double a = env < slow ? r->a_slow_att : r->a_rel;
            slow = snap_unity(slow + (env - slow) * a);
            gain = slow < gain ? slow : gain;
        }
        ones = gain < 1.0 ? 0 : ones + 1;
        box_sum += gain - box[box_pos];
        box[box_pos] = gain;
        /* every len frames the sum is taken afresh: no drift on long programmes. The box is
         * written in index order from 0, so the sum of box[0 .. len - 1] in that order is the
         * running one (a second chain beside the loop's, where a loop over the box at the
         * wrap was a serial chain of len additions) */
        fresh += gain;
        if (++box_pos == len) {
            box_pos = 0;
            box_sum = fresh;
            fresh = 0.0;
        }
        double o = box_sum * g->inv_len;
        out[i] = o < 1.0 ? o : 1.0;
    }
    g->held = held;
    g->bridged = bridged;
    g->env = env;
    g->slow = slow;
    g->box_sum = box_sum;
    g->box_pos = box_pos;
    g->fresh = fresh;
    g->ones = ones;
}

/* [rt] gaincomp_step on n unity requirements when the computer idles at unity (envelope and
 * every held value 1, the box all ones and its sum exactly len): each frame would keep the held
 * minima at 1 (the windows keep no time: slidemin.h), the envelope and the box sum, and add
 * ones to the fresh sum (len again at the wrap), so only the box's position moves and the
 * output is constant (len / len may round below 1). */
static void gaincomp_idle(lathe_gaincomp *g, const lathe_release *r, double *out,
                          uint32_t n)
{
    double o = g->box_sum * g->inv_len;
    for (uint32_t i = 0; i < n; i++)
        out[i] = o < 1.0 ? o : 1.0;
    (void)r; /* both envelopes rest at unity; the held windows need no ones (slidemin.h) */
    g->box_pos = (uint32_t)((g->box_pos + (uint64_t)n) % g->len);
    g->fresh = g->box_pos; /* a sum of that many ones, exact */
    g->ones += n;
}

static void gaincomp_step(lathe_gaincomp *g, const lathe_release *r, const double *req,
                          const double *req_bridge, double *out, uint32_t n)
{
    gaincomp_loop(g, r, req, req_bridge, out, n, 0);
}

static void gaincomp_released(lathe_gaincomp *g, const lathe_release *r, double *out, uint32_t n)
{
    gaincomp_loop(g, r, NULL, NULL, out, n, 1);
}

/* [rt] Required gains in, smoothed gains out (n frames; req and out may be the same). */
void lathe_gaincomp_run(lathe_gaincomp *g, const lathe_release *r, const double *req,
                        const double *req_bridge, double *out, uint32_t n)
{
    if (!req_bridge)
        req_bridge = req;
    int held_unity = lathe_slidemin_at_unity(&g->held) &&
                     (!g->bridged.win || lathe_slidemin_at_unity(&g->bridged));
    int ones_in = held_unity && lathe_gains_unity(req, n) &&
                  (req_bridge == req || lathe_gains_unity(req_bridge, n));
    if (ones_in && g->env == 1.0 && g->slow == 1.0 && g->ones >= g->len &&
        g->box_sum == (double)g->len)
        gaincomp_idle(g, r, out, n);
    else if (ones_in)
        gaincomp_released(g, r, out, n);
    else
        gaincomp_step(g, r, req, req_bridge, out, n);
}
