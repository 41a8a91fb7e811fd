"""Scoring cost: FLOPs, the forward's share of what the machine's convolutions reach, score_pool from
files (and their decode, against Pillow alone), top-down crops of several people per image, loss-head
overhead, MC-dropout.

The roof is the best the machine does on dense work, timed in the same run: on a CPU a large 3x3
convolution in the forward's memory format and precision, on a GPU a large matrix product in the
forward's precision. All timings are interleaved (one repetition of every measurement, then the next)
and reported as medians, so a noisy shared machine slows them alike. An image is one network input: a
whole image (letterboxed) or one person's crop. On a CPU score_pool runs one stream per torch thread, up
to ml.score_streams.MAX_STREAMS, so the forward is also timed in that layout, and score_pool's ratios are
to the faster of the two layouts.

    python -m bench.scoring                                   # hg-tiny on CPU
    python -m bench.scoring --model hg-paper --device cuda --bf16
    python -m bench.scoring --model resnet18-simple --images 16 --reps 1 --mc-passes 2

The process keeps the memory it frees, as workers do (ml/allocator.py), and its idle OpenMP threads
stop spinning as theirs do (ml/openmp.py; GOMP_SPINCOUNT=300000 in the environment restores the
library's default, to compare).
"""

import argparse
import contextlib
import itertools
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ml.allocator import keep_freed_memory
from ml.inference import inference_model
from ml.models import PRESETS, create_model
from ml.precision import autocast_for
from ml.preprocess import load_image, standardise_batch
from ml.score import score_pool
from ml.score_streams import run_in_streams, stream_layout
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


def decode_with_pillow(paths: list[Path]) -> None:
    """Each file decoded as Pillow alone decodes it (what load_image falls back to)."""
    for path in paths:
        with Image.open(path) as im:
            np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def decode_with_load_image(paths: list[Path]) -> None:
    for path in paths:
        load_image(path)


def input_batch(pixels) -> torch.Tensor:
    """Images [S,S,3] uint8 as score_pool feeds them to the network: [B,3,S,S] standardised, channels-last."""
    return standardise_batch(torch.from_numpy(np.stack(list(pixels))))


def crop_batch(scenes: SyntheticScenes, batch_size: int, input_size: int) -> torch.Tensor:
    """The scenes' first batch_size people as score_pool crops them (repeated if fewer): [B,3,S,S]."""
    people = ((image, box) for image, boxes in zip(scenes.images, scenes.boxes) for box in boxes)
    chosen = itertools.islice(itertools.cycle(list(people)), batch_size)
    return input_batch(crop_instance(image, box, input_size=input_size)[0] for image, box in chosen)


class Roof:
    """The machine's best dense work, to compare the forward with: call it to run once; .flops per run.

    CPU: a 3x3 convolution, 256 -> 256 channels on 64x64 maps, channels-last, in `autocast`, its batch
    sized to run about a second. CUDA: 8192x8192 matrix products in bfloat16 (bf16) or float32, ten a run.
    """

    def __init__(self, device: torch.device, autocast, bf16: bool):
        self.device, self.autocast = device, autocast
        if device.type == "cuda":
            n, self.repeats = 8192, 10
            dtype = torch.bfloat16 if bf16 else torch.float32
            self.a, self.b = (torch.randn(n, n, device=device, dtype=dtype) for _ in range(2))
            self.flops = 2 * n**3 * self.repeats
            self.description = f"{self.repeats} {n}x{n} matrix products, {dtype}"
            return
        self.conv = nn.Conv2d(256, 256, 3, padding=1, bias=False).eval().to(device, memory_format=torch.channels_last)
        self.maps = self._maps(1)
        self()  # warm-up, then size the batch to about a second
        batch = max(1, min(64, round(1.0 / timed(self, device))))
        self.maps = self._maps(batch)
        self.flops = 2 * 256 * 256 * 9 * 64 * 64 * batch
        self.description = f"3x3 conv 256->256 on 64x64, batch {batch}, channels-last, {'bf16' if bf16 else 'float32'}"

    def _maps(self, batch: int) -> torch.Tensor:
        return torch.randn(batch, 256, 64, 64, device=self.device).contiguous(memory_format=torch.channels_last)

    def __call__(self) -> None:
        with torch.inference_mode(), self.autocast:
            if self.device.type == "cuda":
                for _ in range(self.repeats):
                    torch.mm(self.a, self.b)
            else:
                self.conv(self.maps)


