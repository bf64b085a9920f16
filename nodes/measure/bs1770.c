/* bs1770.c - BS.1770 / EBU R128 loudness meter (see bs1770.h).
 *
 * The stream is cut into 100 ms hops of (rate + 5) / 10 frames (as libebur128) and each hop into
 * 20 sub-blocks. Per sub-block we keep the weighted K-filtered energy; windows are sums of
 * sub-blocks: momentary = last 80 (400 ms), short-term = last 600 (3 s). Max M and max S are
 * evaluated at every sub-block end (5 ms) from running sums that are recomputed exactly at every
 * hop, so rounding cannot drift. Gating blocks and short-term values are stored per hop and the
 * gated means are computed exactly in double. */
#include "bs1770.h"
#include "dsp/simd.h"
#include "lathe/lathe_node.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SUBS_PER_HOP 20
#define M_SUBS (4 * SUBS_PER_HOP)
#define S_SUBS (30 * SUBS_PER_HOP)
#define ABS_GATE_LUFS (-70.0)
#define LUFS_OFFSET (-0.691)
#define MAX_CH 64
#define NAN_D ((double)NAN)

typedef struct kstate {
    double x1, x2; /* stage-1 input history */
    double y1, y2; /* stage-1 output = stage-2 input history */
    double z1, z2; /* stage-2 output history */
} kstate;

struct lathe_bs1770 {
    uint32_t rate, channels, hop;
    double sb0, sb1, sb2, sa1, sa2; /* stage 1: high shelf */
    double ha1, ha2;                /* stage 2: RLB high-pass, b = 1, -2, 1 */
    double weight[MAX_CH];
    kstate ks[MAX_CH];
    double acc[MAX_CH];             /* per-channel sum of squares in the current sub-block */
    uint32_t sub_len[SUBS_PER_HOP];
    uint32_t sub_pos;               /* frames already in the current sub-block */
    uint32_t sub_idx;               /* current sub-block within its hop */
    double ring[S_SUBS];            /* energies (sums of G * y^2) of the last 600 sub-blocks */
    uint32_t ring_pos;
    uint64_t n_subs;
    double m_sum, s_sum;            /* running sums of the last 80 / 600 sub-blocks */
    double m_max, s_max;            /* mean-square maxima, -1 before the first sub-block */
    double *st;                     /* per hop: 3 s mean square (zeros before the start) */
    double *blk;                    /* per hop from the 4th: 400 ms mean square */
    double *sorted;                 /* LRA's gated, sorted copy of st: grown with it, so the
                                     * result needs no allocation (nor fails) at the end */
    size_t n_hops, cap;
    int oom;                        /* a hop was lost: the series could not grow */
    lathe_bs1770 *fold;             /* mono meter fed from the first two channels' K-weighting */
    double fold_acc;                /* sum of (zL + zR)^2 in the current sub-block */
};

static double lufs_of(double energy)
{
    return energy > 0.0 ? LUFS_OFFSET + 10.0 * log10(energy) : NAN_D;
}

static double energy_of(double lufs)
{
    return pow(10.0, (lufs - LUFS_OFFSET) / 10.0);
}

/* K-weighting coefficients per specs §5.1 (bilinear transform of the BS.1770 prototypes). */
static void design_kweight(lathe_bs1770 *m)
{
    const double pi = 3.14159265358979323846;
    double f0 = 1681.974450955533, g = 3.999843853973347, q = 0.7071752369554196;
    double k = tan(pi * f0 / (double)m->rate);
    double vh = pow(10.0, g / 20.0), vb = pow(vh, 0.4996667741545416);
    double a0 = 1.0 + k / q + k * k;
    m->sb0 = (vh + vb * k / q + k * k) / a0;
    m->sb1 = 2.0 * (k * k - vh) / a0;
    m->sb2 = (vh - vb * k / q + k * k) / a0;
    m->sa1 = 2.0 * (k * k - 1.0) / a0;
    m->sa2 = (1.0 - k / q + k * k) / a0;
    f0 = 38.13547087602444;
    q = 0.5003270373238773;
    k = tan(pi * f0 / (double)m->rate);
    m->ha1 = 2.0 * (k * k - 1.0) / (1.0 + k / q + k * k);
    m->ha2 = (1.0 - k / q + k * k) / (1.0 + k / q + k * k);
}

