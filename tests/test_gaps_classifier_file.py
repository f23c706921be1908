"""Classifier files (issue 30, gap 6): the header checks that keep a model from reading the wrong columns
or naming two outputs alike. Each crafted file is refused with its own message, so that a check removed
is seen even where a later one (or XGBoost) would stop the file for another reason.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from pose_demo.classifier.features import FEATURES
from pose_demo.classifier.model import MAX_CLASSES, Classifier
from pose_demo.classifier.model_file import (
    MAX_CLASS_NAME,
    MAX_FILE_BYTES,
    ClassifierFileError,
    classifier_document,
    load_classifier,
    save_classifier,
)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    """A real classifier file's document: XGBoost trained on this project's features (3 classes)."""
    rng = np.random.default_rng(1)
    x = rng.random((300, len(FEATURES.names))).astype(np.float32)
    y = (x[:, 0] > 0.5).astype(int) + (x[:, 3] > 0.5).astype(int)
    params = {"objective": "multi:softprob", "num_class": 3, "max_depth": 3}
    booster = xgb.train(params, xgb.DMatrix(x, y), 4)
    return classifier_document(Classifier(booster, ("standing", "half", "deep")))


def refused(document: dict[str, Any], tmp_path: Path) -> ClassifierFileError:
    path = tmp_path / "posture.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ClassifierFileError) as error:
        load_classifier(path, "posture.json")
    return error.value


def test_the_untouched_file_loads_and_predicts_as_saved(document: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "posture.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    loaded = load_classifier(path)
    assert loaded.classes == ("standing", "half", "deep")
    features = np.random.default_rng(2).random((5, len(FEATURES.names))).astype(np.float32)
    probabilities = loaded.feature_probabilities(features)
    assert probabilities.shape == (5, 3)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize(
    "change",
    [
        lambda names: [f"{names[0]}_x", *names[1:]],  # one name altered
        lambda names: [names[1], names[0], *names[2:]],  # two columns swapped: same names, other order
        lambda names: names[::-1],
    ],
    ids=["renamed", "swapped", "reversed"],
)
def test_feature_names_other_than_the_projects_are_refused(
    document: dict[str, Any], tmp_path: Path, change: Callable[[list[str]], list[str]]
) -> None:
    """Same count, other names or order: the model would read its columns wrong without a word."""
    doc = copy.deepcopy(document)
    doc["features"]["names"] = change(list(FEATURES.names))
    assert len(doc["features"]["names"]) == len(FEATURES.names)
    error = refused(doc, tmp_path)
    assert error.message.key == "error.learn.file.feature_names"
    assert (
        str(error)
        == f"posture.json: its feature names differ from those of {FEATURES.version!r}: the file was altered."
    )


@pytest.mark.parametrize("delta", [1, -1, 20])
def test_a_model_reading_another_number_of_features_is_refused(
    document: dict[str, Any], tmp_path: Path, delta: int
) -> None:
    doc = copy.deepcopy(document)
    params = doc["model"]["learner"]["learner_model_param"]
    found = len(FEATURES.names) + delta
    params["num_feature"] = str(found)
    error = refused(doc, tmp_path)
    assert error.message.key == "error.learn.file.n_features"
    assert error.message.params == {"name": "posture.json", "found": found, "expected": len(FEATURES.names)}


@pytest.mark.parametrize(
    "classes",
    [
        ["deep", "deep", "half"],
        ["standing", "half", "standing"],
        ["only"],
        ["a" * (MAX_CLASS_NAME + 1), "half", "deep"],
        ["", "half", "deep"],
        ["standing", 7, "deep"],
        [f"c{i}" for i in range(MAX_CLASSES + 1)],
    ],
    ids=["duplicate", "duplicate apart", "one class", "long name", "empty name", "not a name", "too many"],
)
def test_bad_class_lists_are_refused_as_a_file_error(
    document: dict[str, Any], tmp_path: Path, classes: list[Any]
) -> None:
    """A file error naming the file, not the classifier's own error (nor a model taken with two outputs of
    one name)."""
    doc = copy.deepcopy(document)
    doc["classes"] = classes
    error = refused(doc, tmp_path)
    assert type(error) is ClassifierFileError
    assert error.message.key == "error.learn.file.classes"
    assert error.message.params["name"] == "posture.json"


# ---------------------------------------------------------------- every refusal, in the user's words


def at(*keys: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The object reached by ``keys`` in a document (the learner's parameters, say)."""

    def get(doc: dict[str, Any]) -> dict[str, Any]:
        for key in keys:
            doc = doc[key]
        return doc

    return get


