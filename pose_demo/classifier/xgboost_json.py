"""XGBoost's JSON model checked as data before XGBoost reads it.

XGBoost trusts the tree arrays it is given: a child index out of range, a cycle or a split on a feature
past the row's end makes its first prediction read outside its memory (a segmentation fault, which ends
the whole app). ``check_model`` accepts only what ``Booster.save_raw("json")`` writes for the boosters
this project trains (``gbtree``, numerical splits, ``binary:logistic`` or ``multi:softprob``): each tree a
proper binary tree (children in range, each node reached once from the root, parents consistent), split
indices below the feature count, consistent array lengths, finite values. Every refusal is a
``BadModel`` whose text says what is wrong (for the log; the user reads one plain sentence).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

OBJECTIVES = ("binary:logistic", "multi:softprob")
MAX_TREES = 100_000  # 2000 rounds x 50 classes, the most that training allows
MAX_NODES = 2**13 - 1  # a full tree of depth 12, the deepest that training allows
ROOT_PARENT = 2147483647  # XGBoost's "no parent"
FLOAT_ARRAYS = ("split_conditions", "base_weights", "loss_changes", "sum_hessian")
CATEGORY_ARRAYS = ("categories", "categories_nodes", "categories_segments", "categories_sizes")


class BadModel(ValueError):
    """An XGBoost JSON model that is not a well-formed model of this project's kind."""