static void default_weights(lathe_bs1770 *m)
{
    for (uint32_t c = 0; c < m->channels; c++)
        m->weight[c] = 1.0;
    if (m->channels == 5) { /* L R C Ls Rs */
        m->weight[3] = 1.41;
        m->weight[4] = 1.41;
    } else if (m->channels == 6) { /* L R C LFE Ls Rs */
        m->weight[3] = 0.0;
        m->weight[4] = 1.41;
        m->weight[5] = 1.41;
    }
}

int lathe_bs1770_new(uint32_t rate, uint32_t channels, lathe_bs1770 **out)
{
    if (rate < 8000 || rate > 768000 || channels < 1 || channels > MAX_CH)
        return -2;
    lathe_bs1770 *m = lathe_calloc(1, sizeof(*m));
    if (!m)
        return -1;
    m->rate = rate;
    m->channels = channels;
    m->hop = (rate + 5) / 10;
    for (uint32_t j = 0; j < SUBS_PER_HOP; j++)
        m->sub_len[j] = (uint32_t)((uint64_t)(j + 1) * m->hop / SUBS_PER_HOP -
                                   (uint64_t)j * m->hop / SUBS_PER_HOP);
    design_kweight(m);
    default_weights(m);
    lathe_bs1770_reset(m);
    *out = m;
    return 0;
}

static int grow(lathe_bs1770 *m, size_t need)
{
    if (need <= m->cap)
        return 0;
    size_t cap = m->cap ? m->cap : 1024;
    while (cap < need)
        cap *= 2;
    double *st = lathe_realloc(m->st, cap * sizeof(double));
    if (!st)
        return -1;
    m->st = st;
    double *blk = lathe_realloc(m->blk, cap * sizeof(double));
    if (!blk)
        return -1;
    m->blk = blk;
    double *sorted = lathe_realloc(m->sorted, cap * sizeof(double));
    if (!sorted)
        return -1;
    m->sorted = sorted;
    m->cap = cap;
    return 0;
}

int lathe_bs1770_reserve(lathe_bs1770 *m, uint64_t frames)
{
    return grow(m, (size_t)(frames / m->hop) + 2);
}

void lathe_bs1770_set_weight(lathe_bs1770 *m, uint32_t channel, double weight)
{
    if (channel < m->channels)
        m->weight[channel] = weight;
}

int lathe_bs1770_set_fold(lathe_bs1770 *m, lathe_bs1770 *fold)
{
    if (m->channels != 2 || fold->channels != 1 || fold->rate != m->rate)
        return -1;
    m->fold = fold;
    return 0;
}

void lathe_bs1770_free(lathe_bs1770 *m)
{
    if (!m)
        return;
    lathe_dealloc(m->st);
    lathe_dealloc(m->blk);
    lathe_dealloc(m->sorted);
    lathe_dealloc(m);
}

void lathe_bs1770_reset(lathe_bs1770 *m)
{
    memset(m->ks, 0, sizeof(m->ks));
    memset(m->acc, 0, sizeof(m->acc));
    m->fold_acc = 0.0;
    memset(m->ring, 0, sizeof(m->ring));
    m->sub_pos = m->sub_idx = m->ring_pos = 0;
    m->n_subs = 0;
    m->m_sum = m->s_sum = 0.0;
    m->m_max = m->s_max = -1.0;
    m->n_hops = 0;
    m->oom = 0;
}

typedef double v2d __attribute__((vector_size(16)));

/* K-weights n frames of every channel and adds their squares to acc. Two channels (the common
 * case) run as the two lanes of one vector: the same operations in the same order as a lone
 * channel's, so the sums are the same to the last bit, at about half the instructions. */