def verdict(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


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
    allocator = "freed memory kept" if keep_freed_memory() else "the C library's defaults"
    if args.threads:
        torch.set_num_threads(args.threads)

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error(f"--device {args.device}: this machine has no CUDA device PyTorch can use")
    # A batch larger than a repetition's images would time images that score_pool never sees together.
    batch_size = min(args.batch_size, args.images)
    torch.manual_seed(0)
    model = create_model(args.model).eval().to(device)
    # What score_pool runs: the same weights, BatchNorm folded, channels-last.
    network = inference_model(model)
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
    x = input_batch(images[:batch_size]).to(device)
    x_as_trained = x.contiguous()  # the layout training feeds the network
    x_crops = crop_batch(scenes, batch_size, size).to(device)
    # On a GPU, --bf16 times the forward in the precision score_pool always uses there; on a CPU,
    # where the library stays in float32, it shows what bf16 autocast would give.
    if not args.bf16:
        autocast = contextlib.nullcontext()
    elif device.type == "cuda":
        autocast = autocast_for(device)
    else:
        autocast = torch.autocast(device.type, dtype=torch.bfloat16)
    roof = Roof(device, autocast, args.bf16)

    # Counted on the network as trained: folding BatchNorm removes none of its convolutions' work.
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model(x_as_trained[:1])
    flops = counter.get_total_flops()
    with FlopCounterMode(display=False) as counter, torch.inference_mode():
        model.backbone(x_as_trained[:1])
    head_flops = flops - counter.get_total_flops()

    # As many images as one score_pool repetition, so every timing spans seconds, not one batch.
    batches = max(1, args.images // batch_size)

    def forward_with_head(net: nn.Module = network, inputs: torch.Tensor = x):
        with torch.inference_mode(), autocast:
            for _ in range(batches):
                net(inputs)

    def forward_one_batch(inputs: torch.Tensor) -> None:
        with torch.inference_mode(), autocast:  # both hold for the calling thread only
            network(inputs)

    def forward_in_streams(inputs: torch.Tensor = x):
        # score_pool's layout on a CPU: one stream per torch thread (ml/score_streams.py).
        for _ in run_in_streams(itertools.repeat(inputs, batches), forward_one_batch):
            pass

    def forward_without_head():
        with torch.inference_mode(), autocast:
            for _ in range(batches):
                _, features, _ = network.backbone(x)
                features.mean(dim=(2, 3))

    with torch.inference_mode():
        _, features, scales = network.backbone(x)
        pooled = features.mean(dim=(2, 3))

    def head_only():
        with torch.inference_mode(), autocast:
            for _ in range(batches):
                network.head(pooled, scales)

    def mc_dropout():  # one batch: at T passes it costs about T forward batches
        with torch.inference_mode(), autocast:
            heatmaps = torch.stack([mc_model(x).heatmaps[:, -1] for _ in range(args.mc_passes)])
            heatmaps.var(dim=0).mean(dim=(1, 2, 3))

    with tempfile.TemporaryDirectory() as tmp:
        files = {fmt: write_images(Path(tmp), images, fmt) for fmt in ("png", "jpg")}
        scene_files, boxes = write_scenes(Path(tmp), scenes), scenes.boxes
        crops = sum(len(b) for b in boxes)
        tasks = {
            "roof": roof,
            "forward": forward_with_head,
            "forward_as_trained": lambda: forward_with_head(model, x_as_trained),
            "forward_crops": lambda: forward_with_head(network, x_crops),
            "forward_no_head": forward_without_head,
            "head_only": head_only,
            "mc_dropout": mc_dropout,
            "score_png": lambda: score_pool(model, files["png"], device=device, batch_size=batch_size),
            "score_jpg": lambda: score_pool(model, files["jpg"], device=device, batch_size=batch_size),
            "decode_png_pillow": lambda: decode_with_pillow(files["png"]),
            "decode_png": lambda: decode_with_load_image(files["png"]),
            "decode_jpg_pillow": lambda: decode_with_pillow(files["jpg"]),
            "decode_jpg": lambda: decode_with_load_image(files["jpg"]),
            "score_topdown": lambda: score_pool(model, scene_files, boxes=boxes, device=device, batch_size=batch_size),
        }
        if device.type == "cpu":  # score_pool's layout there
            tasks["forward_streams"] = forward_in_streams
            tasks["forward_crops_streams"] = lambda: forward_in_streams(x_crops)
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
    roof_gflops = roof.flops / median["roof"] / 1e9
    forward_ips = batches * batch_size / median["forward"]
    as_trained_ips = batches * batch_size / median["forward_as_trained"]
    # score_pool's ratios are to the faster layout of the forward: on a CPU, also one stream per torch thread.
    forward_crops_per_s = (
        batches * batch_size / min(median.get("forward_crops_streams", math.inf), median["forward_crops"])
    )
    best_forward_ips = batches * batch_size / min(median.get("forward_streams", math.inf), median["forward"])
    mc_ips = batch_size / median["mc_dropout"]
    print(
        f"model {args.model} ({sum(p.numel() for p in model.parameters()) / 1e6:.2f} M parameters), "
        f"input {size}x{size}, device {device}, bf16 {args.bf16}, batch {batch_size}, "
        f"torch threads {torch.get_num_threads()}, malloc {allocator}, "
        f"OpenMP idle spins {os.environ.get('GOMP_SPINCOUNT', 'the library default')}, "
        f"medians of {args.reps} interleaved repetitions"
    )
    print(
        f"FLOPs per image (or crop):      {flops / 1e9:.3f} GFLOP (loss head {head_flops / 1e6:.3f} MFLOP; "
        "torch.utils.flop_counter.FlopCounterMode: convolutions and matrix products at 2 FLOPs a multiply-add, "
        "not BatchNorm, activations, pooling or sums)"
    )
    print(f"roof ({roof.description}): {roof_gflops:8.1f} GFLOP/s")
    as_trained_share = as_trained_ips * flops / 1e9 / roof_gflops
    print(
        f"forward as trained (BatchNorm, contiguous):  {as_trained_ips:8.1f} images/s "
        f"{as_trained_ips * flops / 1e9:6.1f} GFLOP/s = {as_trained_share:.2f} of the roof"
    )
    share = forward_ips * flops / 1e9 / roof_gflops
    print(
        f"forward for scoring (BatchNorm folded, channels-last, + head): {forward_ips:8.1f} images/s "
        f"{forward_ips * flops / 1e9:6.1f} GFLOP/s = {share:.2f} of the roof "
        f"(target: above the network as trained, {as_trained_share:.2f}) {verdict(share > as_trained_share)}"
    )
    if "forward_streams" in median:
        streams, each = stream_layout(torch.get_num_threads())
        print(
            f"the same forward in score_pool's streams ({streams} x {each} torch threads): "
            f"{batches * batch_size / median['forward_streams']:8.1f} images/s "
            f"(score_pool's ratios are to the faster of the two, {best_forward_ips:.1f})"
        )
    for fmt in ("png", "jpg"):
        pillow, ours = (1e6 * median[f"decode_{fmt}{way}"] / args.images for way in ("_pillow", ""))
        print(
            f"decode a {fmt.upper()} file (one thread): Pillow alone {pillow:6.1f} us, "
            f"load_image (ml/fast_decode.py) {ours:6.1f} us, {pillow / ours:.2f}x"
        )
    for fmt in ("png", "jpg"):
        ips = args.images / median[f"score_{fmt}"]
        ratio = ips / best_forward_ips
        print(
            f"score_pool from {fmt.upper()} files:    {ips:8.1f} images/s   ratio to forward {ratio:.2f} "
            f"(target >= 0.85) {verdict(ratio >= 0.85)}"
        )
    crops_per_s = crops / median["score_topdown"]
    topdown_ratio = crops_per_s / forward_crops_per_s
    print(f"forward only (crops, + head, the faster layout): {forward_crops_per_s:8.1f} crops/s")
    print(
        f"score_pool top-down, JPEG:      {crops_per_s:8.1f} crops/s    ratio to forward {topdown_ratio:.2f} "
        f"(target >= 0.7; {crops} people in {len(scene_files)} 640x480 scenes) {verdict(topdown_ratio >= 0.7)}"
    )
    # The head alone against the network without it: a difference of two whole forwards would
    # drown a cost this small in the machine's noise (runs here vary by +-15%).
    overhead = median["head_only"] / median["forward_no_head"]
    print(
        f"loss head overhead:             {100 * overhead:+.2f}% of plain inference (target <= 5%) "
        f"{verdict(overhead <= 0.05)}"
    )
    print(
        f"{args.mc_passes}-pass MC-dropout scoring:     {mc_ips:8.1f} images/s   "
        f"{forward_ips / mc_ips:.1f}x the cost of one pass with the loss head"
    )


if __name__ == "__main__":
    main()
