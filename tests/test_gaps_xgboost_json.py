"""XGBoost's JSON model checked as data before XGBoost reads it (issue 30, mutation testing of
``pose_demo/classifier/xgboost_json.py``): each check called directly on small hand-built JSON documents,
in this process. A valid document is accepted; each bound is met exactly and passed by one, and each check
refused with its own ``BadModel`` sentence, so that a check removed or loosened is seen even where a later
one would stop the document for another reason.

No document here is given to XGBoost (``tests/test_attacks.py`` loads crafted files through the library,
each in a process of its own); XGBoost only writes the one real model that the hand-built ones must match.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from pose_demo.classifier.xgboost_json import (
    MAX_NODES,
    MAX_TREES,
    ROOT_PARENT,
    BadModel,
    _dict,
    _floats,
    _ints,
    check_model,
    check_tree,
    whole,
)

FEATURES = 4
CATEGORY_ARRAYS = ("categories", "categories_nodes", "categories_segments", "categories_sizes")
INT_ARRAYS = ("left_children", "right_children", "parents", "split_indices", "default_left", "split_type")
FLOAT_ARRAYS = ("split_conditions", "base_weights", "loss_changes", "sum_hessian")


def tree(
    left: list[int], right: list[int], parents: list[int], index: int = 0, features: int = FEATURES
) -> dict[str, Any]:
    """A tree as ``Booster.save_raw("json")`` writes it, with these children and parents (splits on
    feature ``features - 1`` at every node, leaves on 0, as XGBoost writes them)."""
    n = len(left)
    return {
        "base_weights": [0.25 * k for k in range(n)],
        "categories": [],
        "categories_nodes": [],
        "categories_segments": [],
        "categories_sizes": [],
        "default_left": [1 if left[k] != -1 else 0 for k in range(n)],
        "id": index,
        "left_children": list(left),
        "loss_changes": [1.5] * n,
        "parents": list(parents),
        "right_children": list(right),
        "split_conditions": [0.5] * n,
        "split_indices": [features - 1 if left[k] != -1 else 0 for k in range(n)],
        "split_type": [0] * n,
        "sum_hessian": [3] * n,  # whole numbers are numbers too
        "tree_param": {
            "num_deleted": "0",
            "num_feature": str(features),
            "num_nodes": str(n),
            "size_leaf_vector": "1",
        },
    }


def five(index: int = 0) -> dict[str, Any]:
    """Root 0 splits into 1 (which splits into 3 and 4) and the leaf 2: a leaf is walked before a split
    node's children are reached."""
    return tree([1, 3, -1, -1, -1], [2, 4, -1, -1, -1], [ROOT_PARENT, 0, 0, 1, 1], index)


def leaf(index: int = 0) -> dict[str, Any]:
    return tree([-1], [-1], [ROOT_PARENT], index)


def model(trees: list[dict[str, Any]], classes: int = 2, indptr: list[int] | None = None) -> dict[str, Any]:
    """A whole document around ``trees`` (one per round and output, in order)."""
    outputs = 0 if classes == 2 else classes
    groups = max(1, outputs)
    return {
        "learner": {
            "attributes": {},
            "feature_names": [],
            "feature_types": [],
            "gradient_booster": {
                "model": {
                    "cats": {"enc": [], "feature_segments": [], "sorted_idx": []},
                    "gbtree_model_param": {"num_parallel_tree": "1", "num_trees": str(len(trees))},
                    "iteration_indptr": indptr or list(range(0, len(trees) + 1, groups)),
                    "tree_info": [k % groups for k in range(len(trees))],
                    "trees": trees,
                },
                "name": "gbtree",
            },
            "learner_model_param": {
                "base_score": "[5E-1]" if classes == 2 else "[" + ",".join(["3.3333334E-1"] * classes) + "]",
                "boost_from_average": "1",
                "num_class": str(outputs),
                "num_feature": str(FEATURES),
                "num_target": "1",
            },
            "objective": {"name": "binary:logistic" if classes == 2 else "multi:softprob"},
        },
        "version": [3, 2, 0],
    }


