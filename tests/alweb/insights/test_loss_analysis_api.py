"""The Gamma analysis of the active model's training losses, as the dashboard draws it."""

import itertools
import math

import pytest

from ml.analysis import expected_pair_ratio, fit_gamma, pair_within_delta_probability

pytestmark = pytest.mark.django_db


def analysis_of(client, project):
    response = client.get(f"/api/v1/projects/{project.id}/loss-analysis/")
    assert response.status_code == 200, response.content
    return response.json()


def test_without_a_model_there_is_nothing_to_analyse(admin_client, project):
    body = analysis_of(admin_client, project)
    assert body == {"model_version": None, "analysis": None, "detail": "No model has been trained yet."}


def test_the_fit_the_histogram_and_both_tables(admin_client, project, ready_cycle):
    from alweb.cycles.models import ModelVersion

    body = analysis_of(admin_client, project)
    assert body["model_version"]["cycle"] == ready_cycle.id and body["detail"] == ""
    analysis = body["analysis"]
    losses = ModelVersion.objects.get(cycle=ready_cycle).metrics["train_losses"]
    k, theta = fit_gamma(losses)
    assert analysis["gamma"] == {"k": pytest.approx(k), "theta": pytest.approx(theta)}
    assert 1.6 < k < 2.4 and analysis["count"] == 400 and analysis["excluded"] == 0

    edges, density = analysis["histogram"]["edges"], analysis["histogram"]["density"]
    assert len(edges) == len(density) + 1
    assert (edges[0], edges[-1]) == (pytest.approx(min(losses)), pytest.approx(max(losses)))
    area = sum(d * (b - a) for d, a, b in zip(density, edges, edges[1:]))
    assert area == pytest.approx(1.0)
    curve = analysis["density"]
    assert len(curve["x"]) == len(curve["pdf"]) == 120 and all(p >= 0 for p in curve["pdf"])
    assert 0 < curve["x"][0] < edges[0] and curve["x"][-1] > edges[-1]

    within = analysis["within_delta"]
    assert [row["delta"] for row in within] == [round(0.02 + 0.01 * i, 2) for i in range(14)]
    assert within[3]["probability"] == pytest.approx(pair_within_delta_probability(0.05, k, theta))
    assert all(a["probability"] < b["probability"] for a, b in itertools.pairwise(within))

    offsets = analysis["gradient_offset"]
    assert [row["delta"] for row in offsets] == [round(0.05 * i, 2) for i in range(11)]
    assert offsets[0] == {"delta": 0.0, "expected_target": 0.5, "offset": 0.0}
    assert offsets[2]["expected_target"] == pytest.approx(expected_pair_ratio(0.1, k, theta))
    assert all(a["offset"] < b["offset"] for a, b in itertools.pairwise(offsets))
    assert "Gamma" in analysis["explanation"] and "margin" in analysis["explanation"]


def test_zero_and_missing_losses_are_left_out_of_the_fit(admin_client, project, ready_cycle):
    from alweb.cycles.models import ModelVersion

    version = ModelVersion.objects.get(cycle=ready_cycle)
    version.metrics["train_losses"] = [0.0, None, 0.1, 0.2, 0.3, 0.25]
    version.save(update_fields=["metrics"])
    analysis = analysis_of(admin_client, project)["analysis"]
    assert analysis["count"] == 5 and analysis["excluded"] == 1
    assert math.isclose(analysis["mean"], 0.2125)


@pytest.mark.parametrize("losses", [[], [0.2, 0.2, 0.2], [0.0, -1.0]])
def test_losses_that_cannot_be_fitted_say_why(admin_client, project, ready_cycle, losses):
    from alweb.cycles.models import ModelVersion

    version = ModelVersion.objects.get(cycle=ready_cycle)
    version.metrics["train_losses"] = losses
    version.save(update_fields=["metrics"])
    body = analysis_of(admin_client, project)
    assert body["analysis"] is None and body["detail"].startswith("The model's training losses cannot be fitted")
    assert body["model_version"]["id"] == version.id
