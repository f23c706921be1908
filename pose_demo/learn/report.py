"""A training report for people: the confusion matrix as a picture and a summary in plain words."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from pose_demo.learn.train import Evaluation, TrainReport

MAX_SKIPPED_LISTED = 10


def _draw_confusion(ax: Any, evaluation: Evaluation, title: str) -> None:
    matrix = np.asarray(evaluation.confusion, dtype=float)
    labels = evaluation.labels
    rows = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)
    ax.imshow(share, cmap="Blues", vmin=0.0, vmax=1.0)
    for i in range(len(labels)):
        for j in range(len(labels)):
            color = "white" if share[i, j] > 0.6 else "black"
            ax.text(j, i, f"{int(matrix[i, j])}\n{share[i, j]:.0%}", ha="center", va="center", color=color)
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"{title}\naccuracy {evaluation.accuracy:.0%} of {evaluation.examples}", fontsize=10)


def confusion_figure(evaluation: Evaluation, title: str = "Cross-validated confusion matrix") -> Figure:
    """Rows: the true class, columns: the predicted one; each cell the count and its share of the row."""
    size = 2.2 + 0.7 * len(evaluation.labels)
    fig = Figure(figsize=(size + 0.6, size), layout="constrained")
    _draw_confusion(fig.add_subplot(), evaluation, title)
    return fig


def report_figure(report: TrainReport) -> Figure:
    """The cross-validated confusion matrix beside the features that matter most (share of the gain)."""
    fig = Figure(figsize=(10.0, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=[1.0, 1.3])
    if report.cross_validation is not None:
        _draw_confusion(left, report.cross_validation, "Cross-validated confusion matrix")
    else:
        left.axis("off")
        left.text(0.5, 0.5, "No cross-validation\n(too few separate examples)", ha="center", va="center")
    features = report.top_features[::-1]
    right.barh(
        [title for _, title, _ in features], [100 * share for _, _, share in features], color="#3b75af"
    )
    right.set_xlabel("share of the trees' gain (%)")
    right.set_title("What it looks at most", fontsize=10)
    return fig


def confusion_png(evaluation: Evaluation, path: str | os.PathLike[str] | None = None) -> bytes:
    """The confusion matrix as PNG bytes (also written to ``path`` when given)."""
    buffer = io.BytesIO()
    confusion_figure(evaluation).savefig(buffer, format="png", dpi=110)
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def evaluation_lines(evaluation: Evaluation) -> list[str]:
    lines = [f"Accuracy: {evaluation.accuracy:.1%} of {evaluation.examples} examples."]
    if evaluation.roc_auc is not None:
        lines.append(f"ROC AUC: {evaluation.roc_auc:.3f} (1 = the two classes always told apart).")
    for label, m in evaluation.per_class.items():
        lines.append(
            f"- {label}: precision {m['precision']:.0%}, recall {m['recall']:.0%}, F1 {m['f1']:.2f} "
            f"({m['support']} examples)"
        )
    return lines


def summary_text(report: TrainReport) -> str:
    """The report in plain words (Markdown)."""
    counts = ", ".join(f"{label}: {n}" for label, n in report.counts.items())
    lines = [f"**Examples:** {counts}."]
    cv = report.cross_validation
    if cv is not None:
        lines.append(
            f"**Cross-validated** over {report.folds} folds ({report.groups} groups: each photo alone, each "
            f"video in stretches of {report.options.block_s:g} s, so that neighbouring frames are never "
            "split between training and testing):"
        )
        lines += evaluation_lines(cv)
    if report.top_features:
        words = "; ".join(f"{title} ({share:.0%})" for _, title, share in report.top_features)
        lines.append(f"**What it looks at most:** {words}.")
    if report.skipped:
        listed = "; ".join(
            f"{s.source}{'' if s.time is None else f' at {s.time:.2f} s'} ({s.label}): {s.reason}"
            for s in report.skipped[:MAX_SKIPPED_LISTED]
        )
        more = f" and {len(report.skipped) - MAX_SKIPPED_LISTED} more" if len(report.skipped) > 10 else ""
        lines.append(f"**Not used ({len(report.skipped)}):** {listed}{more}.")
    lines += [f"**Warning:** {w}" for w in report.warnings]
    return "\n\n".join(lines[:1]) + "\n\n" + "\n".join(lines[1:])
