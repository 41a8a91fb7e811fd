"""Scoring cost: FLOPs, forward throughput, score_pool from files, top-down crops of several people per
image, loss-head overhead, MC-dropout.

All timings are interleaved (one repetition of every measurement, then the next) and reported as
medians, so a noisy shared machine slows them alike. An image is one network input: a whole image
(letterboxed) or one person's crop.

    python -m bench.scoring                                   # hg-tiny on CPU
    python -m bench.scoring --model hg-paper --device cuda --bf16
    python -m bench.scoring --model resnet18-simple --images 16 --reps 1 --mc-passes 2
"""

import argparse
import contextlib
import itertools
import statistics
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image
from torch.utils.flop_counter import FlopCounterMode

from ml.models import PRESETS, create_model
from ml.precision import autocast_for
from ml.preprocess import to_input
from ml.score import score_pool
from ml.synthetic import SyntheticScenes, generate, generate_scenes
from ml.topdown import crop_instance


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device: torch.device) -> float:
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def write_images(directory: Path, images, fmt: str) -> list[Path]:
    paths = []
    for i, image in enumerate(images):
        path = directory / f"{i:05d}.{fmt}"
        Image.fromarray(image).save(path, **({"quality": 90} if fmt == "jpg" else {}))
        paths.append(path)
    return paths


def write_scenes(directory: Path, scenes: SyntheticScenes) -> list[Path]:
    paths = []
    for i, image in enumerate(scenes.images):
        path = directory / f"scene-{i:05d}.jpg"
        Image.fromarray(image).save(path, quality=90)
        paths.append(path)
    return paths