def refused(check: Any, *args: Any) -> str:
    with pytest.raises(BadModel) as error:
        check(*args)
    return str(error.value)


def tree_refused(t: dict[str, Any], index: int = 0, features: int = FEATURES) -> str:
    return refused(check_tree, t, index, features)


def model_refused(m: dict[str, Any], features: int = FEATURES, classes: int = 2) -> str:
    return refused(check_model, m, features, classes)


def learner(m: dict[str, Any]) -> dict[str, Any]:
    return m["learner"]


def forest(m: dict[str, Any]) -> dict[str, Any]:
    return m["learner"]["gradient_booster"]["model"]


# ---------------------------------------------------------------- numbers, objects and arrays


def test_whole_numbers_are_ints_or_decimal_strings_within_their_bounds() -> None:
    assert whole(3, "x", 3, 3) == 3
    assert whole("3", "x", 3, 3) == 3
    assert whole("-7", "x", -7, 0) == -7  # XGBoost's strings may be negative
    assert whole(0, "x", 0, 1) == 0 and whole(1, "x", 0, 1) == 1
    assert whole("2147483647", "x", 0, 2**31) == 2**31 - 1
    for value, low, high in ((4, 0, 3), ("4", 0, 3), (-1, 0, 3), ("-1", 0, 3), (2, 3, 3)):
        assert refused(whole, value, "x", low, high) == f"x is {int(value)}, not within {low}..{high}"
    for value in (
        True,
        False,
        1.0,
        2.5,
        None,
        [1],
        {"1": 1},
        "",
        "-",
        "1.0",
        "1e3",
        " 1",
        "1 ",
        "+1",
        "0x1",
        "X1",  # no other character than "-" stripped before the digits
        "XX1",
        "--1",  # one sign at most: int() would refuse it with its own error, not BadModel
        "1-",
    ):
        assert (
            refused(whole, value, "tree 2's num_nodes", 0, 10) == "tree 2's num_nodes is not a whole number"
        )


def test_objects_are_dicts() -> None:
    value = {"a": 1}
    assert _dict(value, "x") is value
    assert _dict({}, "x") == {}
    for value in (None, [], "{}", 1):
        assert refused(_dict, value, "tree 3's tree_param") == "tree 3's tree_param is not an object"


def test_int_arrays_have_their_length_whole_numbers_and_32_bit_range() -> None:
    values = _ints([-(2**31), 0, 2**32 - 1], "x", 3)
    assert values.dtype == np.int64 and values.tolist() == [-(2**31), 0, 2**32 - 1]
    empty = _ints([], "x", 0)
    assert empty.dtype == np.int64 and empty.shape == (0,)
    for values, n in (([1, 2], 3), ([1, 2, 3, 4], 3), ((1, 2, 3), 3), (None, 0), ("123", 3)):
        assert refused(_ints, values, "parents", n) == f"parents does not have {n} entries"
    for bad in (True, 1.0, "1", None):
        assert refused(_ints, [0, bad], "parents", 2) == "parents has entries that are not whole numbers"
    for bad in (-(2**31) - 1, 2**32, 2**63):
        assert refused(_ints, [0, bad], "parents", 2) == "parents has entries out of range"
        assert refused(_ints, [bad, 0], "parents", 2) == "parents has entries out of range"


def test_float_arrays_have_their_length_and_finite_numbers() -> None:
    assert _floats([0, 1.5, -2.25, 1e300], "x", 4) is None
    assert _floats([], "x", 0) is None
    for values, n in (([1.0], 2), ([1.0, 2.0, 3.0], 2), ((1.0, 2.0), 2), (None, 0)):
        assert refused(_floats, values, "sum_hessian", n) == f"sum_hessian does not have {n} entries"
    for bad in (float("nan"), float("inf"), float("-inf"), True, "1", None):
        assert (
            refused(_floats, [1.0, bad], "sum_hessian", 2)
            == "sum_hessian has entries that are not finite numbers"
        )


