"""Classifier files (issue 30, gap 6): the header checks that keep a model from reading the wrong columns
or naming two outputs alike. Each crafted file is refused with its own message, so that a check removed
is seen even where a later one (or XGBoost) would stop the file for another reason.
"""

from __future__ import annotations

import copy
import json
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
    ClassifierFileError,
    classifier_document,
    load_classifier,
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
