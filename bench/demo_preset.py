"""Demo preset: validation PCK@0.2 after each epoch against training seconds, on 2 CPU threads.

Trains candidate presets of hg-tiny on today's synthetic LSP-14 images (128 px, seeds as the demo:
train 1, val 2) with ml.train.fit, evaluates 300 validation images after every epoch (outside the
timed part: from the progress callback, its seconds subtracted) and records the wall seconds and
the load average. The lr follows TrainConfig.schedule over the epochs; the head-only epochs
(head_epochs) are left out, as they do not change the pose network. The machine is shared, so the
table also gives an idle estimate from a best-of-N speed probe (--speed N). Runs are kept in a JSON
file (--results).

    python -m bench.demo_preset --speed 5              # probe, then every candidate not yet run
    python -m bench.demo_preset --only c96-64 --cap 240
    python -m bench.demo_preset --report --plot docs/results/demo_preset.png
"""

import argparse
import contextlib
import dataclasses
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ml.data import KeypointDataset
from ml.evaluate import evaluate
from ml.metrics import pck, per_image_pck, torso_size
from ml.models import create_model
from ml.skeletons import LSP14
from ml.synthetic import generate
from ml.train import Progress, TrainConfig, fit

IMAGE_SIZE, TRAIN_SEED, VAL_SEED, VAL_IMAGES, POOL_IMAGES = 128, 1, 2, 300, 2000


@dataclass(frozen=True)
class Candidate:
    name: str
    input_size: int = 128
    channels: int = 64
    depth: int = 3
    train_images: int = 200
    epochs: int = 8
    lr: float = 1e-3
    batch_size: int = 16
    schedule: str = "constant"


CANDIDATES = [
    Candidate("today", train_images=200, epochs=8),
    Candidate("c128-64", train_images=1000, epochs=6, lr=2e-3, schedule="cosine"),
    Candidate("c96-64", input_size=96, train_images=1000, epochs=10, lr=2e-3, schedule="cosine"),
    Candidate("c64-64", input_size=64, train_images=1000, epochs=16, lr=2e-3, schedule="cosine"),
]


def dataset(images, *, count: int, input_size: int, train: bool) -> KeypointDataset:
    """The first `count` images of a SyntheticSet."""
    arrays = (images.images[:count], images.keypoints[:count], images.visibility[:count])
    return KeypointDataset(*arrays, skeleton=LSP14, input_size=input_size, train=train)


def validation_pck(model, val, val_set) -> tuple[float, float]:
    """(pooled PCK@0.2, the mean of per-image PCK@0.2 that the product shows)."""
    scores = evaluate(model, val_set, device="cpu")
    torso = torso_size(val.keypoints, val.visibility, LSP14)
    pooled = pck(scores.keypoints, val.keypoints, val.visibility, torso, 0.2)
    per_image = float(np.nanmean(per_image_pck(scores.keypoints, val.keypoints, val.visibility, torso, 0.2)))
    return pooled, per_image


class CapReached(Exception):
    """Raised from the progress callback to stop a candidate past its wall-clock cap."""


def run(candidate: Candidate, train, val, *, cap_s: float) -> dict:
    """One fit call (the schedule spans all epochs); stops after the epoch that passes cap_s seconds."""
    model = create_model("hg-tiny", input_size=candidate.input_size, channels=candidate.channels, depth=candidate.depth)
    train_set = dataset(train, count=candidate.train_images, input_size=candidate.input_size, train=True)
    val_set = dataset(val, count=VAL_IMAGES, input_size=candidate.input_size, train=False)
    config = TrainConfig(
        epochs=candidate.epochs, batch_size=candidate.batch_size, lr=candidate.lr, schedule=candidate.schedule
    )
    rows, started, untimed = [], time.perf_counter(), 0.0

    def on_progress(progress: Progress) -> None:
        nonlocal untimed
        if not progress.epoch_end:
            return
        paused = time.perf_counter()
        trained = paused - started - untimed
        pooled, per_image = validation_pck(model, val, val_set)
        seconds = trained - sum(r["seconds"] for r in rows)
        row = {"epoch": progress.epoch, "seconds": seconds, "pck": pooled, "pck_per_image": per_image}
        rows.append(row | {"load": os.getloadavg()[0], "pose_loss": progress.losses["pose"]})
        print(f"  {candidate.name} {rows[-1]}", flush=True)
        untimed += time.perf_counter() - paused
        if trained > cap_s:
            raise CapReached

    with tempfile.TemporaryDirectory() as folder, contextlib.suppress(CapReached):
        checkpoint = Path(folder) / "checkpoint.pt"
        fit(model, train_set, config=config, device="cpu", checkpoint_path=checkpoint, progress=on_progress)
    return {"candidate": dataclasses.asdict(candidate), "epochs": rows}


def speed_key(c: dict) -> str:
    return f"{c['input_size']}/{c['channels']}/{c['depth']}/{c['batch_size']}"


