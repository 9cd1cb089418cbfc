"""CARS — cellular automaton with multi-type random patch seeds (methods.md §8.4), one zone at a time.

The numba kernel (``landcarbon.kernels.allocation.cars_allocate``) runs single-threaded per zone
with an explicit splitmix64 stream seeded from the zone's child ``SeedSequence``, so a map is a
pure function of inputs and seed, whatever the number of threads or workers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ...core.errors import InfeasibleError, InputValidationError
from ...kernels.allocation import CONTROL_FLUS, CONTROL_NET, TN_TABLE, cars_allocate

#: candidates visited together (raster order inside a block, blocks in random order) [D]
VISIT_BLOCK = 64


@dataclass
class CarsParams:
    """CARS parameters; tags refer to methods.md §8.4.

    neighbourhood: window size n (odd) [V default 3]. weights: w_k per class (None = expansion
    shares [V]). mu: expansion coefficient μ (scalar or per class) [V 0.1]. seed_share: σ, cap of
    first-branch (seed) conversions per iteration as a share of valid cells [V example 0.0001].
    delta: threshold decay δ [L 0.5]. max_iter [D 1000]. control: 'net' (default) or 'flus'.
    relay: a class at its demand may overshoot it by up to relay × its demand (≥ 1 pixel) so that
    cells can pass through it (bare → cropland → forest), only after relay_after iterations without
    progress [D]. stall_boost: D_k × this when an
    under-supplied class gained nothing in an iteration [D]. patience: stop after this many
    iterations without progress [D]. w_dev: development weight of R = 2 zones [V 0.5]. step_share:
    Step = max(1, step_share × Σ|G⁰|), the progress below which the threshold decays [D 0.01; methods.md
    names 0.001: on Wuhan 2005 -> 2010 both gave FoM 0.075, in 42 vs 106 iterations
    (docs/benchmarks/simulate.md)]. inertia: factor on the current class's OP in the roulette
    (1 = PLUS; > 1 keeps cells in their class more often) [D]. weight_exponent γ: when ``weights`` is
    None the weights are the expansion shares raised to γ and renormalised to sum 1 (γ = 1: the
    PLUS shares [V]; γ = 0: equal weights) [D]. Calibration (methods.md §15.2,
    ``landcarbon.models.simulate.calibrate``) searches neighbourhood, weight_exponent, mu,
    seed_share, delta and inertia. relay_slow: the relay also opens after ``relay_after`` iterations in
    a row that each closed less than relay_slow × Σ|G⁰| (0 = only after iterations without progress)
    [D: on Wuhan 2005 -> 2010 a trickle of a few cells per iteration kept the relay closed for 440
    iterations].
    """

    neighbourhood: int = 3
    weights: tuple | None = None
    mu: float | tuple = 0.1
    seed_share: float = 0.0001
    delta: float = 0.5
    max_iter: int = 1000
    control: str = "net"
    relay: float = 0.001
    stall_boost: float = 1.5
    patience: int = 30
    w_dev: float = 0.5
    step_share: float = 0.01
    relay_after: int = 3
    inertia: float = 1.0
    weight_exponent: float = 1.0
    relay_slow: float = 0.0

    def class_weights(self, shares: np.ndarray) -> np.ndarray:
        """w_k: the explicit ``weights`` if given, else shares^γ / Σ shares^γ (γ = weight_exponent)."""
        if self.weights is not None:
            return np.asarray(self.weights, dtype=np.float64)
        sh = np.asarray(shares, dtype=np.float64)
        if self.weight_exponent == 1.0:
            return sh
        w = np.where(sh > 0, np.maximum(sh, 1e-300) ** float(self.weight_exponent), 0.0)  # 0 stays 0
        return w / w.sum() if w.sum() > 0 else sh

    def check(self) -> None:
        if self.neighbourhood < 3 or self.neighbourhood % 2 == 0:
            raise InputValidationError(f"neighbourhood size {self.neighbourhood} must be odd and >= 3")
        if not 0 < self.delta < 1:
            raise InputValidationError(f"threshold decay delta={self.delta} must lie in (0, 1)")
        if self.control not in ("net", "flus"):
            raise InputValidationError(f"demand control {self.control!r} is unknown; use 'net' or 'flus'")
        if not 0 <= self.seed_share <= 1:
            raise InputValidationError(f"seed share {self.seed_share} must lie in [0, 1]")
        if self.max_iter < 1:
            raise InputValidationError("max_iter must be >= 1")
        if not 0 <= self.relay_slow < 1:
            raise InputValidationError(f"relay_slow {self.relay_slow} must lie in [0, 1)")
        if not self.inertia > 0:
            raise InputValidationError(f"inertia {self.inertia} must be > 0 (1 = PLUS, no inertia)")
        if not 0 <= self.weight_exponent <= 4:
            raise InputValidationError(f"weight_exponent {self.weight_exponent} must lie in [0, 4] (1 = expansion "
                                       f"shares, 0 = equal weights)")

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}


@dataclass
class ZoneResult:
    state: np.ndarray            # int8 class index window after allocation
    gaps: np.ndarray             # (n_iter + 1, K) demand − amount per iteration (zone cells only)
    changes: np.ndarray          # accepted conversions per iteration
    seeds: np.ndarray            # of which first-branch (new patch) conversions
    d: int                       # final threshold exponent
    dcoef: np.ndarray            # final adaptive coefficients
    extra: dict = field(default_factory=dict)


def check_feasible(start: np.ndarray, cand: np.ndarray, prob: np.ndarray, combo: np.ndarray,
                   allow: np.ndarray, amount: np.ndarray, demand: np.ndarray, codes: list,
                   combo_lines: list, zone_label: str = "") -> None:
    """Stop before allocation when a class cannot reach its demand inside the allowed cells.

    ``start``: class index of each candidate; ``amount``: current pixels per class in the zone.
    """
    k_n = len(codes)
    need = demand - amount
    where = f" in zone {zone_label}" if zone_label else ""
    problems = []
    for c in range(k_n):
        if need[c] > 0:
            ok = (start != c) & (allow[combo, start, c] == 1) & (prob[:, c] > 0)
            n_ok = int(np.count_nonzero(ok))
            if n_ok < need[c]:
                blocked = (start != c) & (allow[combo, start, c] == 0) & (allow[0, start, c] == 1) \
                    if allow.shape[0] > 1 else np.zeros_like(ok)
                lines = sorted({ln for u in np.unique(combo[blocked]) for ln in combo_lines[u]})
                zero_p = int(np.count_nonzero((start != c) & (allow[combo, start, c] == 1) & (prob[:, c] <= 0)))
                why = (f"; the control lines {', '.join(lines)} block {int(np.count_nonzero(blocked))} cells"
                       if lines else "")
                if n_ok == 0 and zero_p > 0:
                    why += ("; the class has no development potential anywhere: its calibration expansion gave "
                            "no training sample (raise the sample rate or use balanced sampling)")
                problems.append(
                    f"class {codes[c]} needs {int(need[c])} more pixels{where}, but only {n_ok} < {int(need[c])} "
                    f"convertible cells may become it (shortfall {int(need[c]) - n_ok}; {zero_p} allowed cells "
                    f"have zero development potential{why})")
        elif need[c] < 0:
            can_leave = np.zeros(start.shape, dtype=bool)
            mine = start == c
            for k in range(k_n):
                if k != c:
                    can_leave |= mine & (allow[combo, start, k] == 1) & (prob[:, k] > 0)
            n_ok = int(np.count_nonzero(can_leave))
            if n_ok < -need[c]:
                problems.append(
                    f"class {codes[c]} must lose {int(-need[c])} pixels{where}, but only {n_ok} of its cells may "
                    f"legally change (shortfall {int(-need[c]) - n_ok}; the rest are restricted, frozen by a "
                    f"control line or have no potential for another class)")
    if problems:
        raise InfeasibleError("demand cannot be met inside the allowed cells: " + "; ".join(problems)
                              + ". Relax the demand, the restriction raster or the rule table")


def allocate_zone(state: np.ndarray, zone: np.ndarray, cand: np.ndarray, prob: np.ndarray,
                  rzone: np.ndarray, combo: np.ndarray, allow: np.ndarray, demand: np.ndarray,
                  weights: np.ndarray, params: CarsParams, *, k_dev: int, n_valid: int,
                  seed: np.random.SeedSequence, codes: list, combo_lines: list,
                  zone_label: str = "", check: bool = True) -> ZoneResult:
    """Allocate one zone (a window of the map).

    state: int8 class index window (−1 nodata); zone: bool window, cells of this zone; cand: bool
    window, cells that may change (inside the zone); prob: (n_cand, K) potential of the cand cells
    in row-major order; demand: target pixels per class for the zone's cells.
    """
    params.check()
    k_n = len(codes)
    rows, cols = state.shape
    flat_state = np.ascontiguousarray(state.ravel()).astype(np.int8, copy=True)
    zf = zone.ravel()
    cand_idx = np.flatnonzero(cand.ravel()).astype(np.int64)
    if cand_idx.size != prob.shape[0]:
        raise ValueError("prob rows must match the candidate cells")
    valid = flat_state >= 0
    amount_zone = np.bincount(flat_state[valid & zf], minlength=k_n)[:k_n].astype(np.int64)
    fixed_out = np.bincount(flat_state[valid & ~zf], minlength=k_n)[:k_n].astype(np.int64)
    demand = np.asarray(demand, dtype=np.int64)
    if check:
        check_feasible(flat_state[cand_idx], cand_idx, prob, combo, allow, amount_zone, demand, codes,
                       combo_lines, zone_label)
    mu = np.broadcast_to(np.asarray(params.mu, dtype=np.float64), (k_n,)).copy()
    relay_cap = np.maximum(1, np.floor(params.relay * demand)).astype(np.int64) if params.relay > 0 \
        else np.zeros(k_n, dtype=np.int64)
    seed_cap = int(np.ceil(params.seed_share * n_valid))
    perm_seed, kern_seed = seed.spawn(2)
    n_blocks = -(-cand_idx.size // VISIT_BLOCK)
    perm = np.random.default_rng(perm_seed).permutation(n_blocks).astype(np.int64)
    rng_state = kern_seed.generate_state(1, dtype=np.uint64)
    prob32 = np.ascontiguousarray(prob, dtype=np.float32)
    maxp = prob32.max(axis=1) if prob32.shape[0] else np.zeros(0, np.float32)
    hist, nchg, nseed, d, dcoef = cars_allocate(
        flat_state, rows, cols, cand_idx, perm, VISIT_BLOCK, prob32, maxp,
        np.ascontiguousarray(rzone, dtype=np.uint8), np.ascontiguousarray(combo, dtype=np.uint8),
        np.ascontiguousarray(allow, dtype=np.uint8), demand + fixed_out,
        np.ascontiguousarray(weights, dtype=np.float64), mu, float(params.delta), seed_cap, int(k_dev),
        float(params.w_dev), int(params.neighbourhood), int(params.max_iter),
        CONTROL_NET if params.control == "net" else CONTROL_FLUS, relay_cap, float(params.stall_boost),
        int(params.patience), int(n_valid), float(params.step_share),
        int(params.relay_after), TN_TABLE, rng_state, float(params.inertia), float(params.relay_slow))
    return ZoneResult(flat_state.reshape(rows, cols), hist, nchg, nseed, int(d), dcoef)
