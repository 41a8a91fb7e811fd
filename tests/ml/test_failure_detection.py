import csv

import pytest

from ml.experiments.failure_detection import QUICK, parse_args, run
from ml.experiments.report import format_table, summarise


def test_summary_is_mean_and_std_over_seeds():
    rows = [{"strategy": "random", "stage": 1, "labelled": 10, "selected_pck": v, "spearman": 0.1, "val_pck": 0.5}
            for v in (0.2, 0.4)]
    (entry,) = summarise(rows)
    assert entry["selected_pck_mean"] == pytest.approx(0.3)
    assert entry["selected_pck_std"] == pytest.approx(0.1414, abs=1e-4)
    assert entry["seeds"] == 2
    assert "0.300 ± 0.141" in format_table([entry], "PCK@0.2")


def test_quick_flags_and_overrides():
    config = parse_args(["--quick", "--seeds", "1", "--strategies", "random,ll_plus_plus_conv"])
    assert config.cycles == QUICK["cycles"] and config.seeds == 1
    assert config.strategies == ("random", "ll_plus_plus_conv")


def test_tiny_run_writes_table_csv_and_plot(tmp_path):
    config = parse_args(["--dataset", "synthetic", "--strategies", "random,coreset,ll_plus_plus", "--cycles", "2",
                         "--budget", "4", "--seeds", "1", "--initial", "8", "--pool", "16", "--val", "8",
                         "--epochs", "1", "--warm-epochs", "1", "--channels", "8", "--out", str(tmp_path)])
    rows = run(config)
    assert [(r["strategy"], r["stage"], r["labelled"]) for r in rows] == [
        (s, stage, 8 + 4 * (stage - 1)) for s in ("random", "coreset", "ll_plus_plus") for stage in (1, 2)]
    with open(tmp_path / "summary.csv") as f:
        assert len(list(csv.DictReader(f))) == 6
    assert (tmp_path / "failure_detection.png").stat().st_size > 0
    assert "ll_plus_plus" in (tmp_path / "table.txt").read_text()
