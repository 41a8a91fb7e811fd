"""Projects filled with synthetic figures and their true labels, through the real services."""

from alweb.demo.services import synthetic_split_ensure


def seed_synthetic(*, project, user, train: int, val: int, pool: int, seed: int = 0) -> None:
    for split, count in (("train", train), ("val", val), ("pool", pool)):
        if count:
            synthetic_split_ensure(project=project, user=user, split=split, count=count, seed=seed)