LATHE_HOT_CLONES static void kweight(lathe_bs1770 *restrict m, const float *const *ch,
                                     uint32_t off, uint32_t n)
{
    const double b0 = m->sb0, b1 = m->sb1, b2 = m->sb2, a1 = m->sa1, a2 = m->sa2;
    const double h1 = m->ha1, h2 = m->ha2;
    const uint32_t nc = m->channels;
    if (nc == 2) {
        const kstate *k0 = &m->ks[0], *k1 = &m->ks[1];
        v2d x1 = {k0->x1, k1->x1}, x2 = {k0->x2, k1->x2}, y1 = {k0->y1, k1->y1};
        v2d y2 = {k0->y2, k1->y2}, z1 = {k0->z1, k1->z1}, z2 = {k0->z2, k1->z2};
        v2d e = {m->acc[0], m->acc[1]};
        double ef = m->fold_acc;
        const float *restrict c0 = ch[0] + off, *restrict c1 = ch[1] + off;
        for (uint32_t i = 0; i < n; i++) {
            v2d u = {(double)c0[i], (double)c1[i]};
            /* the previous output enters last: the loop-carried path is one multiply-add */
            v2d y = (b0 * u + b1 * x1 + b2 * x2 - a2 * y2) - a1 * y1;
            v2d z = (y - 2.0 * y1 + y2 - h2 * z2) - h1 * z1;
            x2 = x1, x1 = u, y2 = y1, y1 = y, z2 = z1, z1 = z;
            e += z * z;
            double f = z[0] + z[1];
            ef += f * f; /* K-weighting is linear: the fold's, times 2 */
        }
        m->ks[0] = (kstate){x1[0], x2[0], y1[0], y2[0], z1[0], z2[0]};
        m->ks[1] = (kstate){x1[1], x2[1], y1[1], y2[1], z1[1], z2[1]};
        m->acc[0] = e[0];
        m->acc[1] = e[1];
        m->fold_acc = ef;
        return;
    }
    for (uint32_t c = 0; c < nc; c++) {
        kstate s = m->ks[c];
        double e = m->acc[c];
        const float *restrict x = ch[c] + off;
        for (uint32_t i = 0; i < n; i++) {
            double u = (double)x[i];
            double y = (b0 * u + b1 * s.x1 + b2 * s.x2 - a2 * s.y2) - a1 * s.y1;
            double z = (y - 2.0 * s.y1 + s.y2 - h2 * s.z2) - h1 * s.z1;
            s.x2 = s.x1; s.x1 = u; s.y2 = s.y1; s.y1 = y; s.z2 = s.z1; s.z1 = z;
            e += z * z;
        }
        m->ks[c] = s;
        m->acc[c] = e;
    }
}

/* Flushes filter states that decayed to nothing: long digital silence would otherwise leave
 * them denormal (slow) for no measurable benefit (energies < 1e-60). */
static void flush_tiny(lathe_bs1770 *m)
{
    for (uint32_t c = 0; c < m->channels; c++) {
        kstate *s = &m->ks[c];
        if (fabs(s->x1) + fabs(s->x2) + fabs(s->y1) + fabs(s->y2) + fabs(s->z1) +
                fabs(s->z2) < 1e-30)
            memset(s, 0, sizeof(*s));
    }
}

static double ring_sum(const lathe_bs1770 *m, uint32_t count)
{
    /* oldest first, the same order every time */
    double sum = 0.0;
    uint32_t pos = (m->ring_pos + S_SUBS - count) % S_SUBS;
    for (uint32_t i = 0; i < count; i++) {
        sum += m->ring[pos];
        pos = pos + 1 == S_SUBS ? 0 : pos + 1;
    }
    return sum;
}

static void end_hop(lathe_bs1770 *m)
{
    m->m_sum = ring_sum(m, M_SUBS);
    m->s_sum = ring_sum(m, S_SUBS);
    if (grow(m, m->n_hops + 1) != 0) {
        m->oom = 1; /* out of memory without a reservation: the hop is lost, and said so */
        return;
    }
    m->st[m->n_hops] = m->s_sum / (30.0 * m->hop);
    if (m->n_hops >= 3)
        m->blk[m->n_hops - 3] = m->m_sum / (4.0 * m->hop);
    m->n_hops++;
    flush_tiny(m);
}

static void end_sub(lathe_bs1770 *m)
{
    double e = 0.0;
    for (uint32_t c = 0; c < m->channels; c++) {
        e += m->weight[c] * m->acc[c];
        m->acc[c] = 0.0;
    }
    uint32_t old_m = (m->ring_pos + S_SUBS - M_SUBS) % S_SUBS;
    m->m_sum += e - m->ring[old_m];
    m->s_sum += e - m->ring[m->ring_pos];
    m->ring[m->ring_pos] = e;
    m->ring_pos = m->ring_pos + 1 == S_SUBS ? 0 : m->ring_pos + 1;
    m->n_subs++;
    if (++m->sub_idx == SUBS_PER_HOP) {
        m->sub_idx = 0;
        end_hop(m);
    }
    double mm = m->m_sum > 0.0 ? m->m_sum / (4.0 * m->hop) : 0.0;
    double sm = m->s_sum > 0.0 ? m->s_sum / (30.0 * m->hop) : 0.0;
    if (mm > m->m_max)
        m->m_max = mm;
    if (sm > m->s_max)
        m->s_max = sm;
}

