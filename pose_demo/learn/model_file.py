"""Classifier files: one JSON document, XGBoost's own JSON model plus a header. Loading never runs code.

Layout (every key required, no other key allowed)::

    {"format": "pose-demo-classifier", "format_version": 1,
     "features": {"version": "pose-demo-keypoint-features/1", "names": [...]},
     "classes": ["deep", "standing"], "threshold": 0.5,
     "training": {...summary...}, "keypoints": {...models and settings...},
     "model": {...XGBoost's JSON model (Booster.save_raw("json"))...}}

No pickle and no joblib anywhere: a file is read as bytes (at most ``MAX_FILE_BYTES``), decoded as UTF-8
JSON, checked key by key, and only then given to XGBoost's JSON model loader, which reads data only.
Every refusal is a ``ClassifierFileError`` saying what is wrong with the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import xgboost as xgb

from pose_demo.learn.classifier import Classifier, LearnError
from pose_demo.learn.features import FEATURES

FORMAT = "pose-demo-classifier"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 20 * 1024 * 1024  # a 200-tree depth-5 model is about 1 MB
KEYS = ("format", "format_version", "features", "classes", "threshold", "training", "keypoints", "model")
MAX_CLASSES = 50
MAX_CLASS_NAME = 64


class ClassifierFileError(LearnError):
    """A classifier file that cannot be used; the message names the file and what is wrong."""


def classifier_document(classifier: Classifier) -> dict[str, Any]:
    """The file's JSON document."""
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "features": FEATURES.to_dict(),
        "classes": list(classifier.classes),
        "threshold": classifier.threshold,
        "training": classifier.training,
        "keypoints": classifier.keypoints,
        "model": json.loads(bytes(classifier.booster.save_raw("json"))),
    }


def save_classifier(classifier: Classifier, path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    path.write_text(json.dumps(classifier_document(classifier)), encoding="utf-8")
    return path


def _read(path: Path, name: str, max_bytes: int) -> Any:
    if not path.is_file():
        raise ClassifierFileError(f"{name}: no such classifier file: check the name and where it is.")
    size = path.stat().st_size
    if size > max_bytes:
        raise ClassifierFileError(
            f"{name}: the file has {size / 1e6:.1f} MB; a classifier file may have at most "
            f"{max_bytes / 1e6:.0f} MB: it is not a classifier saved by pose-demo."
        )
    with path.open("rb") as f:
        raw = f.read(max_bytes + 1)
    if len(raw) > max_bytes:  # grew while read
        raise ClassifierFileError(f"{name}: the file is over {max_bytes / 1e6:.0f} MB.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ClassifierFileError(
            f"{name}: not a classifier file: it is not JSON text (a binary file, such as a pickle, is "
            "never loaded). Save the classifier with pose-demo (learn train) and use that file."
        ) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ClassifierFileError(f"{name}: the JSON is nested too deeply to be a classifier file.") from None
    except json.JSONDecodeError as e:
        cut = text.lstrip().startswith("{") and not text.rstrip().endswith("}")
        why = "it ends too early (cut short?)" if cut else f"line {e.lineno}, column {e.colno}: {e.msg}"
        raise ClassifierFileError(f"{name}: not valid JSON: {why}. Save the classifier again.") from None


def classifier_from_document(data: Any, name: str) -> Classifier:
    """A classifier from a file's JSON document, checked; ``name`` names the file in errors."""

    def refuse(message: str) -> ClassifierFileError:
        return ClassifierFileError(f"{name}: {message}")

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise refuse(f'not a pose-demo classifier file (it has no "format": "{FORMAT}").')
    extra = [k for k in data if k not in KEYS]
    if extra:
        raise refuse(f"unknown keys {extra} (a classifier file has only {', '.join(KEYS)}).")
    missing = [k for k in KEYS if k not in data]
    if missing:
        raise refuse(f"missing keys {missing}: the file is incomplete.")
    if data["format_version"] != FORMAT_VERSION:
        raise refuse(
            f"format version {data['format_version']!r}; this pose-demo reads version {FORMAT_VERSION}. "
            "Train the classifier again with this version."
        )
    features = data["features"]
    if not isinstance(features, dict) or sorted(features) != ["names", "version"]:
        raise refuse('"features" must be {"version": ..., "names": [...]}.')
    if features["version"] != FEATURES.version:
        raise refuse(
            f"made for the features {features['version']!r}; this pose-demo computes {FEATURES.version!r}. "
            "Train the classifier again with this version."
        )
    if features["names"] != list(FEATURES.names):
        raise refuse(f"its feature names differ from those of {FEATURES.version!r}: the file was altered.")
    classes = data["classes"]
    if (
        not isinstance(classes, list)
        or not 2 <= len(classes) <= MAX_CLASSES
        or not all(isinstance(c, str) and 0 < len(c) <= MAX_CLASS_NAME for c in classes)
        or len(set(classes)) != len(classes)
    ):
        raise refuse(f'"classes" must be 2 to {MAX_CLASSES} different names (at most {MAX_CLASS_NAME} long).')
    threshold = data["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold < 1:
        raise refuse(f'"threshold" must be a probability between 0 and 1, not {threshold!r}.')
    for key in ("training", "keypoints", "model"):
        if not isinstance(data[key], dict):
            raise refuse(f'"{key}" must be a JSON object.')
    booster = _booster(data["model"], refuse)
    params = data["model"].get("learner", {}).get("learner_model_param", {})
    n_features, n_class = int(params.get("num_feature", -1)), int(params.get("num_class", -1))
    if n_features != len(FEATURES.names):
        raise refuse(f"the model reads {n_features} features, not the {len(FEATURES.names)} it should.")
    if n_class != (0 if len(classes) == 2 else len(classes)):
        raise refuse(f"the model has {n_class} outputs for {len(classes)} classes: the file was altered.")
    return Classifier(booster, tuple(classes), float(threshold), data["training"], data["keypoints"])


def _booster(model: dict[str, Any], refuse: Any) -> xgb.Booster:
    try:
        params = model["learner"]["learner_model_param"]
        int(params["num_feature"]), int(params["num_class"])
    except (KeyError, TypeError, ValueError):
        raise refuse('"model" is not an XGBoost JSON model.') from None
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(json.dumps(model).encode("utf-8")))  # XGBoost's JSON reader: data only
    except xgb.core.XGBoostError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else "unreadable"
        raise refuse(f'"model" could not be read by XGBoost ({first[:200]}).') from None
    return booster


def load_classifier(
    path: str | os.PathLike[str], name: str | None = None, max_bytes: int = MAX_FILE_BYTES
) -> Classifier:
    """A classifier saved by ``save_classifier``; ``ClassifierFileError`` for anything else.

    ``name``: how errors name the file (default: its path; the app gives the name as uploaded).
    """
    path = Path(path)
    name = name or str(path)
    data = _read(path, name, max_bytes)
    return classifier_from_document(data, name)
