"""The Gamma-loss analysis against independent quadratures and closed forms.

The references integrate over x directly, with QUADPACK's algebraic weight x^(k-1) on
[0, 1] for the singular density; the module under test uses other substitutions
(p = F(x) for the probability, t = x^k or a mode-relative density for the ratio).
"""

import math

import numpy as np
import pytest
from scipy import integrate, special

from ml.analysis import expected_pair_ratio, fit_gamma, pair_within_delta_probability

SHAPES = [0.5, 1.0, 2.5, 10.0, 50.0]
DELTAS = [0.01, 0.5, 2.0, 5.0]


def _density_without_power(x: float, k: float) -> float:
    """exp(-x) / Gamma(k): the Gamma(k, 1) density divided by x^(k-1)."""
    return math.exp(-x - special.gammaln(k))


def _density(x: float, k: float) -> float:
    return math.exp((k - 1) * math.log(x) - x - special.gammaln(k)) if x > 0 else 0.0


def _expect(h, k: float) -> float:
    """Integral of f(x) h(x) over (0, inf) for the Gamma(k, 1) density f."""
    options = dict(epsabs=1e-14, epsrel=1e-11, limit=200)
    near, _ = integrate.quad(
        lambda x: _density_without_power(x, k) * h(x), 0, 1, weight="alg", wvar=(k - 1, 0), **options
    )
    far, _ = integrate.quad(lambda x: _density(x, k) * h(x), 1, np.inf, **options)
    return near + far


def _reference_probability(d: float, k: float) -> float:
    return _expect(lambda x: special.gammainc(k, x + d) - special.gammainc(k, max(x - d, 0.0)), k)


def _reference_ratio(d: float, k: float) -> float:
    mass = _expect(lambda x: _density(x + d, k), k)
    moment = _expect(lambda x: _density(x + d, k) * x / (2 * x + d), k)
    return moment / mass


@pytest.mark.parametrize("k", SHAPES)
@pytest.mark.parametrize("delta", DELTAS)
def test_probability_matches_direct_quadrature(k, delta):
    got = pair_within_delta_probability(delta, k, 1.0)
    assert got == pytest.approx(_reference_probability(delta, k), abs=1e-5)


@pytest.mark.parametrize("k", SHAPES)
@pytest.mark.parametrize("delta", DELTAS)
def test_ratio_matches_direct_quadrature(k, delta):
    got = expected_pair_ratio(delta, k, 1.0)
    assert got == pytest.approx(_reference_ratio(delta, k), abs=1e-5)


@pytest.mark.parametrize("delta", [1e-4, 0.01, 0.3, 1.0, 4.0])
def test_exponential_closed_forms(delta):
    # k = 1: |X - Y| is Exp(1), and w(x) = exp(-2x) gives 1/2 - (d/2) e^d E1(d).
    assert pair_within_delta_probability(delta, 1.0, 1.0) == pytest.approx(-math.expm1(-delta), abs=1e-9)
    ratio = 0.5 - delta / 2 * math.exp(delta) * special.exp1(delta)
    assert expected_pair_ratio(delta, 1.0, 1.0) == pytest.approx(ratio, abs=1e-9)


def test_only_delta_over_theta_matters():
    scaled = pair_within_delta_probability(3.0, 2.5, 6.0)
    assert scaled == pytest.approx(pair_within_delta_probability(0.5, 2.5, 1.0))
    assert expected_pair_ratio(3.0, 0.5, 6.0) == pytest.approx(expected_pair_ratio(0.5, 0.5, 1.0))


@pytest.mark.parametrize("k", [0.2, 0.5, 1.0, 50.0])
def test_delta_zero_edge_cases(k):
    assert pair_within_delta_probability(0.0, k, 2.0) == 0.0
    assert expected_pair_ratio(0.0, k, 2.0) == 0.5


def test_ratio_tends_to_a_half_as_delta_shrinks():
    assert expected_pair_ratio(1e-6, 10.0, 1.0) == pytest.approx(0.5, abs=1e-5)
    assert 0 < expected_pair_ratio(1e-6, 0.2, 1.0) < 0.5


@pytest.mark.parametrize("k, theta", [(0.5, 2.0), (2.5, 3.0), (50.0, 0.1)])
def test_fit_gamma_recovers_the_parameters(k, theta):
    losses = np.random.default_rng(0).gamma(k, theta, size=20_000)
    k_hat, theta_hat = fit_gamma(losses)
    assert k_hat == pytest.approx(k, rel=0.04)
    assert theta_hat == pytest.approx(theta, rel=0.04)


@pytest.mark.parametrize("losses", [[1.0, 0.0, 2.0], [1.0, -1.0], [1.0, np.nan], [], [2.0, 2.0]])
def test_fit_gamma_rejects_unusable_losses(losses):
    with pytest.raises(ValueError):
        fit_gamma(np.array(losses))


def test_bad_parameters_are_rejected():
    with pytest.raises(ValueError):
        pair_within_delta_probability(-1.0, 1.0, 1.0)
    with pytest.raises(ValueError):
        expected_pair_ratio(1.0, 0.0, 1.0)