def changed(document: dict[str, Any], keys: tuple[str, ...], key: str, value: Any) -> dict[str, Any]:
    """A copy of ``document`` with ``value`` at ``keys`` + ``key`` (None as ``value``: the key removed)."""
    doc = copy.deepcopy(document)
    target = at(*keys)(doc)
    if value is None:
        del target[key]
    else:
        target[key] = value
    return doc


PARAMS = ("model", "learner", "learner_model_param")
KEYS = "format, format_version, features, classes, threshold, training, keypoints, model"


@pytest.mark.parametrize(
    ("keys", "key", "value", "text"),
    [
        (
            (),
            "format",
            "pose-demo-rules",
            'not a pose-demo classifier file (it has no "format": "pose-demo-classifier").',
        ),
        ((), "code", "print(1)", f"unknown keys ['code'] (a classifier file has only {KEYS})."),
        ((), "threshold", None, "missing keys ['threshold']: the file is incomplete."),
        (
            (),
            "format_version",
            2,
            "format version 2; this pose-demo reads version 1. Train the classifier again with this version.",
        ),
        ((), "features", ["names", "version"], '"features" must be {"version": ..., "names": [...]}.'),
        (("features",), "extra", 1, '"features" must be {"version": ..., "names": [...]}.'),
        (
            ("features",),
            "version",
            "pose-demo-keypoint-features/0",
            "made for the features 'pose-demo-keypoint-features/0'; "
            f"this pose-demo computes {FEATURES.version!r}. Train the classifier again with this version.",
        ),
        ((), "threshold", True, '"threshold" must be a probability between 0 and 1, not True.'),
        ((), "threshold", "0.5", "\"threshold\" must be a probability between 0 and 1, not '0.5'."),
        ((), "threshold", 0, '"threshold" must be a probability between 0 and 1, not 0.'),
        ((), "threshold", 1.0, '"threshold" must be a probability between 0 and 1, not 1.0.'),
        ((), "training", [], '"training" must be a JSON object.'),
        ((), "keypoints", "tinypose", '"keypoints" must be a JSON object.'),
        ((), "model", [], '"model" must be a JSON object.'),
        (("model",), "learner", None, '"model" is not an XGBoost JSON model.'),
        (PARAMS, "num_feature", "many", '"model" is not an XGBoost JSON model.'),
        (PARAMS, "num_class", None, '"model" is not an XGBoost JSON model.'),
        (PARAMS, "num_class", "5", "the model has 5 outputs for 3 classes: the file was altered."),
        (PARAMS, "num_class", "63", "the model has 63 outputs for 3 classes: the file was altered."),
        (PARAMS, "num_class", str(2**31 + 1), '"model" is not an XGBoost JSON model.'),
        (PARAMS, "num_feature", "0", f"the model reads 0 features, not the {len(FEATURES.names)} it should."),
        (PARAMS, "num_feature", str(2**31 + 1), '"model" is not an XGBoost JSON model.'),
        ((), "classes", ["deep"], '"classes" must be 2 to 50 different names (at most 64 long).'),
        (
            ("model", "learner", "objective", "softmax_multiclass_param"),
            "num_class",
            "x",
            '"model" could not be read by XGBoost '
            "(Invalid Parameter format for num_class expect int but value='x').",
        ),
    ],
)
def test_each_refusal_says_what_is_wrong(
    document: dict[str, Any], tmp_path: Path, keys: tuple[str, ...], key: str, value: Any, text: str
) -> None:
    assert str(refused(changed(document, keys, key, value), tmp_path)) == f"posture.json: {text}"