# ---------------------------------------------------------------- one tree


def test_proper_trees_are_accepted() -> None:
    check_tree(five(), 0, FEATURES)
    check_tree(leaf(), 0, FEATURES)  # one node: a tree that is only a leaf
    check_tree(five(7), 7, FEATURES)  # its id is its place in the model
    check_tree(tree([1, -1, -1], [2, -1, -1], [ROOT_PARENT, 0, 0], features=1), 0, 1)  # split on feature 0
    no_leaf_vector = five()
    no_leaf_vector["tree_param"]["size_leaf_vector"] = "0"
    check_tree(no_leaf_vector, 0, FEATURES)
    # A full tree of the deepest size training allows: MAX_NODES nodes, node k splitting into 2k+1, 2k+2.
    inner = MAX_NODES // 2
    left = [2 * k + 1 if k < inner else -1 for k in range(MAX_NODES)]
    right = [2 * k + 2 if k < inner else -1 for k in range(MAX_NODES)]
    parents = [ROOT_PARENT] + [(k - 1) // 2 for k in range(1, MAX_NODES)]
    check_tree(tree(left, right, parents), 0, FEATURES)
    # Children in any order, up to the last node: root 0 splits into 2 (which splits into 3 and 4) and 1.
    t = tree([2, -1, 3, -1, -1], [1, -1, 4, -1, -1], [ROOT_PARENT, 0, 0, 2, 2])
    check_tree(t, 0, FEATURES)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("num_nodes", "0", "tree 0's num_nodes is 0, not within 1..8191"),
        ("num_nodes", str(MAX_NODES + 1), "tree 0's num_nodes is 8192, not within 1..8191"),
        ("num_nodes", "5.0", "tree 0's num_nodes is not a whole number"),
        ("num_feature", str(FEATURES - 1), "tree 0's num_feature is 3, not within 4..4"),
        ("num_feature", str(FEATURES + 1), "tree 0's num_feature is 5, not within 4..4"),
        ("num_deleted", "1", "tree 0's num_deleted is 1, not within 0..0"),
        ("num_deleted", "-1", "tree 0's num_deleted is -1, not within 0..0"),
        ("size_leaf_vector", "2", "tree 0's size_leaf_vector is 2, not within 0..1"),
        ("size_leaf_vector", "-1", "tree 0's size_leaf_vector is -1, not within 0..1"),
    ],
)
def test_each_tree_parameter_is_held_to_its_bounds(key: str, value: str, expected: str) -> None:
    t = five()
    t["tree_param"][key] = value
    assert tree_refused(t) == expected
    del t["tree_param"][key]
    assert tree_refused(t) == expected.split(" is ")[0] + " is not a whole number"


def test_a_tree_is_an_object_with_its_parameters_and_its_place() -> None:
    assert tree_refused([five()]) == "tree 0 is not an object"
    t = five()
    t["tree_param"] = [t["tree_param"]]
    assert tree_refused(t, 0) == "tree 0's tree_param is not an object"
    del t["tree_param"]
    assert tree_refused(t, 3) == "tree 3's tree_param is not an object"
    assert tree_refused(five(0), 1) == "tree 1's id is 0, not within 1..1"
    assert tree_refused(five(2), 1) == "tree 1's id is 2, not within 1..1"
    t = five(1)
    t["id"] = "one"
    assert tree_refused(t, 1) == "tree 1's id is not a whole number"


@pytest.mark.parametrize("name", CATEGORY_ARRAYS)
def test_categorical_splits_are_refused(name: str) -> None:
    for value in ([0], [[]], None, {}):
        t = five()
        t[name] = value
        assert tree_refused(t) == "tree 0 has categorical splits", (name, value)
    del t[name]
    assert tree_refused(t) == "tree 0 has categorical splits"


