"""The selection strategies an admin can choose, and what each trains the loss head with."""
from dataclasses import dataclass


@dataclass(frozen=True)
class StrategyChoice:
    ml_strategy: str      # name in ml.strategies.STRATEGIES
    objective: str        # head objective in ml.train.TrainConfig
    head: str             # loss-head variant in ml.models


STRATEGY_CHOICES: dict[str, StrategyChoice] = {
    "ll_plus_plus": StrategyChoice("ll_plus_plus", "ll_plus_plus", "gap"),
    "ll_plus_plus_conv": StrategyChoice("ll_plus_plus", "ll_plus_plus", "conv"),
    "learning_loss": StrategyChoice("learning_loss", "learning_loss", "gap"),
    "random": StrategyChoice("random", "ll_plus_plus", "gap"),
    "coreset": StrategyChoice("coreset", "ll_plus_plus", "gap"),
    "multipeak_entropy": StrategyChoice("multipeak_entropy", "ll_plus_plus", "gap"),
}
DEFAULT_STRATEGY = "ll_plus_plus"
