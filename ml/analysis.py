"""The Gamma-loss analysis of LearningLoss++ (Shukla & Ahmed, CVPR-W 2021).

The true losses of a trained model are roughly Gamma(k, theta). For two images of a
pair with iid losses X, Y the paper asks how often they are within delta of each
other, and what LL++'s expected gradient offset E[X / (2X + delta) | Y - X = delta] is.
Both quantities depend on delta / theta only, so the integrals run on Gamma(k, 1).
"""

import math

import numpy as np
from scipy import integrate, optimize, special


def fit_gamma(losses: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood (k, theta) of Gamma(k, scale theta) for losses [N].

    Raises ValueError for non-positive or non-finite losses (the Gamma log-likelihood is
    -inf at 0, and silently shifting zeros would bias k), and for fewer than two
    distinct values, where the likelihood has no maximum.
    """
    x = np.asarray(losses, dtype=np.float64).ravel()
    if x.size == 0 or not np.all(np.isfinite(x)) or np.any(x <= 0):
        raise ValueError("fit_gamma needs finite, strictly positive losses")
    mean = x.mean()
    s = math.log(mean) - np.log(x).mean()
    if s <= 0:
        raise ValueError("fit_gamma needs at least two distinct losses")
    # log k - digamma(k) decreases from +inf to 0 and lies in (1/(2k), 1/k), so the
    # root of log k - digamma(k) = s lies in (1/(2s), 1/s).
    k = optimize.brentq(
        lambda k: math.log(k) - special.digamma(k) - s,
        0.5 / s * (1 - 1e-9),
        1.0 / s * (1 + 1e-9),
        xtol=1e-14,
        rtol=1e-13,
    )
    return float(k), float(mean / k)


def pair_within_delta_probability(delta: float, k: float, theta: float) -> float:
    """P(|X - Y| <= delta) for X, Y iid Gamma(k, scale theta).

    P = 2 P(X <= Y <= X + delta) = 2 E_X[F(X + delta) - F(X)]; substituting p = F(X)
    turns the expectation into a bounded integral over [0, 1], free of the density's
    singularity at 0 when k < 1.
    """
    d = _scaled_delta(delta, k, theta)
    if d == 0:
        return 0.0

    def gain(p: float) -> float:
        return special.gammainc(k, special.gammaincinv(k, p) + d) - p

    # The integrand changes fastest where X is of the order of delta.
    knees = sorted({float(special.gammainc(k, d)), 0.5})
    value, _ = integrate.quad(gain, 0.0, 1.0, points=knees, epsabs=1e-12, epsrel=1e-10, limit=200)
    return float(min(1.0, max(0.0, 2.0 * value)))


def expected_pair_ratio(delta: float, k: float, theta: float) -> float:
    """E[X / (2X + delta) | Y - X = delta] for X, Y iid Gamma(k, scale theta).

    The conditional density of X is proportional to f(x) f(x + delta), i.e. to
    w(x) = x^(k-1) (x + delta)^(k-1) exp(-2x) on the unit scale; the Gamma constants
    cancel in the ratio. Exactly 1/2 at delta = 0.
    """
    d = _scaled_delta(delta, k, theta)
    if d == 0:
        return 0.5
    weighted = _conditional_expectation_small_k if k < 1 else _conditional_expectation_large_k
    return float(weighted(lambda x: x / (2.0 * x + d), d, k))


def _scaled_delta(delta: float, k: float, theta: float) -> float:
    if not (k > 0 and theta > 0 and math.isfinite(k) and math.isfinite(theta)):
        raise ValueError(f"need k > 0 and theta > 0, got k={k}, theta={theta}")
    if not (delta >= 0 and math.isfinite(delta)):
        raise ValueError(f"need a finite delta >= 0, got {delta}")
    return delta / theta


def _conditional_expectation_small_k(g, d: float, k: float) -> float:
    """E[g(X)] under w for k < 1, where w is infinite at 0.

    With t = x^k, x^(k-1) dx = dt / k, so the integrand becomes the bounded
    (t^(1/k) + d)^(k-1) exp(-2 t^(1/k)).
    """

    def density(t: float) -> float:
        x = t ** (1.0 / k)
        return (x + d) ** (k - 1.0) * math.exp(-2.0 * x)

    # exp(-2x) is below 1e-40 past x = d + 50; knees where (x + d) and exp(-2x) bend.
    t_end = (d + 50.0) ** k
    knees = sorted({d**k, 1.0}) if t_end > 1.0 else [d**k]
    return _ratio_of_integrals(density, lambda t: g(t ** (1.0 / k)), 0.0, t_end, knees)


def _conditional_expectation_large_k(g, d: float, k: float) -> float:
    """E[g(X)] under w for k >= 1, where w is bounded; evaluated relative to its mode."""
    c = k - 1.0
    # w' = 0  <=>  2x^2 + 2(d - c)x - c d = 0
    mode = ((c - d) + math.sqrt((c - d) ** 2 + 2.0 * c * d)) / 2.0
    log_peak = _log_w(mode, d, c)

    def density(x: float) -> float:
        return math.exp(_log_w(x, d, c) - log_peak)

    # w is log-concave with curvature about 2 / sqrt(2k - 1) in sd units: 40 sd past the
    # mode (plus the exp(-2x) scale) leaves nothing measurable.
    spread = math.sqrt(2.0 * k - 1.0) / 2.0
    x_end = mode + 40.0 * spread + 25.0
    knees = sorted({p for p in (mode - 5 * spread, mode, mode + 5 * spread, d) if 0.0 < p < x_end})
    return _ratio_of_integrals(density, g, 0.0, x_end, knees)


def _log_w(x: float, d: float, c: float) -> float:
    if x <= 0.0:
        return 0.0 if c == 0 else -math.inf
    return c * (math.log(x) + math.log(x + d)) - 2.0 * x


def _ratio_of_integrals(density, g, lower: float, upper: float, knees: list[float]) -> float:
    """Integral of density * g over integral of density, both by adaptive quadrature."""
    options = dict(points=knees, epsabs=0.0, epsrel=1e-11, limit=400)
    mass, _ = integrate.quad(density, lower, upper, **options)
    moment, _ = integrate.quad(lambda u: density(u) * g(u), lower, upper, **options)
    return moment / mass