@pytest.mark.parametrize("name", INT_ARRAYS + FLOAT_ARRAYS)
def test_each_array_has_one_entry_per_node(name: str) -> None:
    for values in (five()[name][:-1], [*five()[name], 0], None):
        t = five(2)
        t[name] = values
        assert tree_refused(t, 2) == f"tree 2's {name} does not have 5 entries", values
    t = five(2)
    t[name][3] = float("nan") if name in FLOAT_ARRAYS else 0.0
    kind = "finite numbers" if name in FLOAT_ARRAYS else "whole numbers"
    assert tree_refused(t, 2) == f"tree 2's {name} has entries that are not {kind}"


def test_splits_are_on_the_features_there_are() -> None:
    t = five(1)
    t["split_indices"][1] = FEATURES - 1  # the last feature: accepted
    check_tree(t, 1, FEATURES)
    for node in (0, 1, 4):  # at the root, an inner node, a leaf
        for bad in (FEATURES, -1, 100_000):
            t = five(1)
            t["split_indices"][node] = bad
            assert tree_refused(t, 1) == f"tree 1 splits on a feature past the {FEATURES} there are", bad


def test_splits_are_numerical_with_a_default_direction() -> None:
    t = five()
    t["default_left"] = [0, 1, 0, 1, 1]
    check_tree(t, 0, FEATURES)
    for name, node, bad in (
        ("default_left", 1, 2),
        ("default_left", 0, -1),
        ("split_type", 0, 1),
        ("split_type", 3, -1),
    ):
        t = five()
        t[name][node] = bad
        assert tree_refused(t) == "tree 0 has a split of an unknown kind", (name, node, bad)


def test_nodes_have_two_children_or_none() -> None:
    for name in ("left_children", "right_children"):
        t = five()
        t[name][1] = -1  # node 1 loses one child
        assert tree_refused(t) == "tree 0 has a node with one child"
        t = five()
        t[name][2] = 3  # the leaf 2 gains one
        assert tree_refused(t) == "tree 0 has a node with one child"


def test_children_are_nodes_of_the_tree_other_than_the_root() -> None:
    for name in ("left_children", "right_children"):
        for node in (0, 1):
            for bad in (0, 5, -2, 2_000_000_000):
                t = five()
                t[name][node] = bad
                assert tree_refused(t) == "tree 0 has a child index out of range", (name, node, bad)


def test_the_root_has_no_parent() -> None:
    for bad in (0, -1, ROOT_PARENT - 1, 2**32 - 1):
        t = five()
        t["parents"][0] = bad
        assert tree_refused(t) == "tree 0's root has a parent", bad
    t = leaf()
    t["parents"] = [0]
    assert tree_refused(t) == "tree 0's root has a parent"


def test_each_node_is_reached_once_from_the_root_by_its_parent() -> None:
    twice = "tree 0 is not a tree: node {} is reached twice or has two parents"
    t = tree([1, -1], [1, -1], [ROOT_PARENT, 0])  # both children of the root are node 1: its parent is right
    assert tree_refused(t) == twice.format(1)
    t = five()
    t["right_children"][1] = 3  # node 3 twice under node 1, node 4 never
    assert tree_refused(t) == twice.format(3)
    t = five()
    t["right_children"][1] = 2  # node 2 under the root and under node 1
    assert tree_refused(t) == twice.format(2)
    t = five()
    t["parents"][3] = 0  # reached once, from node 1, but says its parent is the root
    assert tree_refused(t) == twice.format(3)
    t = five()
    t["parents"][2] = 1
    assert tree_refused(t) == twice.format(2)
    # A cycle: node 3 splits into node 1 (its own parent) and the root's leaf 2.
    t = tree([1, 3, -1, 1, -1], [2, 4, -1, 2, -1], [ROOT_PARENT, 0, 0, 1, 1])
    assert tree_refused(t) == twice.format(1)


