"""Taught posture classifiers, as a rule of kind ``classifier`` uses them (training lives in ``learn``):

- ``features``: one person's keypoints as position- and size-free features, named in words;
- ``model``: a trained ``Classifier`` (class probabilities of keypoints) and ``LearnError``;
- ``model_file``: saving and loading classifiers as JSON only (never pickle);
- ``xgboost_json``: XGBoost's JSON model checked as data before XGBoost reads it.

Nothing is imported here: XGBoost takes seconds to import, and only a classifier rule needs it.
"""