void lathe_bs1770_add(lathe_bs1770 *m, const float *const *ch, uint32_t n_frames)
{
    uint32_t off = 0;
    while (off < n_frames) {
        uint32_t len = m->sub_len[m->sub_idx];
        uint32_t take = len - m->sub_pos;
        if (take > n_frames - off)
            take = n_frames - off;
        kweight(m, ch, off, take);
        off += take;
        m->sub_pos += take;
        if (m->sub_pos == len) {
            m->sub_pos = 0;
            end_sub(m);
            if (m->fold) {
                m->fold->acc[0] = 0.25 * m->fold_acc;
                end_sub(m->fold);
            }
            m->fold_acc = 0.0;
        }
    }
}

/* Mean of the block energies above both gates (strict, per BS.1770); NAN when none. */
static double gated_mean(const double *e, size_t n, double gate)
{
    double sum = 0.0;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (e[i] > gate) {
            sum += e[i];
            count++;
        }
    }
    return count ? sum / (double)count : NAN_D;
}

double lathe_bs1770_integrated(const lathe_bs1770 *m)
{
    size_t n = m->n_hops >= 4 ? m->n_hops - 3 : 0;
    double abs_e = energy_of(ABS_GATE_LUFS);
    double mean = gated_mean(m->blk, n, abs_e);
    if (isnan(mean))
        return NAN;
    double rel_e = mean * 0.1; /* -10 LU */
    return lufs_of(gated_mean(m->blk, n, rel_e > abs_e ? rel_e : abs_e));
}

double lathe_bs1770_momentary_max(const lathe_bs1770 *m)
{
    return m->m_max > 0.0 ? lufs_of(m->m_max) : NAN_D;
}

double lathe_bs1770_short_term_max(const lathe_bs1770 *m)
{
    return m->s_max > 0.0 ? lufs_of(m->s_max) : NAN_D;
}

double lathe_bs1770_momentary(const lathe_bs1770 *m)
{
    return m->m_sum > 0.0 ? lufs_of(m->m_sum / (4.0 * m->hop)) : NAN_D;
}

double lathe_bs1770_short_term(const lathe_bs1770 *m)
{
    return m->s_sum > 0.0 ? lufs_of(m->s_sum / (30.0 * m->hop)) : NAN_D;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* EBU Tech 3342: short-term values of full 3 s windows every `stride` hops, gated at -70 LUFS
 * and -20 LU (>=), P95 - P10 with the normative percentile indices. */
double lathe_bs1770_lra_stride(const lathe_bs1770 *m, uint32_t stride)
{
    if (m->n_hops < 30 || stride < 1)
        return NAN;
    size_t n = (m->n_hops - 30) / stride + 1, kept = 0;
    double *st = m->sorted; /* n <= n_hops <= cap */
    for (size_t i = 0; i < n; i++)
        st[i] = m->st[29 + i * stride];
    double abs_e = energy_of(ABS_GATE_LUFS), sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (st[i] >= abs_e) {
            sum += st[i];
            kept++;
        }
    }
    if (!kept)
        return NAN;
    double rel_e = sum / (double)kept * 0.01; /* -20 LU */
    double *v = st; /* compacted in place: v[k] never overtakes st[i] */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (st[i] >= abs_e && st[i] >= rel_e)
            v[k++] = st[i];
    qsort(v, k, sizeof(double), cmp_double);
    size_t lo = (size_t)round((double)(k - 1) * 0.10);
    size_t hi = (size_t)round((double)(k - 1) * 0.95);
    return lufs_of(v[hi]) - lufs_of(v[lo]);
}

double lathe_bs1770_lra(const lathe_bs1770 *m)
{
    return lathe_bs1770_lra_stride(m, 1);
}

int lathe_bs1770_complete(const lathe_bs1770 *m)
{
    return !m->oom;
}

size_t lathe_bs1770_short_term_count(const lathe_bs1770 *m)
{
    return m->n_hops;
}

double lathe_bs1770_short_term_at(const lathe_bs1770 *m, size_t i)
{
    return i < m->n_hops ? lufs_of(m->st[i]) : NAN_D;
}

uint32_t lathe_bs1770_hop_frames(const lathe_bs1770 *m)
{
    return m->hop;
}
