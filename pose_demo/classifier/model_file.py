"""Classifier files: one JSON document, XGBoost's own JSON model plus a header. Loading never runs code.

Layout (every key required, no other key allowed)::

    {"format": "pose-demo-classifier", "format_version": 1,
     "features": {"version": "pose-demo-keypoint-features/1", "names": [...]},
     "classes": ["deep", "standing"], "threshold": 0.5,
     "training": {...summary...}, "keypoints": {...models and settings...},
     "model": {...XGBoost's JSON model (Booster.save_raw("json"))...}}

No pickle and no joblib anywhere: a file is read as bytes (at most ``MAX_FILE_BYTES``), decoded as UTF-8
JSON, checked key by key and tree by tree (``xgboost_json``), and only then given to XGBoost's JSON model
loader, which reads data only.
Every refusal is a ``ClassifierFileError`` saying what is wrong with the file.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import xgboost as xgb

from pose_demo.classifier.features import FEATURES
from pose_demo.classifier.model import MAX_CLASSES, Classifier, LearnError
from pose_demo.classifier.xgboost_json import BadModel, check_model, whole
from pose_demo.i18n import Message

FORMAT = "pose-demo-classifier"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 20 * 1024 * 1024  # a 200-tree depth-5 model is about 1 MB
KEYS = ("format", "format_version", "features", "classes", "threshold", "training", "keypoints", "model")
MAX_CLASS_NAME = 64
log = logging.getLogger(__name__)


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
    path.write_text(json.dumps(classifier_document(classifier), ensure_ascii=False), encoding="utf-8")
    return path


def _read(path: Path, name: str, max_bytes: int) -> Any:
    if not path.is_file():
        raise ClassifierFileError("error.learn.file.missing", name=name)
    size = path.stat().st_size
    if size > max_bytes:
        raise ClassifierFileError("error.learn.file.too_big", name=name, mb=size / 1e6, limit=max_bytes / 1e6)
    with path.open("rb") as f:
        raw = f.read(max_bytes + 1)
    if len(raw) > max_bytes:  # grew while read
        raise ClassifierFileError("error.learn.file.grew", name=name, limit=max_bytes / 1e6)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ClassifierFileError("error.learn.file.not_text", name=name) from None
    try:
        return json.loads(text)
    except RecursionError:
        raise ClassifierFileError("error.learn.file.too_deep", name=name) from None
    except json.JSONDecodeError as e:
        cut = text.lstrip().startswith("{") and not text.rstrip().endswith("}")
        why = (
            Message("error.learn.file.cut_short")
            if cut
            else Message("error.learn.file.json_at", {"line": e.lineno, "column": e.colno, "problem": e.msg})
        )
        raise ClassifierFileError("error.learn.file.bad_json", name=name, why=why) from None


def classifier_from_document(data: Any, name: str) -> Classifier:
    """A classifier from a file's JSON document, checked; ``name`` names the file in errors."""

    def refuse(key: str, /, **params: Any) -> ClassifierFileError:
        return ClassifierFileError(key, name=name, **params)

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise refuse("error.learn.file.not_classifier", format=FORMAT)
    extra = [k for k in data if k not in KEYS]
    if extra:
        raise refuse("error.learn.file.unknown_keys", keys=extra, allowed=", ".join(KEYS))
    missing = [k for k in KEYS if k not in data]
    if missing:
        raise refuse("error.learn.file.missing_keys", keys=missing)
    if data["format_version"] != FORMAT_VERSION:
        raise refuse("error.learn.file.version", version=data["format_version"], expected=FORMAT_VERSION)
    features = data["features"]
    if not isinstance(features, dict) or sorted(features) != ["names", "version"]:
        raise refuse("error.learn.file.features")
    if features["version"] != FEATURES.version:
        raise refuse(
            "error.learn.file.features_version", version=features["version"], expected=FEATURES.version
        )
    if features["names"] != list(FEATURES.names):
        raise refuse("error.learn.file.feature_names", version=FEATURES.version)
    classes = data["classes"]
    if (
        not isinstance(classes, list)
        or not 2 <= len(classes) <= MAX_CLASSES
        or not all(isinstance(c, str) and 0 < len(c) <= MAX_CLASS_NAME for c in classes)
        or len(set(classes)) != len(classes)
    ):
        raise refuse("error.learn.file.classes", limit=MAX_CLASSES, length=MAX_CLASS_NAME)
    threshold = data["threshold"]
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold < 1:
        raise refuse("error.learn.file.threshold", threshold=threshold)
    for key in ("training", "keypoints", "model"):
        if not isinstance(data[key], dict):
            raise refuse("error.learn.file.not_object", field=key)
    model = data["model"]
    try:
        params = model["learner"]["learner_model_param"]
        n_features = whole(params["num_feature"], "num_feature", 0, 2**31)
        n_class = whole(params["num_class"], "num_class", 0, 2**31)
    except (KeyError, TypeError, BadModel):
        raise refuse("error.learn.file.not_xgboost") from None
    if n_features != len(FEATURES.names):
        raise refuse("error.learn.file.n_features", found=n_features, expected=len(FEATURES.names))
    if n_class != (0 if len(classes) == 2 else len(classes)):
        raise refuse("error.learn.file.n_outputs", outputs=n_class, classes=len(classes))
    try:  # before XGBoost sees it: XGBoost trusts the tree arrays it is given
        check_model(model, len(FEATURES.names), len(classes))
    except BadModel as e:
        log.info("Refused classifier file %s: %s", Path(name).name, e)
        raise refuse("error.learn.file.bad_trees") from None
    booster = _booster(model, refuse)
    return Classifier(booster, tuple(classes), float(threshold), data["training"], data["keypoints"])


def _booster(model: dict[str, Any], refuse: Any) -> xgb.Booster:
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(json.dumps(model).encode("utf-8")))  # XGBoost's JSON reader: data only
    except xgb.core.XGBoostError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else "unreadable"
        raise refuse("error.learn.file.xgboost_failed", reason=first[:200]) from None
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
