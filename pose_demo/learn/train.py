"""Training and judging a posture classifier: XGBoost on keypoint features, scikit-learn for the folds and
the metrics.

Cross-validation splits the examples with ``StratifiedGroupKFold``: each photo is its own group, and a
video's frames are grouped by stretches of ``TrainOptions.block_s`` seconds, so that near-identical
neighbouring frames never sit on both sides of a split (which would flatter the score).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support, roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.neighbors import NearestNeighbors

from pose_demo.checks import check_number
from pose_demo.classifier.features import FEATURES, keypoint_features, mirror_keypoints, usable
from pose_demo.classifier.model import Classifier, LearnError
from pose_demo.i18n import Message
from pose_demo.learn.examples import ExampleSet, Skipped

MIN_EXAMPLES_PER_CLASS = 10  # fewer: a warning (the classifier learns that class from too little)
NEAR_DUPLICATE = 0.02  # rows closer than this (per feature, in standard deviations) are near copies
NEAR_FRAME_S = 0.5  # so are frames of one video closer in time than this
TOP_FEATURES = 8
SPLIT_ATTEMPTS = 20


@dataclass(frozen=True)
class TrainOptions:
    """max_depth, n_estimators, learning_rate: the XGBoost trees (the workflow's depth 5).
    folds: cross-validation folds (fewer when there are not enough groups). block_s: a video's frames are
    grouped by stretches this long for the folds. mirror: also learn from each example's mirror image
    (left and right swapped), so that a posture taught facing one way is recognised facing the other; off
    for postures where left and right matter (a raised left arm is not a raised right arm). threshold: the
    default probability at which a rule flags a class. seed: for repeatable trees and folds.
    feature_fraction: each split chooses among this share of the features, drawn at random: with few
    examples, many features separate them equally well, and the trees would otherwise all lean on the
    first of them (an elbow angle that happened to differ); drawn subsets give many features a say."""

    max_depth: int = 5
    n_estimators: int = 150
    learning_rate: float = 0.1
    folds: int = 5
    block_s: float = 2.0
    mirror: bool = True
    threshold: float = 0.5
    seed: int = 0
    feature_fraction: float = 0.2

    def __post_init__(self) -> None:
        check_number(Message("error.option.name.max_depth"), self.max_depth, 1, 12, whole=True)
        check_number(Message("error.option.name.number_of_trees"), self.n_estimators, 1, 2000, whole=True)
        check_number(Message("error.option.name.learning_rate"), self.learning_rate, 1e-4, 1.0)
        check_number(Message("error.option.name.number_of_folds"), self.folds, 2, 20, whole=True)
        check_number(Message("error.option.name.block_length"), self.block_s, 0.01, math.inf)
        check_number(Message("error.option.name.threshold"), self.threshold, 0.01, 0.99)
        check_number(Message("error.option.name.feature_fraction"), self.feature_fraction, 0.01, 1.0)


@dataclass(frozen=True)
class Evaluation:
    """How a classifier's predictions compare with the labels. ``confusion[i][j]``: examples of class
    ``labels[i]`` predicted as ``labels[j]``. ``roc_auc``: for two classes (None otherwise)."""

    labels: tuple[str, ...]
    accuracy: float
    per_class: dict[str, dict[str, float]]
    confusion: list[list[int]]
    roc_auc: float | None = None
    examples: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "accuracy": round(self.accuracy, 4),
            "per_class": self.per_class,
            "confusion": self.confusion,
            "labels": list(self.labels),
            "roc_auc": None if self.roc_auc is None else round(self.roc_auc, 4),
            "examples": self.examples,
        }


@dataclass(frozen=True)
class TrainReport:
    """What training found: examples per class, the cross-validated evaluation (None when there were not
    enough separate groups), the features that matter (name, words, share of the gain), warnings, and the
    pictures that gave no example."""

    classes: tuple[str, ...]
    counts: dict[str, int]
    cross_validation: Evaluation | None
    folds: int
    groups: int
    top_features: list[tuple[str, str, float]]
    warnings: list[Message] = field(default_factory=list)  # shown in the user's language
    skipped: tuple[Skipped, ...] = ()
    options: TrainOptions = TrainOptions()

    def to_dict(self) -> dict[str, Any]:
        return {
            "classes": list(self.classes),
            "counts": self.counts,
            "cross_validation": None if self.cross_validation is None else self.cross_validation.to_dict(),
            "folds": self.folds,
            "groups": self.groups,
            "top_features": [
                {"name": n, "title": t, "gain_share": round(g, 4)} for n, t, g in self.top_features
            ],
            "warnings": [str(w) for w in self.warnings],
            "skipped": [s.to_dict() for s in self.skipped],
            "options": asdict(self.options),
        }


def _params(n_classes: int, options: TrainOptions) -> dict[str, Any]:
    params: dict[str, Any] = {
        "max_depth": options.max_depth,
        "eta": options.learning_rate,
        "tree_method": "hist",
        "colsample_bynode": options.feature_fraction,
        "seed": options.seed,
        "nthread": 1,  # under load, OpenMP threads wait on each other more than they help
    }
    if n_classes == 2:
        return {**params, "objective": "binary:logistic", "eval_metric": "logloss"}
    return {**params, "objective": "multi:softprob", "num_class": n_classes, "eval_metric": "mlogloss"}


def _fit(keypoints: np.ndarray, y: np.ndarray, n_classes: int, options: TrainOptions) -> xgb.Booster:
    """The booster, trained with classes weighted alike (a rare class counts as much as a common one)."""
    features = keypoint_features(keypoints)
    if options.mirror:
        features = np.concatenate([features, keypoint_features(mirror_keypoints(keypoints))])
        y = np.concatenate([y, y])
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    weights = (len(y) / (n_classes * np.maximum(counts, 1)))[y]
    data = xgb.DMatrix(features, label=y, weight=weights, feature_names=list(FEATURES.names), missing=np.nan)
    return xgb.train(_params(n_classes, options), data, num_boost_round=options.n_estimators)


def _probabilities(booster: xgb.Booster, features: np.ndarray) -> np.ndarray:
    raw = np.asarray(booster.inplace_predict(features), dtype=np.float64)
    return np.stack([1.0 - raw, raw], axis=1) if raw.ndim == 1 else raw


def metrics(y: np.ndarray, probabilities: np.ndarray, labels: tuple[str, ...]) -> Evaluation:
    """Accuracy, per-class precision / recall / F1, the confusion matrix and (two classes) ROC AUC of
    the most probable class against the true class indices ``y``."""
    predicted = probabilities.argmax(axis=1)
    k = range(len(labels))
    precision, recall, f1, support = precision_recall_fscore_support(
        y, predicted, labels=list(k), zero_division=0
    )
    per_class = {
        labels[i]: {
            "precision": round(float(precision[i]), 4),
            "recall": round(float(recall[i]), 4),
            "f1": round(float(f1[i]), 4),
            "support": int(support[i]),
        }
        for i in k
    }
    auc = None
    if len(labels) == 2 and len(set(y.tolist())) == 2:
        auc = float(roc_auc_score(y, probabilities[:, 1]))
    return Evaluation(
        labels=labels,
        accuracy=float(np.mean(predicted == y)) if len(y) else float("nan"),
        per_class=per_class,
        confusion=confusion_matrix(y, predicted, labels=list(k)).tolist(),
        roc_auc=auc,
        examples=len(y),
    )


def _usable_examples(examples: ExampleSet) -> tuple[ExampleSet, np.ndarray]:
    """The examples with enough joints seen to classify, the others moved to ``skipped``."""
    features = keypoint_features(examples.keypoints)
    ok = usable(features)
    kept = tuple(e for e, good in zip(examples.examples, ok, strict=True) if good)
    dropped = tuple(
        Skipped(e.label, e.source, e.time, Message("learn.skip.few_joints"))
        for e, good in zip(examples.examples, ok, strict=True)
        if not good
    )
    return ExampleSet(kept, examples.skipped + dropped), features[ok]


def evaluate(classifier: Classifier, examples: ExampleSet) -> Evaluation:
    """The classifier against labelled examples (those with too few joints seen are left out; labels it
    does not know count as wrong)."""
    examples, features = _usable_examples(examples)
    unknown = sorted(set(examples.labels) - set(classifier.classes))
    if unknown:
        raise LearnError("error.learn.unknown_classes", classes=unknown)
    y = np.array([classifier.classes.index(label) for label in examples.labels], dtype=int)
    return metrics(y, classifier.feature_probabilities(features), classifier.classes)


def _near_duplicates(examples: ExampleSet, features: np.ndarray, y: np.ndarray) -> tuple[int, int]:
    """(examples with a near copy, near copies with another label). Near copies: frames of one video less
    than ``NEAR_FRAME_S`` apart, or examples whose features are all but equal (the same photo twice)."""
    if len(features) < 2:
        return 0, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        mean, std = np.nanmean(features, axis=0), np.nanstd(features, axis=0)
    z = np.nan_to_num((features - mean) / np.where(std > 0, std, 1.0), nan=0.0)
    distance, index = NearestNeighbors(n_neighbors=2).fit(z).kneighbors(z)
    alike = distance[:, 1] / math.sqrt(z.shape[1]) < NEAR_DUPLICATE
    times: dict[str, list[float]] = {}
    for e in examples.examples:
        if e.time is not None:
            times.setdefault(e.source, []).append(e.time)
    neighbours = np.array(
        [
            e.time is not None and sum(abs(t - e.time) < NEAR_FRAME_S for t in times[e.source]) > 1
            for e in examples.examples
        ]
    )
    return int(np.sum(alike | neighbours)), int(np.sum(alike & (y[index[:, 1]] != y)))


def _warnings(
    examples: ExampleSet, y: np.ndarray, features: np.ndarray, options: TrainOptions
) -> list[Message]:
    notes = [
        Message("learn.warning.few_examples", {"label": label, "count": n, "least": MIN_EXAMPLES_PER_CLASS})
        for label, n in examples.counts().items()
        if n < MIN_EXAMPLES_PER_CLASS
    ]
    copies, conflicting = _near_duplicates(examples, features, y)
    if copies > 0.2 * len(y):
        params = {
            "copies": copies,
            "total": len(y),
            "near": f"{NEAR_FRAME_S:g}",
            "block": f"{options.block_s:g}",
        }
        notes.append(Message("learn.warning.near_copies", params))
    if conflicting:
        notes.append(Message("learn.warning.conflicting", {"count": conflicting}))
    return notes


def _top_features(booster: xgb.Booster) -> list[tuple[str, str, float]]:
    gains = booster.get_score(importance_type="total_gain")
    total = sum(gains.values()) or 1.0
    ranked = sorted(gains.items(), key=lambda item: item[1], reverse=True)[:TOP_FEATURES]
    return [(name, FEATURES.title(name), gain / total) for name, gain in ranked]


def _splits(
    y: np.ndarray, groups: np.ndarray, folds: int, seed: int
) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Grouped, stratified folds in which every training part holds every class (a fold that would
    train on one class cannot judge anything); a few shuffles are tried; None if none works."""
    for attempt in range(SPLIT_ATTEMPTS):
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed + attempt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # sklearn: a class smaller than the folds
            splits = list(splitter.split(y, y, groups))
        if all(len(set(y[train])) == len(set(y)) for train, _ in splits):
            return splits
    return None


def cross_validate(
    examples: ExampleSet, classes: tuple[str, ...], options: TrainOptions
) -> tuple[Evaluation | None, int, int]:
    """Out-of-fold evaluation with the folds grouped (see the module doc): (evaluation or None, folds,
    groups). None when a class is seen in fewer than two separate groups."""
    y = np.array([classes.index(label) for label in examples.labels], dtype=int)
    groups = np.array(examples.groups(options.block_s))
    groups_per_class = [len(set(groups[y == k])) for k in range(len(classes))]
    folds = min(options.folds, *groups_per_class)
    if folds < 2:
        return None, folds, len(set(groups))
    keypoints = examples.keypoints
    splits = _splits(y, groups, folds, options.seed)
    if splits is None:
        return None, folds, len(set(groups))
    probabilities = np.zeros((len(y), len(classes)))
    for train_rows, test_rows in splits:
        booster = _fit(keypoints[train_rows], y[train_rows], len(classes), options)
        probabilities[test_rows] = _probabilities(booster, keypoint_features(keypoints[test_rows]))
    return metrics(y, probabilities, classes), folds, len(set(groups))


def train(
    examples: ExampleSet,
    options: TrainOptions = TrainOptions(),
    keypoints_info: dict[str, Any] | None = None,
    classes: tuple[str, ...] | None = None,
) -> tuple[Classifier, TrainReport]:
    """A classifier trained on all usable examples, and its report (cross-validated metrics, features
    that matter, warnings). ``classes``: their order (default: order of first appearance); two classes
    train ``binary:logistic``, more ``multi:softprob``. ``keypoints_info``: the models and settings the
    keypoints came from, saved with the classifier."""
    examples, features = _usable_examples(examples)
    classes = tuple(classes or examples.classes)
    present = [c for c in classes if c in examples.counts()]
    if len(present) < 2:
        raise LearnError(
            "error.learn.too_few_classes", counts=examples.counts(), skipped=len(examples.skipped)
        )
    missing = sorted(set(examples.classes) - set(classes))
    if missing:
        raise LearnError("error.learn.classes_not_listed", classes=missing)
    y = np.array([classes.index(label) for label in examples.labels], dtype=int)
    notes = _warnings(examples, y, features, options)
    evaluation, folds, n_groups = cross_validate(examples, classes, options)
    if evaluation is None:
        notes.append(Message("learn.warning.no_cross_validation", {"block": f"{options.block_s:g}"}))
    booster = _fit(examples.keypoints, y, len(classes), options)
    summary = {
        "examples": examples.counts(),
        "skipped": len(examples.skipped),
        "cross_validated_accuracy": None if evaluation is None else round(evaluation.accuracy, 4),
        "folds": folds,
        "options": asdict(options),
    }
    classifier = Classifier(booster, classes, options.threshold, summary, keypoints_info or {})
    report = TrainReport(
        classes=classes,
        counts={c: examples.counts().get(c, 0) for c in classes},
        cross_validation=evaluation,
        folds=folds,
        groups=n_groups,
        top_features=_top_features(booster),
        warnings=notes,
        skipped=examples.skipped,
        options=options,
    )
    return classifier, report
