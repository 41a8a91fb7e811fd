import csv

from ml.experiments.failure_detection import parse_args
from ml.experiments.learning_curve import PRESETS, STRATEGIES, run
from tests.ml.test_failure_detection import flags

TINY = {
    "dataset": "synthetic",
    "seeds": 2,
    "cycles": 2,
    "initial": 8,
    "pool": 12,
    "val": 8,
    "budget": 4,
    "epochs": 1,
    "warm-epochs": 1,
    "head-epochs": 1,
    "channels": 8,
    "workers": 1,
}


def test_tiny_run_writes_curve_table_and_plots(tmp_path):
    config = parse_args([*flags(TINY), "--out", str(tmp_path)], presets=PRESETS, strategies=STRATEGIES)
    rows = run(config, command="python -m ml.experiments.learning_curve")
    assert len(rows) == len(STRATEGIES) * 2 * 2
    with open(tmp_path / "runs.csv") as f:
        written = list(csv.DictReader(f))
    assert len(written) == len(STRATEGIES) * 2 * 2
    assert {"strategy", "seed", "stage", "labelled", "val_pck", "selected_pck", "spearman"} <= set(written[0])
    assert sorted({int(r["labelled"]) for r in written}) == [8, 12]
    # The strategies of a seed share their first stage, and part ways after it.
    assert len({r["val_pck"] for r in written if r["seed"] == "0" and r["stage"] == "1"}) == 1
    text = (tmp_path / "results.md").read_text()
    for heading in (
        "## Run",
        "## Validation",
        "## Labels saved vs random",
        "## Paired differences vs random",
        "## In words",
        "random's full-budget",
        "git commit",
    ):
        assert heading in text
    for name in ("curve.png", "differences.png", "scatter.png", "gamma.png"):
        assert 0 < (tmp_path / name).stat().st_size < 300_000


def test_cpu_preset_is_at_least_four_seeds_and_cycles():
    config = parse_args([], presets=PRESETS, strategies=STRATEGIES)
    assert config.seeds >= 4 and config.cycles >= 4 and config.strategies == STRATEGIES
