"""A trained posture classifier: an XGBoost booster on ``features.FEATURES``, with its class names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pose_demo.classifier.features import keypoint_features, usable
from pose_demo.i18n import UserError

if TYPE_CHECKING:
    import xgboost as xgb  # imported where boosters are made (model_file, train): it takes seconds


MAX_CLASSES = 50  # classes one classifier may tell apart


class LearnError(UserError, ValueError):
    """Training or classifying cannot go on; the message says why and what to do."""


@dataclass(frozen=True, eq=False)
class Classifier:
    """Class probabilities of persons' keypoints.

    classes: the class names, in the booster's order (two: ``binary:logistic`` gives the second's
        probability; more: ``multi:softprob``).
    threshold: the default probability at which a rule flags a class (a rule may set its own).
    training: what it was trained on and how well it did (a summary, saved in the model file).
    keypoints: the models and settings the keypoints came from (saved in the model file, so that a user
        can analyse new pictures the same way).
    """

    booster: xgb.Booster = field(repr=False)
    classes: tuple[str, ...]
    threshold: float = 0.5
    training: dict[str, Any] = field(default_factory=dict)
    keypoints: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.classes) < 2 or len(set(self.classes)) != len(self.classes):
            raise LearnError("error.learn.classifier_classes", classes=list(self.classes))
        if not 0.0 < self.threshold < 1.0:
            raise LearnError("error.learn.classifier_threshold", threshold=self.threshold)
        self.booster.set_param({"nthread": 1})  # one person at a time: threads cost more than they give

    def feature_probabilities(self, features: np.ndarray) -> np.ndarray:
        """(N, classes) probabilities of feature rows (N, F); NaN rows where nothing can be judged."""
        features = np.asarray(features, dtype=np.float32)
        if len(features) == 0:
            return np.zeros((0, len(self.classes)))
        raw = np.asarray(self.booster.inplace_predict(features), dtype=np.float64)
        probabilities = np.stack([1.0 - raw, raw], axis=1) if raw.ndim == 1 else raw
        probabilities[~usable(features)] = np.nan
        return probabilities

    def probabilities(self, keypoints: np.ndarray) -> np.ndarray:
        """(N, classes) probabilities of keypoints (N, 17, 3), or (1, classes) of one person's (17, 3)."""
        return self.feature_probabilities(keypoint_features(keypoints))

    def probability(self, keypoints: np.ndarray, label: str) -> float:
        """One person's probability of class ``label`` (NaN when too few joints are seen)."""
        return float(self.probabilities(keypoints)[0, self.classes.index(label)])

    def predict(self, keypoints: np.ndarray) -> list[str | None]:
        """The most probable class per person (None where nothing can be judged)."""
        return self.labels_of(self.probabilities(keypoints))

    def labels_of(self, probabilities: np.ndarray) -> list[str | None]:
        return [None if np.isnan(p).any() else self.classes[int(np.argmax(p))] for p in probabilities]


def named_classifiers(classifiers: Mapping[str, Classifier]) -> Callable[[str], Classifier]:
    """A rule file's ``model`` looked up by name among ``classifiers`` only, never on disk: for rule files
    uploaded to the app, which may use the classifiers of their session and nothing else."""

    def find(name: str) -> Classifier:
        if name not in classifiers:
            raise LearnError("error.learn.not_in_session", name=Path(name).name)
        return classifiers[name]

    return find
