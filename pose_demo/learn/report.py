"""A training report for people: the confusion matrix as a picture and a summary in plain words, in English
or Chinese (``language``; pictures fall back to English without a CJK font)."""

from __future__ import annotations

import io
import os
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from pose_demo.i18n import catalog, translate
from pose_demo.learn.train import Evaluation, TrainReport
from pose_demo.visualization.plot_fonts import plot_fonts, plot_language

MAX_SKIPPED_LISTED = 10


def feature_title(name: str, title: str, language: str = "en") -> str:
    """A feature's title in ``language`` (catalog key ``learn.feature.<name>``); ``title``, as the report
    holds it, for a feature the catalog does not know."""
    key = f"learn.feature.{name}"
    return translate(key, language) if key in catalog("en") else title


def _draw_confusion(ax: Any, evaluation: Evaluation, title: str, language: str) -> None:
    t = partial(translate, language=language)
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
    ax.set_xlabel(t("report.learn.predicted"))
    ax.set_ylabel(t("report.learn.true"))
    accuracy = t("report.learn.accuracy", accuracy=f"{evaluation.accuracy:.0%}", examples=evaluation.examples)
    ax.set_title(f"{title}\n{accuracy}", fontsize=10)


def confusion_figure(evaluation: Evaluation, title: str | None = None, language: str = "en") -> Figure:
    """Rows: the true class, columns: the predicted one; each cell the count and its share of the row.
    ``title``: the cross-validated confusion matrix's, in ``language``, unless given."""
    language = plot_language(language)
    size = 2.2 + 0.7 * len(evaluation.labels)
    with plot_fonts(language):
        fig = Figure(figsize=(size + 0.6, size), layout="constrained")
        _draw_confusion(
            fig.add_subplot(), evaluation, title or translate("report.learn.confusion", language), language
        )
    return fig


def report_figure(report: TrainReport, language: str = "en") -> Figure:
    """The cross-validated confusion matrix beside the features that matter most (share of the gain)."""
    language = plot_language(language)
    t = partial(translate, language=language)
    with plot_fonts(language):
        fig = Figure(figsize=(10.0, 4.2), layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=[1.0, 1.3])
        if report.cross_validation is not None:
            _draw_confusion(left, report.cross_validation, t("report.learn.confusion"), language)
        else:
            left.axis("off")
            left.text(0.5, 0.5, t("report.learn.no_cross_validation"), ha="center", va="center")
        features = report.top_features[::-1]
        right.barh(range(len(features)), [100 * share for _, _, share in features], color="#3b75af")
        right.set_yticks(
            range(len(features)), [feature_title(name, title, language) for name, title, _ in features]
        )
        right.set_xlabel(t("report.learn.gain"))
        right.set_title(t("report.learn.features"), fontsize=10)
    return fig


def confusion_png(
    evaluation: Evaluation, path: str | os.PathLike[str] | None = None, language: str = "en"
) -> bytes:
    """The confusion matrix as PNG bytes (also written to ``path`` when given)."""
    buffer = io.BytesIO()
    confusion_figure(evaluation, language=language).savefig(buffer, format="png", dpi=110)
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def evaluation_lines(evaluation: Evaluation, language: str = "en") -> list[str]:
    t = partial(translate, language=language)
    lines = [
        t("report.learn.accuracy_line", accuracy=f"{evaluation.accuracy:.1%}", examples=evaluation.examples)
    ]
    if evaluation.roc_auc is not None:
        lines.append(t("report.learn.roc_auc", auc=f"{evaluation.roc_auc:.3f}"))
    for label, m in evaluation.per_class.items():
        lines.append(
            t(
                "report.learn.per_class",
                label=label,
                precision=f"{m['precision']:.0%}",
                recall=f"{m['recall']:.0%}",
                f1=f"{m['f1']:.2f}",
                support=m["support"],
            )
        )
    return lines


def _skipped_words(report: TrainReport, language: str) -> str:
    t = partial(translate, language=language)
    items = [
        t("report.learn.skipped_item", source=s.source, label=s.label, reason=s.reason)
        if s.time is None
        else t(
            "report.learn.skipped_item_at",
            source=s.source,
            time=f"{s.time:.2f}",
            label=s.label,
            reason=s.reason,
        )
        for s in report.skipped[:MAX_SKIPPED_LISTED]
    ]
    more = len(report.skipped) - MAX_SKIPPED_LISTED
    key = "report.learn.skipped_more" if more > 0 else "report.learn.skipped"
    return t(key, n=len(report.skipped), items=t("report.list.semicolon").join(items), more=more)


def summary_text(report: TrainReport, language: str = "en") -> str:
    """The report in plain words (Markdown)."""
    t = partial(translate, language=language)
    counts = t("report.list.separator").join(
        t("report.learn.count", label=label, n=n) for label, n in report.counts.items()
    )
    mirrored = "report.learn.mirrored" if report.options.mirror else "report.learn.not_mirrored"
    lines = [t("report.learn.examples", counts=counts), t(mirrored)]
    cv = report.cross_validation
    if cv is not None:
        lines.append(
            t(
                "report.learn.cross_validated",
                folds=report.folds,
                groups=report.groups,
                block=f"{report.options.block_s:g}",
            )
        )
        lines += evaluation_lines(cv, language)
    if report.top_features:
        words = t("report.list.semicolon").join(
            t("report.learn.feature", title=feature_title(name, title, language), share=f"{share:.0%}")
            for name, title, share in report.top_features
        )
        lines.append(t("report.learn.looks_at", features=words))
    if report.skipped:
        lines.append(_skipped_words(report, language))
    lines += [t("report.learn.warning", warning=w) for w in report.warnings]
    return "\n\n".join(lines[:1]) + "\n\n" + "\n".join(lines[1:])