def crop_batch(scenes: SyntheticScenes, batch_size: int, input_size: int) -> torch.Tensor:
    """The scenes' first batch_size people as score_pool crops them (repeated if fewer): [B,3,S,S]."""
    people = ((image, box) for image, boxes in zip(scenes.images, scenes.boxes) for box in boxes)
    chosen = itertools.islice(itertools.cycle(list(people)), batch_size)
    return torch.stack([to_input(crop_instance(image, box, input_size=input_size)[0]) for image, box in chosen])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="hg-tiny", choices=sorted(PRESETS))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast for the forward timings (GPU)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--images", type=int, default=256, help="images (or crops) per score_pool repetition")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--mc-passes", type=int, default=10)
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    device = torch.device(args.device)
    # A batch larger than a repetition's images would time images that score_pool never sees together.
    batch_size = min(args.batch_size, args.images)
    torch.manual_seed(0)
    model = create_model(args.model).eval().to(device)
    # Same weights with dropout before the heatmap layers, the only change MC-dropout needs.
    mc_model = create_model(args.model, dropout=0.1).to(device)
    mc_model.load_state_dict(model.state_dict())
    mc_model.eval()
    for module in mc_model.modules():
        if isinstance(module, torch.nn.Dropout2d):
            module.train()
    size = model.config.input_size
    images = generate(args.images, seed=0, size=size).images
    scenes = generate_scenes(max(1, round(args.images / 2.5)), seed=0)  # 2.5 people a scene on average
    # The forward-only baselines run on the pictures score_pool reads (the first batch of them), so that
    # both sides of each ratio compute on the same content.
    x = torch.stack([to_input(image) for image in images[:batch_size]]).to(device)
    x_crops = crop_batch(scenes, batch_size, size).to(device)
    # On a GPU, --bf16 times the forward in the precision score_pool always uses there; on a CPU,
    # where the library stays in float32, it shows what bf16 autocast would give.
    if not args.bf16:
        autocast = contextlib.nullcontext()
    elif device.type == "cuda":
        autocast = autocast_for(device)
    else:
        autocast = torch.autocast(device.type, dtype=torch.bfloat16)

    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(x[:1])
    flops = counter.get_total_flops()
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model.backbone(x[:1])
    head_flops = flops - counter.get_total_flops()

    # As many images as one score_pool repetition, so every timing spans seconds, not one batch.
    batches = max(1, args.images // batch_size)

    def forward_with_head(inputs: torch.Tensor = x):
        with torch.inference_mode(), autocast:
            for _ in range(batches):
                model(inputs)

    def forward_without_head():
        with torch.inference_mode(), autocast:
            for _ in range(batches):
                _, features, _ = model.backbone(x)
                features.mean(dim=(2, 3))

    with torch.inference_mode():
        _, features, scales = model.backbone(x)
        pooled = features.mean(dim=(2, 3))

    def head_only():
        with torch.inference_mode(), autocast:
            for _ in range(batches):
                model.head(pooled, scales)

    def mc_dropout():  # one batch: at T passes it costs about T forward batches
        with torch.inference_mode(), autocast:
            heatmaps = torch.stack([mc_model(x).heatmaps[:, -1] for _ in range(args.mc_passes)])
            heatmaps.var(dim=0).mean(dim=(1, 2, 3))

    with tempfile.TemporaryDirectory() as tmp:
        files = {fmt: write_images(Path(tmp), images, fmt) for fmt in ("png", "jpg")}
        scene_files, boxes = write_scenes(Path(tmp), scenes), scenes.boxes
        crops = sum(len(b) for b in boxes)
        tasks = {
            "forward": forward_with_head,
            "forward_crops": lambda: forward_with_head(x_crops),
            "forward_no_head": forward_without_head,
            "head_only": head_only,
            "mc_dropout": mc_dropout,
            "score_png": lambda: score_pool(model, files["png"], device=device, batch_size=batch_size),
            "score_jpg": lambda: score_pool(model, files["jpg"], device=device, batch_size=batch_size),
            "score_topdown": lambda: score_pool(model, scene_files, boxes=boxes, device=device, batch_size=batch_size),
        }
        for task in tasks.values():  # warm-up: allocator, cudnn autotune, page cache
            task()
        times: dict[str, list[float]] = {name: [] for name in tasks}
        order = list(tasks.items())
        for rep in range(args.reps):
            # Rotate the order: score_pool's decode threads wind down after it returns, and
            # whichever task always came next would pay for them.
            for name, task in order[rep % len(order) :] + order[: rep % len(order)]:
                times[name].append(timed(task, device))

    median = {name: statistics.median(t) for name, t in times.items()}
    forward_ips = batches * batch_size / median["forward"]
    forward_crops_per_s = batches * batch_size / median["forward_crops"]
    mc_ips = batch_size / median["mc_dropout"]
    print(
        f"model {args.model} ({sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters), "
        f"input {size}x{size}, device {device}, bf16 {args.bf16}, batch {batch_size}, "
        f"torch threads {torch.get_num_threads()}, medians of {args.reps} interleaved repetitions"
    )
    print(f"FLOPs per image (or crop):      {flops / 1e9:.3f} GFLOP (loss head {head_flops / 1e6:.3f} MFLOP)")
    print(f"forward only (tensors, + head):  {forward_ips:8.1f} images/s")
    for fmt in ("png", "jpg"):
        ips = args.images / median[f"score_{fmt}"]
        print(
            f"score_pool from {fmt.upper()} files:    {ips:8.1f} images/s   ratio to forward {ips / forward_ips:.2f} "
            f"(target >= 0.75)"
        )
    crops_per_s = crops / median["score_topdown"]
    print(f"forward only (crops, + head):    {forward_crops_per_s:8.1f} crops/s")
    print(
        f"score_pool top-down, JPEG:      {crops_per_s:8.1f} crops/s    ratio to forward "
        f"{crops_per_s / forward_crops_per_s:.2f} (target >= 0.7; {crops} people in {len(scene_files)} 640x480 scenes)"
    )
    # The head alone against the network without it: a difference of two whole forwards would
    # drown a cost this small in the machine's noise (runs here vary by +-15%).
    overhead = median["head_only"] / median["forward_no_head"]
    print(f"loss head overhead:             {100 * overhead:+.2f}% of plain inference (target <= 5%)")
    print(
        f"{args.mc_passes}-pass MC-dropout scoring:     {mc_ips:8.1f} images/s   "
        f"{forward_ips / mc_ips:.1f}x the cost of one pass with the loss head"
    )


if __name__ == "__main__":
    main()
