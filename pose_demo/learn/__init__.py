"""Teaching a posture by example (see docs/learn.md), one module per step:

- ``features``: one person's keypoints as position- and size-free features, named in words;
- ``examples``: labelled examples from folders of photos or from videos with labelled time ranges;
- ``train``: XGBoost trained and cross-validated (folds grouped by photo and video stretch), evaluation;
- ``classifier``: a trained ``Classifier`` (class probabilities of keypoints);
- ``model_file``: saving and loading classifiers as JSON only (never pickle);
- ``report``: the confusion matrix picture and a summary in words.

Nothing is imported here: XGBoost and scikit-learn take seconds to import, and only training needs them.
"""