def whole(value: Any, what: str, low: int, high: int) -> int:
    """``value`` (an int, or XGBoost's decimal string of one) within [low, high]; BadModel otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadModel(f"{what} is not a whole number")
    if isinstance(value, str) and not value.removeprefix("-").isdecimal():  # one sign at most
        raise BadModel(f"{what} is not a whole number")
    number = int(value)
    if not low <= number <= high:
        raise BadModel(f"{what} is {number}, not within {low}..{high}")
    return number


def _dict(data: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(data, dict):
        raise BadModel(f"{what} is not an object")
    return data


def _ints(values: Any, what: str, n: int) -> np.ndarray:
    if not isinstance(values, list) or len(values) != n:
        raise BadModel(f"{what} does not have {n} entries")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise BadModel(f"{what} has entries that are not whole numbers")
    if n and (min(values) < -(2**31) or max(values) >= 2**32):
        raise BadModel(f"{what} has entries out of range")
    return np.array(values, dtype=np.int64)


def _floats(values: Any, what: str, n: int) -> None:
    if not isinstance(values, list) or len(values) != n:
        raise BadModel(f"{what} does not have {n} entries")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values):
        raise BadModel(f"{what} has entries that are not finite numbers")


def check_tree(tree: Any, index: int, n_features: int) -> None:
    """One tree of ``n_features`` features: a proper binary tree with numerical splits."""
    tree = _dict(tree, f"tree {index}")
    params = _dict(tree.get("tree_param"), f"tree {index}'s tree_param")
    n = whole(params.get("num_nodes"), f"tree {index}'s num_nodes", 1, MAX_NODES)
    whole(params.get("num_feature"), f"tree {index}'s num_feature", n_features, n_features)
    whole(params.get("num_deleted"), f"tree {index}'s num_deleted", 0, 0)
    whole(params.get("size_leaf_vector"), f"tree {index}'s size_leaf_vector", 0, 1)
    whole(tree.get("id"), f"tree {index}'s id", index, index)
    for name in CATEGORY_ARRAYS:
        if tree.get(name) != []:
            raise BadModel(f"tree {index} has categorical splits")
    names = ("left_children", "right_children", "parents", "split_indices", "default_left", "split_type")
    left, right, parents, split_indices, default_left, split_type = (
        _ints(tree.get(name), f"tree {index}'s {name}", n) for name in names
    )
    for name in FLOAT_ARRAYS:
        _floats(tree.get(name), f"tree {index}'s {name}", n)
    if ((split_indices < 0) | (split_indices >= n_features)).any():
        raise BadModel(f"tree {index} splits on a feature past the {n_features} there are")
    if ((default_left != 0) & (default_left != 1)).any() or (split_type != 0).any():
        raise BadModel(f"tree {index} has a split of an unknown kind")
    leaf = left == -1
    if (leaf != (right == -1)).any():
        raise BadModel(f"tree {index} has a node with one child")
    children = np.concatenate([left[~leaf], right[~leaf]])
    if ((children < 1) | (children >= n)).any():
        raise BadModel(f"tree {index} has a child index out of range")
    if parents[0] != ROOT_PARENT:
        raise BadModel(f"tree {index}'s root has a parent")
    # Each node reached once from the root: a walk that never meets a node twice and meets them all.
    seen = np.zeros(n, dtype=bool)
    seen[0] = True
    stack = [0]
    while stack:
        node = stack.pop()
        if leaf[node]:
            continue
        for child in (int(left[node]), int(right[node])):
            if seen[child] or parents[child] != node:
                raise BadModel(
                    f"tree {index} is not a tree: node {child} is reached twice or has two parents"
                )
            seen[child] = True
            stack.append(child)
    if not seen.all():
        raise BadModel(f"tree {index} has nodes that the root does not reach")


def check_model(model: Any, n_features: int, n_classes: int) -> None:
    """A whole JSON model (``Booster.save_raw("json")`` parsed) for ``n_features`` features and
    ``n_classes`` classes (2: one output; more: one per class); BadModel if anything is off."""
    model = _dict(model, "the model")
    learner = _dict(model.get("learner"), "learner")
    params = _dict(learner.get("learner_model_param"), "learner_model_param")
    whole(params.get("num_feature"), "num_feature", n_features, n_features)
    outputs = 0 if n_classes == 2 else n_classes
    whole(params.get("num_class"), "num_class", outputs, outputs)
    whole(params.get("num_target"), "num_target", 1, 1)
    base_score = params.get("base_score")
    if not isinstance(base_score, str):
        raise BadModel("base_score is not a number")
    try:
        scores = [float(s) for s in base_score.strip("[]").split(",")]
    except ValueError:
        raise BadModel("base_score is not a number") from None
    if not all(math.isfinite(s) for s in scores):
        raise BadModel("base_score is not finite")
    objective = _dict(learner.get("objective"), "objective")
    if objective.get("name") != ("binary:logistic" if n_classes == 2 else "multi:softprob"):
        raise BadModel(f"the objective is not one of {', '.join(OBJECTIVES)} for {n_classes} classes")
    for name in ("feature_names", "feature_types"):
        values = learner.get(name, [])
        if not isinstance(values, list) or len(values) not in (0, n_features):
            raise BadModel(f"{name} does not name the {n_features} features")
    booster = _dict(learner.get("gradient_booster"), "gradient_booster")
    if booster.get("name") != "gbtree":
        raise BadModel("the booster is not a gbtree")
    forest = _dict(booster.get("model"), "the gbtree model")
    if any(values != [] for values in _dict(forest.get("cats", {}), "cats").values()):
        raise BadModel("the model has categorical features")
    trees = forest.get("trees")
    if not isinstance(trees, list) or not 1 <= len(trees) <= MAX_TREES:
        raise BadModel(f"there must be 1 to {MAX_TREES} trees")
    forest_params = _dict(forest.get("gbtree_model_param"), "gbtree_model_param")
    whole(forest_params.get("num_trees"), "num_trees", len(trees), len(trees))
    whole(forest_params.get("num_parallel_tree"), "num_parallel_tree", 1, 1)
    groups = _ints(forest.get("tree_info"), "tree_info", len(trees))
    if ((groups < 0) | (groups >= max(1, outputs))).any():
        raise BadModel("tree_info names an output the model does not have")
    indptr = forest.get("iteration_indptr")
    if not isinstance(indptr, list) or not 2 <= len(indptr) <= len(trees) + 1:
        raise BadModel("iteration_indptr does not match the trees")
    steps = _ints(indptr, "iteration_indptr", len(indptr))
    if steps[0] != 0 or steps[-1] != len(trees) or (np.diff(steps) < 1).any():
        raise BadModel("iteration_indptr does not match the trees")
    for index, tree in enumerate(trees):
        check_tree(tree, index, n_features)