def test_each_node_is_reached_from_the_root() -> None:
    t = tree([1, -1, -1, -1, -1], [2, -1, -1, -1, -1], [ROOT_PARENT, 0, 0, 1, 1])  # 3 and 4: no one's child
    assert tree_refused(t) == "tree 0 has nodes that the root does not reach"
    # Two nodes that are each other's children, apart from the root's tree.
    t = tree([1, -1, -1, 4, 3], [2, -1, -1, 4, 3], [ROOT_PARENT, 0, 0, 4, 3])
    assert tree_refused(t) == "tree 0 has nodes that the root does not reach"


# ---------------------------------------------------------------- the whole model


def test_xgboosts_own_documents_are_accepted_and_match_the_hand_built_ones() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((60, FEATURES)).astype(np.float32)
    for classes, params in (
        (2, {"objective": "binary:logistic", "max_depth": 2}),
        (3, {"objective": "multi:softprob", "num_class": 3, "max_depth": 2}),
    ):
        y = (x[:, 0] * classes).astype(int) if classes > 2 else x[:, 0] > 0.5
        document = json.loads(xgb.train(params, xgb.DMatrix(x, y), 2).save_raw("json"))
        check_model(document, FEATURES, classes)
        built = model([five(k) for k in range(2 * (classes if classes > 2 else 1))], classes)
        assert learner(built).keys() == learner(document).keys()
        assert forest(built).keys() == forest(document).keys()
        assert five().keys() == forest(document)["trees"][0].keys()
        assert five()["tree_param"].keys() == forest(document)["trees"][0]["tree_param"].keys()
        for key in ("num_class", "num_feature", "num_target"):
            assert learner(built)["learner_model_param"][key] == learner(document)["learner_model_param"][key]
        for key in ("iteration_indptr", "tree_info", "gbtree_model_param"):
            assert forest(built)[key] == forest(document)[key], key


def test_hand_built_models_are_accepted() -> None:
    check_model(model([five()]), FEATURES, 2)
    check_model(model([five(0), leaf(1), five(2)]), FEATURES, 2)
    check_model(model([five(k) for k in range(6)], 3), FEATURES, 3)  # 2 rounds of 3 outputs
    check_model(model([five(k) for k in range(4)], 4), FEATURES, 4)  # one round of 4 outputs
    m = model([five(k) for k in range(3)], indptr=[0, 3])  # three trees in one round
    check_model(m, FEATURES, 2)
    m = model([five()])
    learner(m)["feature_names"] = [f"f{k}" for k in range(FEATURES)]
    learner(m)["feature_types"] = ["float"] * FEATURES
    check_model(m, FEATURES, 2)
    del learner(m)["feature_names"], learner(m)["feature_types"], forest(m)["cats"]
    check_model(m, FEATURES, 2)  # none of them is needed
    forest(m)["cats"] = {}
    learner(m)["learner_model_param"]["base_score"] = "0.25"  # a number without brackets
    check_model(m, FEATURES, 2)
    learner(m)["learner_model_param"]["base_score"] = "[-2.5E0]"
    check_model(m, FEATURES, 2)


def test_the_most_trees_training_allows_pass_the_count_and_one_more_does_not() -> None:
    """``MAX_TREES`` leaves pass the count and are refused by the next check (``num_trees`` set to 1), not
    checked one by one; one more is refused by the count itself."""
    base = leaf()
    trees = [{**base, "id": k} for k in range(MAX_TREES)]
    m = model(trees, indptr=[0, MAX_TREES])
    forest(m)["gbtree_model_param"]["num_trees"] = "1"
    assert model_refused(m) == f"num_trees is 1, not within {MAX_TREES}..{MAX_TREES}"
    trees.append({**base, "id": MAX_TREES})
    expected = f"there must be 1 to {MAX_TREES} trees"
    assert model_refused(model(trees, indptr=[0, MAX_TREES + 1])) == expected
    assert model_refused(model([])) == expected
    m = model([five()])
    forest(m)["trees"] = {"0": five()}
    assert model_refused(m) == expected
    del forest(m)["trees"]
    assert model_refused(m) == expected


