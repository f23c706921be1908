"""The COCO-17 skeleton, loaded from its data file (``pose_demo/skeletons/coco17.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

SKELETON_DIR = Path(__file__).parent / "skeletons"


@dataclass(frozen=True)
class Skeleton:
    """Keypoint names, limbs (index pairs) with BGR colours, and left/right pairs for flipping."""

    name: str
    keypoints: tuple[str, ...]
    limbs: tuple[tuple[int, int], ...]
    limb_colors: tuple[tuple[int, int, int], ...]
    keypoint_colors: tuple[tuple[int, int, int], ...]
    flip_pairs: tuple[tuple[int, int], ...]

    def index(self, name: str) -> int:
        return self.keypoints.index(name)

    @property
    def flip_index(self) -> list[int]:
        """Permutation that swaps left and right keypoints (for flip testing)."""
        order = list(range(len(self.keypoints)))
        for a, b in self.flip_pairs:
            order[a], order[b] = b, a
        return order


@cache
def load_skeleton(name: str = "coco17") -> Skeleton:
    data = yaml.safe_load((SKELETON_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    names = tuple(data["keypoints"])
    colors = {k: tuple(v) for k, v in data["colors"].items()}
    limbs = tuple((names.index(a), names.index(b)) for a, b, _ in data["limbs"])
    limb_colors = tuple(colors[group] for _, _, group in data["limbs"])
    kp_colors = tuple(colors[data["keypoint_groups"][n]] for n in names)
    flip = tuple((names.index(a), names.index(b)) for a, b in data["flip_pairs"])
    return Skeleton(data["name"], names, limbs, limb_colors, kp_colors, flip)


COCO17 = load_skeleton("coco17")