def test_a_damaged_tree_is_refused_and_logged(
    document: dict[str, Any], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    doc = copy.deepcopy(document)
    tree = at("model", "learner", "gradient_booster", "model", "trees")(doc)[0]
    tree["left_children"][0] = 999
    with caplog.at_level(logging.INFO, "pose_demo.classifier.model_file"):
        error = refused(doc, tmp_path)
    assert error.message.key == "error.learn.file.bad_trees"
    assert caplog.messages == ["Refused classifier file posture.json: tree 0 has a child index out of range"]


def test_a_model_xgboost_cannot_read_is_refused_with_its_first_line_cut_at_200(
    document: dict[str, Any], tmp_path: Path
) -> None:
    error = refused(changed(document, ("model",), "version", "1.0"), tmp_path)
    assert error.message.key == "error.learn.file.xgboost_failed"
    reason = error.message.params["reason"]
    assert len(reason) == 200 and "\n" not in reason and "version format" in reason


def test_limits_are_inclusive(document: dict[str, Any], tmp_path: Path) -> None:
    """A threshold just inside 0..1 and class names of the longest length load; the most classes pass the
    class check (and meet the output count, 3)."""
    for threshold in (1e-6, 1 - 1e-6):
        path = tmp_path / "edge.json"
        path.write_text(json.dumps({**document, "threshold": threshold}), encoding="utf-8")
        assert load_classifier(path).threshold == threshold
    for names in (["a" * MAX_CLASS_NAME, "half", "deep"], ["a", "b", "c"]):
        path.write_text(json.dumps({**document, "classes": names}), encoding="utf-8")
        assert load_classifier(path).classes == tuple(names)
    most = refused({**document, "classes": [f"c{i}" for i in range(MAX_CLASSES)]}, tmp_path)
    assert (
        str(most) == f"posture.json: the model has 3 outputs for {MAX_CLASSES} classes: the file was altered."
    )


def test_a_two_class_model_has_one_output(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    x = rng.random((200, len(FEATURES.names))).astype(np.float32)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 2}, xgb.DMatrix(x, x[:, 1] > 0.5), 3)
    training, keypoints = {"examples": 200}, {"keypoints": "tinypose_128x96"}
    saved = Classifier(booster, ("站立", "深蹲"), 0.6, training, keypoints)
    path = save_classifier(saved, tmp_path / "two.json")
    assert '["站立", "深蹲"]' in path.read_text(encoding="utf-8")  # readable names, not escapes
    loaded = load_classifier(path)
    assert (loaded.classes, loaded.threshold) == (("站立", "深蹲"), 0.6)
    assert (loaded.training, loaded.keypoints) == (training, keypoints)
    two_outputs = changed(json.loads(path.read_text(encoding="utf-8")), PARAMS, "num_class", "2")
    assert (
        str(refused(two_outputs, tmp_path))
        == "posture.json: the model has 2 outputs for 2 classes: the file was altered."
    )


# ---------------------------------------------------------------- files that are no JSON document


def read_refused(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The refusal of the file at ``path`` (named by its path)."""
    with pytest.raises(ClassifierFileError) as error:
        load_classifier(path, max_bytes=max_bytes)
    return str(error.value)


def test_files_that_are_no_json_document_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    assert read_refused(path) == f"{path}: no such classifier file: check the name and where it is."
    path.write_bytes(b"\x80\x81 not UTF-8")
    assert read_refused(path).startswith(f"{path}: not a classifier file: it is not JSON text")
    path.write_text("[" * 100_000, encoding="utf-8")
    assert read_refused(path) == f"{path}: the JSON is nested too deeply to be a classifier file."
    path.write_text('\n  {"format": "pose-demo-classifier",\n "classes": [1, 2]', encoding="utf-8")
    assert (
        read_refused(path)
        == f"{path}: not valid JSON: it ends too early (cut short?). Save the classifier again."
    )
    path.write_text('{"format": "pose-demo-classifier",\n  "classes" [1]}\n', encoding="utf-8")
    assert (
        read_refused(path)
        == f"{path}: not valid JSON: line 2, column 13: Expecting ':' delimiter. Save the classifier again."
    )
    path.write_text("  [1, 2,]  ", encoding="utf-8")
    assert read_refused(path).startswith(f"{path}: not valid JSON: line 1, column ")


def test_a_file_over_the_limit_is_refused_before_and_while_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "model.json"
    path.write_bytes(b" " * 2_650_001)
    assert read_refused(path, 2_500_001) == (
        f"{path}: the file has 2.7 MB; a classifier file may have at most 3 MB: "
        "it is not a classifier saved by pose-demo."
    )
    path.write_bytes(b" " * 2_000_000 + b"[]")
    assert read_refused(path, 2_000_000).startswith(f"{path}: the file has 2.0 MB")
    path.write_bytes(b" " * 1_999_998 + b"[]")  # exactly the limit: read, and then found no classifier file
    assert "not a pose-demo classifier file" in read_refused(path, 2_000_000)
    proc = Path("/proc/self/status")  # its size says 0 until it is read: it "grows while read"
    if not proc.is_file() or proc.stat().st_size != 0:
        pytest.skip("no /proc file of unknown size here")
    assert read_refused(proc, 100) == f"{proc}: the file is over 0 MB."
