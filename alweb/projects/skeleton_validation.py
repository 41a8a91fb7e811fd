"""Validation of a project's skeleton: keypoint names, edges and flip pairs."""

import re

from alweb.errors import InvalidInput

MAX_KEYPOINTS = 100

# The words a keypoint's name splits into: separators (space, -, _, .) and camelCase boundaries,
# so that "left_knee", "l-knee", "LKnee" and "left knee" all read as a side word and "knee".
# frontend/static/projects/skeleton_rules.js applies the same rule while the admin types.
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_MIRROR = {"left": "right", "right": "left", "l": "r", "r": "l"}


def _words(name: str) -> list[str]:
    return [word.lower() for word in _WORDS.findall(name)]


def are_mirror_names(first: str, second: str) -> bool:
    """Whether swapping the left/right words of one name gives the other (left_knee / right_knee)."""
    words = _words(first)
    if not any(word in _MIRROR for word in words):
        return False
    return [_MIRROR.get(word, word) for word in words] == _words(second)


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
    # Training mirrors images and swaps each pair's points: a pair that is not one joint's left and
    # right twin would teach the model to confuse two different joints.
    for i, j in flip_pairs:
        if not are_mirror_names(keypoints[i], keypoints[j]):
            raise InvalidInput(
                {
                    "flip_pairs": f"{keypoints[i]!r} and {keypoints[j]!r} are not a left/right pair: their names must "
                    "differ only by a left/right word (left_knee/right_knee, l-knee/r-knee, LKnee/RKnee)."
                }
            )
