"""CARS allocation kernel (methods.md §8.4): multi-type random patch seeds, adaptive demand
coefficient, threshold decreasing, demand control, on plain arrays.

Randomness comes from a counter-based splitmix64 stream whose 64-bit state is passed in
explicitly (``rng_state``, a length-1 uint64 array), so a kernel call is a pure function of its
inputs and seed: identical results whatever the number of threads, and no global state.
One call allocates one zone; zones run independently with child seeds.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from .neighbourhood import move_cell_counts, neighbour_counts_flat

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV53 = 1.0 / 9007199254740992.0

#: demand-control modes
CONTROL_NET = 0   # accept j -> c only while c is below its demand and j above its own (default)
CONTROL_FLUS = 1  # GeoSOS-FLUS: guard classes by the direction they had to move at the start


@nb.njit(cache=True, nogil=True)
def rng_next(state):
    """splitmix64: next 64-bit output; advances ``state[0]``."""
    state[0] = state[0] + _GOLDEN
    z = state[0]
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@nb.njit(cache=True, nogil=True)
def rng_uniform(state):
    """U[0, 1) with 53 random bits."""
    return np.float64(rng_next(state) >> _S11) * _INV53


@nb.njit(cache=True, nogil=True)
def rng_truncnormal(state, mean, sd, lo, hi):
    """Normal(mean, sd²) truncated to [lo, hi] by rejection (Box–Muller pairs)."""
    while True:
        u1 = rng_uniform(state)
        u2 = rng_uniform(state)
        if u1 <= 0.0:
            continue
        z = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
        x = mean + sd * z
        if lo <= x <= hi:
            return x


def truncnormal_table(mean: float = 1.0, sd: float = 0.5, lo: float = 0.0, hi: float = 2.0,
                      n: int = 4096) -> np.ndarray:
    """Quantiles of Normal(mean, sd²) truncated to [lo, hi] at (i + ½)/n, i = 0 … n−1.

    The kernel draws r1 by indexing this table with 12 random bits (inverse-CDF sampling on a
    4096-point grid): the same distribution as rejection sampling to within 1/4096 in probability,
    at a fraction of the cost.
    """
    def cdf(x: float) -> float:
        return 0.5 * (1.0 + math.erf((x - mean) / (sd * math.sqrt(2.0))))

    c_lo, c_hi = cdf(lo), cdf(hi)
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        target = c_lo + (i + 0.5) / n * (c_hi - c_lo)
        a, b = lo, hi
        for _ in range(60):
            m = 0.5 * (a + b)
            if cdf(m) < target:
                a = m
            else:
                b = m
        out[i] = 0.5 * (a + b)
    return out


TN_TABLE = truncnormal_table()


@nb.njit(cache=True, nogil=True)
def adaptive_coefficient(d_prev, g1, g2):
    """PLUS adaptive demand coefficient (methods.md §8.4 step 2).

    ``g1`` = G_k^{t−1} (latest gap), ``g2`` = G_k^{t−2} (the one before). Unchanged when |g1| ≤ |g2|;
    damped by g2/g1 when g1 < g2 < 0 (over-supply growing); boosted by g1/g2 when 0 < g2 < g1
    (under-supply growing); unchanged in any other case.
    """
    if abs(g1) <= abs(g2):
        return d_prev
    if g1 < g2 < 0:
        return d_prev * g2 / g1
    if 0 < g2 < g1:
        return d_prev * g1 / g2
    return d_prev


@nb.njit(cache=True, nogil=True)
def overall_probability(p, omega, dk, r, mu):
    """OP of PLUS for one class (methods.md §8.4 step 3) and whether it came from the seed branch.

    OP = P × (r × μ) × D if Ω = 0 and r < P (a new patch seed), else P × Ω × D.
    """
    if omega == 0.0 and r < p:
        return p * (r * mu) * dk, True
    return p * omega * dk, False


@nb.njit(cache=True, nogil=True)
def cars_allocate(state, rows, cols, cand, block_perm, block, prob, maxp, rzone, combo, allow, demand, weights,
                  mu, delta, seed_cap, k_dev, w_dev, size, max_iter, control, relay_cap, stall_boost,
                  patience, n_valid, step_share, relay_after, tn_table, rng_state, inertia=1.0, relay_slow=0.0):
    """Allocate demand by CARS, changing ``state`` (flat int8 class index, −1 = nodata) in place.

    cand: flat indices of cells that may change, in raster order; they are visited in blocks of
    ``block`` consecutive candidates, the blocks in the order ``block_perm`` (a seeded permutation)
    starting at a random offset each iteration, so no part of the map is favoured and memory is
    read in runs. prob: (len(cand), K) development potential; maxp: its row maximum; rzone:
    restriction value of each candidate (1 or 2); combo: row of ``allow`` (n_combo, K, K;
    allow[·, from, to]) for each candidate; demand: target pixels per class; tn_table: quantiles of
    r1 (``TN_TABLE``); relay_cap / relay_after: the bounded relay, active after ``relay_after``
    iterations without progress; inertia: factor on the current class's OP in the roulette (1 = PLUS,
    where the current class takes part with the same formula; > 1 makes a cell keep its class more
    often, FLUS-style) [D]; relay_slow: the relay also opens after ``relay_after`` iterations in a row
    that each closed less than relay_slow × Σ|G⁰| of the gap (0 = only after iterations without a new
    best, the original rule) [D]. Returns (gap history (n_iter+1, K), changes per iteration, seeds per
    iteration, final threshold exponent d, final D).
    """
    n_cand = cand.shape[0]
    n_blocks = block_perm.shape[0]
    n_tn = tn_table.shape[0]
    k_n = prob.shape[1]
    counts = neighbour_counts_flat(state, rows, cols, k_n, size)
    inv_win = 1.0 / (size * size - 1)

    amount = np.zeros(k_n, dtype=np.int64)
    for c in range(rows * cols):
        if state[c] >= 0:
            amount[state[c]] += 1
    gap = demand - amount
    gap0 = gap.copy()
    grow0 = gap0 > 0
    shrink0 = gap0 < 0
    total0 = 0
    for k in range(k_n):
        total0 += abs(gap0[k])
    step = max(1.0, step_share * total0)

    hist = np.zeros((max_iter + 1, k_n), dtype=np.int64)
    hist[0] = gap
    n_chg_hist = np.zeros(max_iter, dtype=np.int64)
    n_seed_hist = np.zeros(max_iter, dtype=np.int64)
    dcoef = np.ones(k_n, dtype=np.float64)
    d = 0
    dpow = 1.0
    ops = np.empty(k_n, dtype=np.float64)
    seeded = np.zeros(k_n, dtype=np.bool_)
    chg_cell = np.empty(n_cand, dtype=np.int64)
    chg_old = np.empty(n_cand, dtype=np.int8)
    no_progress = 0
    slow = 0
    best_total = total0
    t_done = 0
    for t in range(max_iter):
        total = 0
        for k in range(k_n):
            total += abs(gap[k])
        if total == 0:
            break
        relay_on = no_progress >= relay_after or (relay_slow > 0.0 and slow >= relay_after)
        offset = np.int64(rng_next(rng_state) % np.uint64(max(n_blocks, 1)))
        nchg = 0
        nseed = 0
        for bi in range(n_blocks):
            pos = bi + offset
            if pos >= n_blocks:
                pos -= n_blocks
            b0 = block_perm[pos] * block
            b1 = min(b0 + block, n_cand)
            for q in range(b0, b1):
                cell = cand[q]
                j = state[cell]
                if control == CONTROL_NET:
                    if gap[j] >= 0:
                        continue  # j is not above its demand: it gives up no cell
                elif shrink0[j] and gap[j] >= 0:
                    continue
                # threshold first: no class can pass when even the largest potential is below it
                tau = dpow * tn_table[np.int64(rng_next(rng_state) >> np.uint64(52)) % n_tn]
                if maxp[q] <= tau:
                    continue
                r = rng_uniform(rng_state)
                tot = 0.0
                for k in range(k_n):
                    om = counts[cell, k] * inv_win * weights[k]
                    o, sd = overall_probability(np.float64(prob[q, k]), om, dcoef[k], r, mu[k])
                    ops[k] = o
                    seeded[k] = sd
                if rzone[q] == 2 and k_dev >= 0:
                    r2 = rng_uniform(rng_state)
                    if prob[q, k_dev] > r2:
                        ops[k_dev] = min(r2 + ops[k_dev], 1.0) * w_dev
                        seeded[k_dev] = True
                if inertia != 1.0:
                    ops[j] *= inertia
                for k in range(k_n):
                    tot += ops[k]
                if tot <= 0.0:
                    continue
                u = rng_uniform(rng_state) * tot
                c = k_n - 1
                acc = 0.0
                for k in range(k_n):
                    acc += ops[k]
                    if u < acc:
                        c = k
                        break
                if c == j:
                    continue
                if allow[combo[q], j, c] == 0:
                    continue
                if control == CONTROL_NET:
                    if gap[c] <= 0 and (not relay_on or -gap[c] >= relay_cap[c]):
                        continue  # c has met its demand; once progress stalls, a bounded relay may
                        # let it overshoot by relay_cap so cells can pass through it
                else:
                    if grow0[c] and gap[c] <= 0:
                        continue
                if prob[q, c] <= tau:
                    continue
                if seeded[c]:
                    if nseed >= seed_cap:
                        continue
                    nseed += 1
                state[cell] = c
                gap[j] += 1
                gap[c] -= 1
                chg_cell[nchg] = cell
                chg_old[nchg] = j
                nchg += 1
        # synchronous neighbourhood: counts move to the new state only after the sweep
        for m in range(nchg):
            move_cell_counts(counts, chg_cell[m], chg_old[m], state[chg_cell[m]], rows, cols, size)
        t_done = t + 1
        hist[t_done] = gap
        n_chg_hist[t] = nchg
        n_seed_hist[t] = nseed
        new_total = 0
        prev_total = 0
        for k in range(k_n):
            new_total += abs(gap[k])
            prev_total += abs(hist[t, k])
        if prev_total - new_total < step:
            d += 1
            dpow *= delta
        if t_done >= 2:
            for k in range(k_n):
                dcoef[k] = adaptive_coefficient(dcoef[k], np.float64(hist[t_done, k]),
                                                np.float64(hist[t_done - 1, k]))
                # a class that must grow but gained less than 1 % of its remaining gap: boost [D]
                if stall_boost > 1.0 and hist[t_done, k] > 0 and \
                        hist[t_done - 1, k] - hist[t_done, k] < 0.01 * hist[t_done - 1, k]:
                    dcoef[k] = min(dcoef[k] * stall_boost, 1e6)
        if new_total < best_total:
            best_total = new_total
            no_progress = 0
        else:
            no_progress += 1
        if relay_slow > 0.0 and prev_total - new_total < relay_slow * total0:
            slow += 1
        elif relay_slow > 0.0:
            slow = 0
        if new_total == 0:
            break
        if no_progress > 5 and new_total < 1e-4 * n_valid:
            break
        if no_progress >= patience:
            break
    return hist[: t_done + 1], n_chg_hist[:t_done], n_seed_hist[:t_done], d, dcoef
