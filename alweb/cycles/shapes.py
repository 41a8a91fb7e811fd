"""The typed shapes of a cycle's progress and metrics: what its JSON fields hold and clients read.

Whoever builds or reads `Cycle.progress` or `Cycle.metrics` goes through these, so a key is
named in one place. Unknown keys in stored JSON are dropped on read.
"""

import dataclasses
from dataclasses import dataclass

# Where a cycle's network starts, as its progress and the dashboard say.
PREVIOUS_CYCLE = "previous_cycle"  # the active model's weights, same architecture
IMAGENET = "imagenet"  # a ResNet backbone from BACKBONE_WEIGHTS
RANDOM_NO_FILE = "random_no_backbone_weights"  # a ResNet that could start from ImageNet but has no file
RANDOM = "random"  # a network without pretrained weights (the hourglasses)
STARTING_WEIGHTS = (PREVIOUS_CYCLE, IMAGENET, RANDOM_NO_FILE, RANDOM)


@dataclass(frozen=True)
class CycleProgress:
    """Where a running cycle is; sent live as the "cycle.progress" event and served by the API."""

    phase: str  # queued, training, training_head (the loss head alone), scoring or ready
    epoch: int | None = None
    epochs: int | None = None
    step: int | None = None
    steps: int | None = None
    eta_s: float | None = None
    losses: dict[str, float] | None = None  # the latest value of each training loss
    starting_weights: str | None = None  # where the network started: one of STARTING_WEIGHTS

    @classmethod
    def from_json(cls, data: dict) -> "CycleProgress":
        return cls(**({key: data[key] for key in _field_names(cls) if key in data} | {"phase": data.get("phase", "")}))

    def as_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CycleMetrics:
    """What a cycle measured: its model's validation PCK and how well its ranking found failures."""

    labelled: int = 0  # selected images labelled so far, each measured against its label
    selected: int | None = None  # images the cycle put in the queue, audit sample included
    pck_selected: float | None = None  # mean PCK of the model on the labelled selected images
    pck_selected_ci: list[float] | None = None  # its 95 % interval
    audit_labelled: int = 0  # images of the audit sample labelled and measured so far
    pck_audit: float | None = None  # mean PCK on them: what a random choice would have found
    pck_audit_ci: list[float] | None = None
    ranking_verdict: str | None = None  # found, not_found, unclear or too_few (outcomes.ranking_verdict)
    spearman: float | None = None  # rank correlation of predicted and realized loss over the measured images
    kendall: float | None = None
    val_pck: float | None = None  # PCK of the cycle's model on the validation split

    @classmethod
    def from_json(cls, data: dict) -> "CycleMetrics":
        return cls(**{key: data[key] for key in _field_names(cls) if key in data})

    def as_json(self) -> dict:
        return dataclasses.asdict(self)


def _field_names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]
