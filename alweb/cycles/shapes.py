"""The typed shapes of a cycle's progress and metrics: what its JSON fields hold and clients read.

Whoever builds or reads `Cycle.progress` or `Cycle.metrics` goes through these, so a key is
named in one place. Unknown keys in stored JSON are dropped on read.
"""

import dataclasses
from dataclasses import dataclass


@dataclass(frozen=True)
class CycleProgress:
    """Where a running cycle is; sent live as the "cycle.progress" event and served by the API."""

    phase: str  # queued, training, scoring or ready
    epoch: int | None = None
    epochs: int | None = None
    step: int | None = None
    steps: int | None = None
    eta_s: float | None = None
    losses: dict[str, float] | None = None  # the latest value of each training loss

    @classmethod
    def from_json(cls, data: dict) -> "CycleProgress":
        return cls(**({key: data[key] for key in _field_names(cls) if key in data} | {"phase": data.get("phase", "")}))

    def as_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class CycleMetrics:
    """What a cycle measured: its model's validation PCK and how well its ranking found failures."""

    labelled: int = 0  # selected images labelled so far, each measured against its label
    selected: int | None = None  # images the cycle put in the queue
    pck_selected: float | None = None  # mean PCK of the model on the labelled selected images
    spearman: float | None = None  # rank correlation of predicted and realized loss over them
    kendall: float | None = None
    val_pck: float | None = None  # PCK of the cycle's model on the validation split

    @classmethod
    def from_json(cls, data: dict) -> "CycleMetrics":
        return cls(**{key: data[key] for key in _field_names(cls) if key in data})

    def as_json(self) -> dict:
        return dataclasses.asdict(self)


def _field_names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]