def test_the_objects_of_a_model_are_objects() -> None:
    assert model_refused([model([five()])]) == "the model is not an object"
    for path, name in (
        (("learner",), "learner"),
        (("learner", "learner_model_param"), "learner_model_param"),
        (("learner", "objective"), "objective"),
        (("learner", "gradient_booster"), "gradient_booster"),
        (("learner", "gradient_booster", "model"), "the gbtree model"),
        (("learner", "gradient_booster", "model", "cats"), "cats"),
        (("learner", "gradient_booster", "model", "gbtree_model_param"), "gbtree_model_param"),
    ):
        for bad in ([], None):
            m = model([five()])
            parent = m
            for key in path[:-1]:
                parent = parent[key]
            if bad is None and path[-1] != "cats":
                del parent[path[-1]]
            else:
                parent[path[-1]] = bad
            assert model_refused(m) == f"{name} is not an object", (path, bad)


@pytest.mark.parametrize(
    ("key", "value", "classes", "expected"),
    [
        ("num_feature", str(FEATURES - 1), 2, "num_feature is 3, not within 4..4"),
        ("num_feature", str(FEATURES + 1), 2, "num_feature is 5, not within 4..4"),
        ("num_feature", 4.0, 2, "num_feature is not a whole number"),
        ("num_class", "1", 2, "num_class is 1, not within 0..0"),
        ("num_class", "2", 2, "num_class is 2, not within 0..0"),
        ("num_class", "0", 3, "num_class is 0, not within 3..3"),
        ("num_class", "2", 3, "num_class is 2, not within 3..3"),
        ("num_class", "4", 3, "num_class is 4, not within 3..3"),
        ("num_target", "0", 2, "num_target is 0, not within 1..1"),
        ("num_target", "2", 2, "num_target is 2, not within 1..1"),
        ("base_score", 0.5, 2, "base_score is not a number"),
        ("base_score", None, 2, "base_score is not a number"),
        ("base_score", "[half]", 2, "base_score is not a number"),
        ("base_score", "X5E-1X", 2, "base_score is not a number"),  # only the brackets stripped
        ("base_score", "", 2, "base_score is not a number"),
        ("base_score", "[5E-1;5E-1;5E-1]", 3, "base_score is not a number"),
        ("base_score", "[NaN]", 2, "base_score is not finite"),
        ("base_score", "[5E-1,inf,1]", 3, "base_score is not finite"),
        ("base_score", "-Infinity", 2, "base_score is not finite"),
    ],
)
def test_the_learners_parameters_are_held_to_the_projects_model(
    key: str, value: Any, classes: int, expected: str
) -> None:
    m = model([five(k) for k in range(classes if classes > 2 else 1)], classes)
    learner(m)["learner_model_param"][key] = value
    assert model_refused(m, FEATURES, classes) == expected


def test_the_objective_is_the_one_of_the_number_of_classes() -> None:
    binary, multi = model([five()]), model([five(k) for k in range(3)], 3)
    learner(binary)["objective"]["name"] = "multi:softprob"
    learner(multi)["objective"]["name"] = "binary:logistic"
    listed = "binary:logistic, multi:softprob"
    assert model_refused(binary) == f"the objective is not one of {listed} for 2 classes"
    assert model_refused(multi, FEATURES, 3) == f"the objective is not one of {listed} for 3 classes"
    for name in ("reg:squarederror", "multi:softmax", None):
        m = model([five()])
        learner(m)["objective"]["name"] = name
        assert model_refused(m) == f"the objective is not one of {listed} for 2 classes"


@pytest.mark.parametrize("name", ["feature_names", "feature_types"])
def test_feature_names_and_types_name_every_feature_or_none(name: str) -> None:
    for values in (["f"], ["f"] * (FEATURES - 1), ["f"] * (FEATURES + 1), "abcd", None, {"0": "f"}):
        m = model([five()])
        learner(m)[name] = values
        assert model_refused(m) == f"{name} does not name the {FEATURES} features", values