def measure_speed(candidates: list[Candidate], train, *, reps: int) -> dict[str, dict]:
    """Best-of-reps training img/s (data, forward, backward, Adam step) and scoring img/s per preset,
    interleaved across presets: the fastest repetition estimates the speed on an idle machine."""
    best: dict[str, dict] = {}
    for _ in range(reps):
        for c in {speed_key(dataclasses.asdict(c)): c for c in candidates}.values():
            model = create_model("hg-tiny", input_size=c.input_size, channels=c.channels, depth=c.depth)
            train_set = dataset(train, count=c.batch_size, input_size=c.input_size, train=True)
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
            step_s = []
            for _ in range(3):
                start = time.perf_counter()
                batch = [train_set[i] for i in range(c.batch_size)]
                images = torch.stack([item["image"] for item in batch])
                out = model(images)
                pose = (out.heatmaps[:, -1] - torch.stack([item["heatmaps"] for item in batch])).square().mean()
                optimizer.zero_grad()
                (pose + out.loss.mean()).backward()
                optimizer.step()
                step_s.append(time.perf_counter() - start)
            model.eval()
            with torch.inference_mode():
                start = time.perf_counter()
                model(images)
                forward_s = time.perf_counter() - start
            key = speed_key(dataclasses.asdict(c))
            old = best.get(key, {"train_img_s": 0.0, "score_img_s": 0.0})
            # The first step of a fresh model pays one-off allocation; keep the best of the later ones.
            best[key] = {
                "train_img_s": max(old["train_img_s"], c.batch_size / min(step_s[1:])),
                "score_img_s": max(old["score_img_s"], c.batch_size / forward_s),
            }
    return best


def idle_seconds(candidate: dict, speed: dict[str, dict]) -> float:
    """Estimated idle-machine seconds of one epoch, from the speed probe."""
    return candidate["train_images"] / speed[speed_key(candidate)]["train_img_s"]


def summary(result: dict, speed: dict[str, dict]) -> dict:
    """The figures of one run: measured and idle-estimated training seconds, scoring estimate, PCK."""
    rows, c = result["epochs"], result["candidate"]
    return {
        "name": c["name"],
        "preset": f"{c['input_size']}px c{c['channels']} d{c['depth']}",
        "images": c["train_images"],
        "epochs": f"{len(rows)}/{c['epochs']}",
        "lr": f"{c['lr']:g} {c['schedule']} bs{c['batch_size']}",
        "wall_s": sum(r["seconds"] for r in rows),
        "idle_s": idle_seconds(c, speed) * c["epochs"],
        "score_s": POOL_IMAGES / speed[speed_key(c)]["score_img_s"],
        "load": float(np.mean([r["load"] for r in rows])),
        "pck": rows[-1]["pck"],
        "pck_img": rows[-1]["pck_per_image"],
        "curve": " ".join(f"{r['pck']:.2f}" for r in rows),
    }


def print_table(results: dict) -> None:
    header = "| candidate | preset | train imgs | epochs run/planned | lr, schedule, batch | train s wall | train s "
    header += "idle est. (planned epochs) | score 2000 s idle est. | load | val PCK@0.2 | per-image | PCK by epoch |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for s in (summary(r, results["speed"]) for r in results["runs"]):
        print(
            f"| {s['name']} | {s['preset']} | {s['images']} | {s['epochs']} | {s['lr']} | {s['wall_s']:.0f} "
            f"| {s['idle_s']:.0f} | {s['score_s']:.0f} | {s['load']:.1f} | {s['pck']:.3f} "
            f"| {s['pck_img']:.3f} | {s['curve']} |"
        )


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for result in results["runs"]:
        rows, name = result["epochs"], result["candidate"]["name"]
        pcks = [r["pck"] for r in rows]
        axes[0].plot(np.cumsum([r["seconds"] for r in rows]), pcks, marker="o", ms=3, label=name)
        epoch_s = idle_seconds(result["candidate"], results["speed"])
        axes[1].plot(epoch_s * np.arange(1, len(rows) + 1), pcks, marker="o", ms=3, label=name)
    titles = ("measured wall (shared, loaded machine)", "idle estimate (speed probe)")
    for ax, title in zip(axes, titles, strict=True):
        ax.axvspan(150, 200, color="0.9", zorder=0)
        ax.axhline(0.5, color="0.5", ls="--", lw=1)
        ax.set_xlabel(f"training seconds, {title}")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("validation PCK@0.2 (300 images, pooled)")
    axes[1].legend(fontsize=8)
    fig.suptitle("Demo first cycle: hg-tiny variants on synthetic LSP-14, 2 CPU threads (grey: 150-200 s budget)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated candidate names (default: those not yet in --results)")
    parser.add_argument("--results", type=Path, default=Path(tempfile.gettempdir()) / "demo_preset.json")
    parser.add_argument("--cap", type=float, default=300.0, help="stop a candidate past this many wall seconds")
    parser.add_argument("--speed", type=int, default=0, help="run the speed probe with this many repetitions")
    parser.add_argument("--report", action="store_true", help="only print the table (and plot) from --results")
    parser.add_argument("--plot", type=Path, help="write the PCK-against-seconds plot here")
    args = parser.parse_args()
    torch.set_num_threads(2)
    results = json.loads(args.results.read_text()) if args.results.exists() else {"runs": [], "speed": {}}
    done = {r["candidate"]["name"] for r in results["runs"]}
    wanted = args.only.split(",") if args.only else [c.name for c in CANDIDATES if c.name not in done]
    chosen = [] if args.report else [c for c in CANDIDATES if c.name in wanted]
    train = generate(max([c.train_images for c in chosen] + [32]), seed=TRAIN_SEED, size=IMAGE_SIZE)
    val = generate(VAL_IMAGES, seed=VAL_SEED, size=IMAGE_SIZE)
    if args.speed:
        results["speed"].update(measure_speed(CANDIDATES, train, reps=args.speed))
        print(json.dumps(results["speed"], indent=1), f"load {os.getloadavg()[0]:.1f}")
    for candidate in chosen:
        print(f"{candidate} (load {os.getloadavg()[0]:.1f})", flush=True)
        run_result = run(candidate, train, val, cap_s=args.cap)
        results["runs"] = [r for r in results["runs"] if r["candidate"]["name"] != candidate.name] + [run_result]
        args.results.write_text(json.dumps(results, indent=1))
    args.results.write_text(json.dumps(results, indent=1))
    print_table(results)
    if args.plot:
        plot(results, args.plot)


if __name__ == "__main__":
    main()
