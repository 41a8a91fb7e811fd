"""Statistics over seeds: paired differences with a t interval and a Wilcoxon test, and labels-to-reach.

A seed is the unit of replication: every strategy of one seed starts from the same labelled set
and network, so strategy A minus strategy B per seed removes the seed's own luck.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class PairedDifference:
    """Summary of per-seed differences a - b (NaN differences are counted in `undefined`, never used)."""

    n: int  # seeds with a defined difference
    undefined: int  # seeds whose difference was NaN (e.g. an undefined correlation)
    mean: float
    std: float  # sample standard deviation (ddof 1); NaN under 2 seeds
    ci_low: float  # t-based 95 % interval of the mean; NaN under 2 seeds
    ci_high: float
    p_value: float  # two-sided Wilcoxon signed-rank; NaN without a defined difference
    positive: int  # seeds with a > b
    negative: int  # seeds with a < b
    note: str  # why p or the interval is not informative, "" otherwise

    @property
    def significant(self) -> bool:
        """p below 0.05 and an interval that excludes 0 (they can disagree on skewed data)."""
        return bool(self.p_value < SIGNIFICANCE and (self.ci_low > 0 or self.ci_high < 0))


def mean_ci(values, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(mean, low, high): Student-t interval of the mean of the finite values; NaN bounds under 2 values."""
    x = np.asarray(values, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return mean, mean - half, mean + half


def wilcoxon_p(differences) -> tuple[float, str]:
    """(two-sided Wilcoxon signed-rank p, note) for paired differences; NaNs must be removed first.

    All-zero differences give p = 1 (no evidence either way) instead of scipy's warning. With n
    non-zero differences the exact test cannot go below 2 / 2**n, so under 6 seeds it can never
    reach 0.05: the note says so rather than letting a missing star read as "no effect".
    """
    d = np.asarray(differences, dtype=np.float64).ravel()
    if len(d) == 0:
        return math.nan, "no seed with a defined difference"
    nonzero = int(np.count_nonzero(d))
    if nonzero == 0:
        return 1.0, "all differences are zero"
    p = float(stats.wilcoxon(d, zero_method="wilcox").pvalue)
    note = ""
    if nonzero < 6:
        note = f"{nonzero} non-zero differences: the smallest possible p is {2 / 2**nonzero:.3g}"
    return p, note


def paired_difference(a, b) -> PairedDifference:
    """Per-seed differences a - b ([n] each, aligned by seed) summarised over seeds."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"need one value per seed on both sides, got {a.shape} and {b.shape}")
    d = a - b
    defined = d[np.isfinite(d)]
    mean, low, high = mean_ci(defined)
    p, note = wilcoxon_p(defined)
    if len(defined) < 2:
        note = note or "fewer than 2 seeds: no interval"
    return PairedDifference(
        n=len(defined),
        undefined=len(d) - len(defined),
        mean=mean,
        std=float(defined.std(ddof=1)) if len(defined) > 1 else math.nan,
        ci_low=low,
        ci_high=high,
        p_value=p,
        positive=int((defined > 0).sum()),
        negative=int((defined < 0).sum()),
        note=note,
    )


def labels_to_reach(labelled, accuracy, target: float) -> float:
    """Labelled images at which a curve first reaches `target`, interpolating linearly; NaN if never.

    labelled [S] increasing, accuracy [S]. A curve already at the target at its first point
    returns that point (nothing to interpolate below it).
    """
    x = np.asarray(labelled, dtype=np.float64).ravel()
    y = np.asarray(accuracy, dtype=np.float64).ravel()
    if x.shape != y.shape or len(x) == 0:
        raise ValueError(f"need one accuracy per labelled count, got {x.shape} and {y.shape}")
    if np.any(np.diff(x) <= 0):
        raise ValueError("labelled counts must increase")
    reached = np.flatnonzero(y >= target)
    if len(reached) == 0:
        return math.nan
    i = int(reached[0])
    if i == 0:
        return float(x[0])
    # y[i - 1] < target <= y[i]
    return float(x[i - 1] + (target - y[i - 1]) / (y[i] - y[i - 1]) * (x[i] - x[i - 1]))


def describe(difference: PairedDifference, *, subject: str, other: str, more: str, less: str, digits: int = 2) -> str:
    """One plain sentence, e.g. "LL++ picked images with lower PCK than random in 6 of 6 seeds
    (-0.11, 95 % CI -0.14 to -0.08, p = 0.03): significant."

    a - b is subject - other; more / less say what a positive / negative difference means
    ("picked images with higher PCK").
    """
    d = difference
    if d.n == 0:
        return f"{subject} vs {other}: no seed with a defined difference ({d.undefined} undefined)."
    if d.mean > 0:
        claim = f"{subject} {more} than {other} in {d.positive} of {d.n} seeds"
    elif d.mean < 0:
        claim = f"{subject} {less} than {other} in {d.negative} of {d.n} seeds"
    else:
        claim = f"{subject} and {other} tied on average over {d.n} seeds"
    interval = "no interval" if math.isnan(d.ci_low) else f"95 % CI {d.ci_low:+.{digits}f} to {d.ci_high:+.{digits}f}"
    verdict = "significant" if d.significant else "not significant"
    text = f"{claim} ({d.mean:+.{digits}f}, {interval}, p = {d.p_value:.2g}): {verdict}"
    extras = [x for x in (d.note, f"{d.undefined} seeds undefined" if d.undefined else "") if x]
    return text + (f" ({'; '.join(extras)})." if extras else ".")
