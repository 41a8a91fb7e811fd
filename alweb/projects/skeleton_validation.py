"""Validation of a project's skeleton: keypoint names, edges and flip pairs."""

from alweb.errors import InvalidInput

MAX_KEYPOINTS = 100


def validate_skeleton(*, keypoints: list[str], edges: list[list[int]], flip_pairs: list[list[int]]) -> None:
    """Raise InvalidInput naming the first problem with the skeleton."""
    if not keypoints:
        raise InvalidInput({"keypoints": "A skeleton needs at least one keypoint."})
    if len(keypoints) > MAX_KEYPOINTS:
        raise InvalidInput({"keypoints": f"At most {MAX_KEYPOINTS} keypoints."})
    if len(set(keypoints)) != len(keypoints):
        raise InvalidInput({"keypoints": "Keypoint names must be unique."})
    for field, pairs in (("edges", edges), ("flip_pairs", flip_pairs)):
        for pair in pairs:
            if len(pair) != 2 or not all(0 <= i < len(keypoints) for i in pair) or pair[0] == pair[1]:
                raise InvalidInput({field: f"{pair} must be two different keypoint indices below {len(keypoints)}."})
    flipped = [i for pair in flip_pairs for i in pair]
    if len(set(flipped)) != len(flipped):
        raise InvalidInput({"flip_pairs": "A keypoint can be in at most one flip pair."})
