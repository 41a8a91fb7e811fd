"""Predicted against realized loss of a cycle's selection, once its images are labelled."""

import pytest

pytestmark = pytest.mark.django_db


def test_only_labelled_and_measured_selections_are_points(annotator_client, ready_cycle, selection):
    response = annotator_client.get(f"/api/v1/cycles/{ready_cycle.id}/scatter/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["cycle"], body["index"], body["strategy"]) == (ready_cycle.id, 1, "ll_plus_plus")
    assert (body["spearman"], body["kendall"]) == (0.5, 0.4)
    assert body["points"] == [
        {"image": selection[0].id, "rank": 1, "predicted_loss": 5.0, "realized_loss": 0.9, "pck": 0.2},
        {"image": selection[1].id, "rank": 2, "predicted_loss": 4.0, "realized_loss": 0.5, "pck": None},
        {"image": selection[2].id, "rank": 3, "predicted_loss": 3.0, "realized_loss": 0.7, "pck": 0.8},
    ]


def test_a_cycle_before_any_label_has_no_points(admin_client, ready_cycle):
    body = admin_client.get(f"/api/v1/cycles/{ready_cycle.id}/scatter/").json()
    assert body["points"] == [] and body["spearman"] == 0.5 and body["measured"] == 0


def test_above_the_bound_the_points_are_a_sample_the_same_on_every_request(
    admin_client, ready_cycle, selection, monkeypatch
):
    from alweb.insights import selectors

    monkeypatch.setattr(selectors, "SCATTER_MAX_POINTS", 2)
    first = admin_client.get(f"/api/v1/cycles/{ready_cycle.id}/scatter/").json()
    again = admin_client.get(f"/api/v1/cycles/{ready_cycle.id}/scatter/").json()

    assert first["measured"] == 3
    ranks = [point["rank"] for point in first["points"]]
    assert len(ranks) == 2 and set(ranks) <= {1, 2, 3} and ranks == sorted(ranks)
    assert again["points"] == first["points"]
