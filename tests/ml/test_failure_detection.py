import csv

from ml.experiments.failure_detection import PRESETS, STRATEGIES, parse_args, run

TINY = {
    "dataset": "synthetic",
    "seeds": 2,
    "initial": 8,
    "pool": 16,
    "val": 8,
    "budget": 4,
    "epochs": 1,
    "head-epochs": 1,
    "channels": 8,
    "workers": 1,
}


def flags(values: dict) -> list[str]:
    return [text for name, value in values.items() for text in (f"--{name}", str(value))]


def test_presets_and_overrides():
    config = parse_args(["--preset", "quick", "--seeds", "1", "--strategies", "random,ll_plus_plus_conv"])
    assert config.initial == PRESETS["quick"]["initial"] and config.seeds == 1
    assert config.strategies == ("random", "ll_plus_plus_conv")
    cpu = parse_args([])
    assert cpu.seeds >= 6 and cpu.head_epochs == 10 and cpu.strategies == STRATEGIES
    assert parse_args(["--preset", "paper"]).model == "hg-paper"
    assert parse_args(["--quick"]).seeds == PRESETS["quick"]["seeds"]


def test_tiny_run_writes_results_csv_and_plots(tmp_path):
    rows = run(parse_args([*flags(TINY), "--out", str(tmp_path)]), command="python -m ml.experiments.failure_detection")
    assert [(r["strategy"], r["seed"]) for r in rows] == [(s, seed) for s in STRATEGIES for seed in (0, 1)]
    with open(tmp_path / "runs.csv") as f:
        written = list(csv.DictReader(f))
    assert len(written) == len(STRATEGIES) * 2
    assert {
        "strategy",
        "seed",
        "stage",
        "labelled",
        "selected_pck",
        "top10_true_loss",
        "spearman",
        "kendall",
        "val_pck",
        "gamma_k",
        "gamma_theta",
    } <= set(written[0])
    # One network per seed: everything but the selection is shared by the strategies of a seed.
    assert len({(r["val_pck"], r["gamma_k"]) for r in written if r["seed"] == "0"}) == 1
    text = (tmp_path / "results.md").read_text()
    for heading in (
        "## Run",
        "## Per strategy",
        "## Paired differences over seeds",
        "## In words",
        "git commit",
        "LL++ - LL",
        "LL++ - random",
        "LL++conv - LL++",
        "Wilcoxon p",
        "undefined correlation",
    ):
        assert heading in text
    for name in ("differences.png", "scatter.png", "gamma.png"):
        assert 0 < (tmp_path / name).stat().st_size < 300_000
