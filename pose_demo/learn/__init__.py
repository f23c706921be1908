"""Teaching a posture by example (see docs/learn.md), one module per step:

- ``examples``: labelled examples from folders of photos or from videos with labelled time ranges;
- ``train``: XGBoost trained and cross-validated (folds grouped by photo and video stretch), evaluation;
- ``report``: the confusion matrix picture and a summary in words.

What is trained is a ``pose_demo.classifier`` (its features, the model and its file), which rules use.
Nothing is imported here: XGBoost and scikit-learn take seconds to import, and only training needs them.
"""