def test_the_booster_is_a_gbtree_without_categories() -> None:
    for name in ("dart", "gblinear", None):
        m = model([five()])
        learner(m)["gradient_booster"]["name"] = name
        assert model_refused(m) == "the booster is not a gbtree"
    for key in ("enc", "feature_segments", "sorted_idx", "other"):
        m = model([five()])
        forest(m)["cats"][key] = [0]
        assert model_refused(m) == "the model has categorical features", key
        forest(m)["cats"][key] = None
        assert model_refused(m) == "the model has categorical features", key


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("num_trees", "1", "num_trees is 1, not within 2..2"),
        ("num_trees", "3", "num_trees is 3, not within 2..2"),
        ("num_parallel_tree", "0", "num_parallel_tree is 0, not within 1..1"),
        ("num_parallel_tree", "2", "num_parallel_tree is 2, not within 1..1"),
    ],
)
def test_the_forests_parameters_count_its_trees(key: str, value: str, expected: str) -> None:
    m = model([five(0), five(1)])
    forest(m)["gbtree_model_param"][key] = value
    assert model_refused(m) == expected


def test_each_tree_belongs_to_an_output_the_model_has() -> None:
    binary = model([five(0), five(1)])
    forest(binary)["tree_info"] = [0, 0]
    check_model(binary, FEATURES, 2)
    for groups in ([0, 1], [-1, 0], [0, 3]):  # two classes: one output, 0
        forest(binary)["tree_info"] = groups
        assert model_refused(binary) == "tree_info names an output the model does not have", groups
    multi = model([five(k) for k in range(3)], 3)
    forest(multi)["tree_info"] = [2, 0, 1]
    check_model(multi, FEATURES, 3)
    for groups in ([0, 1, 3], [-1, 1, 2]):
        forest(multi)["tree_info"] = groups
        assert model_refused(multi, FEATURES, 3) == "tree_info names an output the model does not have", (
            groups
        )
    for groups in ([0], [0, 0, 0], None, [0, 0.0]):
        forest(binary)["tree_info"] = groups
        assert model_refused(binary).startswith("tree_info "), groups


def test_the_rounds_cover_the_trees_in_order() -> None:
    m = model([five(k) for k in range(3)])
    for indptr in ([0, 3], [0, 1, 3], [0, 2, 3], [0, 1, 2, 3]):
        forest(m)["iteration_indptr"] = indptr
        check_model(m, FEATURES, 2)
    for indptr in (
        [3],
        [0],
        [0, 1, 2, 3, 3],
        [0, 1, 1, 3],
        [1, 3],
        [0, 2],
        [0, 4],
        [0, 2, 1, 3],
        [-1, 3],
        "03",
        None,
    ):
        forest(m)["iteration_indptr"] = indptr
        assert model_refused(m) == "iteration_indptr does not match the trees", indptr
    forest(m)["iteration_indptr"] = [0, 1.5, 3]
    assert model_refused(m) == "iteration_indptr has entries that are not whole numbers"


def test_every_tree_is_checked_at_its_place() -> None:
    for bad in range(3):
        trees = [five(k) for k in range(3)]
        trees[bad]["left_children"][0] = 0
        assert model_refused(model(trees)) == f"tree {bad} has a child index out of range"
    trees = [five(k) for k in range(3)]
    trees[2]["tree_param"]["num_feature"] = "5"
    assert model_refused(model(trees)) == "tree 2's num_feature is 5, not within 4..4"
    assert model_refused(model([five(0), five(0)])) == "tree 1's id is 0, not within 1..1"
    m = model([five()])
    learner(m)["learner_model_param"]["num_feature"] = "5"
    assert model_refused(m, 5) == "tree 0's num_feature is 4, not within 5..5"  # the trees' own count
