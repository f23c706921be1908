"""The Teach tab: a posture taught by example (docs/learn.md), trained, reported and used in this session.

The user names two or more classes, gives each photos, or time ranges of a video (``start, end, label``
rows), trains (XGBoost on the main person's keypoint features, ``pose_demo.learn``), reads the
cross-validated report, downloads the model file, and switches it on: a classifier rule flagging one class
is added to the session's rules (``SessionClassifiers``, a ``gr.State`` that the settings panel passes to
every tab), so that the Image, Video and Webcam tabs judge it like any rule. A saved model can be loaded
instead of trained. Its layout and handlers live here; ``build_demo`` adds it with ``teach_tab(app,
settings, localised)``. Its texts are the catalog's ``ui.teach.*``, in the browser's language. Every file
is opened only when it is one of this app's uploads (``uploads``).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import gradio as gr
import pandas as pd

from pose_demo.analysis import AnalysisOptions
from pose_demo.app.core import RESULT_STATE_TTL_S, PoseApp, user_errors
from pose_demo.app.language import Localised, language, ui
from pose_demo.app.settings import SessionClassifiers
from pose_demo.app.uploads import Upload, upload_name, upload_path
from pose_demo.checks import check_number
from pose_demo.classifier.model import Classifier, LearnError
from pose_demo.i18n import Message, title_in, translate
from pose_demo.learn.examples import (
    Example,
    ExampleSet,
    LabelRange,
    Skipped,
    check_label,
    examples_from_frames,
    examples_from_images,
    read_labels,
    table_labels,
)
from pose_demo.models.budget import photo_keypoints
from pose_demo.rules.schema import Rule, parse_rules
from pose_demo.video import VideoOptions, check_video, process_video
from pose_demo.video.io import frame_at

if TYPE_CHECKING:
    from pose_demo.learn.train import TrainReport  # imported where used: XGBoost takes seconds to load

CLASS_SLOTS = 4  # classes that can be named (and given photos) in the tab
RANGE_COLUMNS = ["start", "end", "label"]  # a labels file's header
RANGE_ROWS = 4  # empty rows of the ranges table
# The per-class table's columns (catalog keys ui.teach.column.*).
CLASS_KEYS = ("class", "examples", "precision", "recall", "f1")
PREVIEW_PER_CLASS = 4
MAX_PREVIEW = 24  # pictures in all: with many classes, fewer of each (one at least)
PREVIEW_HEIGHT = 160
MAX_VIDEO_S = 300.0
MAX_PHOTOS = 500
DEFAULT_STRIDE = 2
DEFAULT_NAME = "posture"
TEACH_SETTINGS = ("preset", "detector", "keypoint_model", "det_threshold", "enhance", "classifiers")
DEBOUNCE = {"n": 3, "m": 5}  # in videos and the webcam: flagged in 3 of the last 5 frames


@dataclass(frozen=True)
class Taught:
    """The classifier the tab shows (trained or loaded) and its name: the model file's name, which a rule
    file uploaded in this session uses as its ``model``."""

    name: str
    classifier: Classifier


def class_columns(language: str) -> list[str]:
    """The headers of the per-class table in ``language``."""
    return [translate(f"ui.teach.column.{key}", language) for key in CLASS_KEYS]


CLASS_COLUMNS = class_columns("en")  # in English, as before


def range_columns(language: str) -> list[str]:
    """The headers of the ranges table in ``language`` (a labels file's columns, in words)."""
    return [translate(f"ui.teach.column.{key}", language) for key in RANGE_COLUMNS]


def empty_ranges(language: str) -> pd.DataFrame:
    """The ranges table with nothing typed yet."""
    return pd.DataFrame([["", "", ""]] * RANGE_ROWS, columns=range_columns(language))


def model_name(text: str | None) -> str:
    """The model file's name from what the user typed: letters, digits, ``-`` and ``_``; ``.json`` added."""
    stem = re.sub(r"[^\w-]+", "_", Path(text or "").stem if text else "").strip("_")[:40]
    return f"{stem or DEFAULT_NAME}.json"


def range_rows(value: Any) -> list[list[Any]]:
    """The rows of the ranges table, as Gradio sends it: a DataFrame (preprocessed), a ``{"data": ...}``
    payload (not preprocessed) or a list of rows."""
    if value is None:
        return []
    if isinstance(value, pd.DataFrame):
        return value.astype(object).where(value.notna(), "").values.tolist()
    if isinstance(value, dict):
        value = value.get("data") or []
    return [list(row) for row in value]


def range_cells(value: Any) -> list[list[str]]:
    """The ranges table's rows as the user typed them: three texts each, an empty cell ""."""
    return [
        ["" if c is None or (isinstance(c, float) and math.isnan(c)) else str(c).strip() for c in row][:3]
        for row in range_rows(value)
    ]


def label_ranges(value: Any, language: str = "en") -> list[LabelRange]:
    """The table's filled rows as labelled ranges (checked by the library: numbers, order, overlaps; its
    errors name the table in ``language`` and its rows as the user sees them, the first one 1); empty rows
    are ignored, none at all gives an empty list."""
    return table_labels(range_cells(value), translate("ui.teach.the_ranges", language))


def add_range(value: Any, request: gr.Request | None = None) -> pd.DataFrame:
    """The "Add a range" button: the ranges table with an empty row at its end."""
    rows = [row + [""] * (3 - len(row)) for row in range_cells(value)]
    return pd.DataFrame([*rows, ["", "", ""]], columns=range_columns(language(request)))


def grow_ranges(value: Any, request: gr.Request | None = None) -> Any:
    """The table once edited: an empty row added when its last one is filled in, so that there is always
    room for the next range; nothing changes otherwise."""
    rows = range_cells(value)
    if rows and not any(rows[-1]):
        return gr.skip()
    return add_range(value, request)


def class_slots(values: dict[str, Any]) -> tuple[list[str], dict[str, list[Any]]]:
    """The class names typed in the slots (``class_1`` ...), checked, in order, and each named class's
    photos (``photos_1`` ...); both are taken out of ``values``."""
    classes: list[str] = []
    photos: dict[str, list[Any]] = {}
    for i in range(1, CLASS_SLOTS + 1):
        name = str(values.pop(f"class_{i}", None) or "").strip()
        files = _files(values.pop(f"photos_{i}", None))
        if not name:
            if files:
                raise LearnError("ui.teach.error.photos_without_name", slot=i)
            continue
        if name in classes:
            raise LearnError("ui.teach.error.same_name", name=name)
        classes.append(check_label(name, Message(f"ui.teach.class.{i}")))
        if files:
            photos[name] = files
    return classes, photos


def _files(upload: Any) -> list[Any]:
    return [] if not upload else list(upload) if isinstance(upload, (list, tuple)) else [upload]


def _with_source(item: Example | Skipped, source: str) -> Example | Skipped:
    return replace(item, source=source)


def per_class_table(report: TrainReport, language: str = "en") -> pd.DataFrame:
    """One row per class: its examples and cross-validated precision, recall and F1 (when measured);
    headers in ``language``."""
    cv = report.cross_validation
    rows = []
    for label, count in report.counts.items():
        m = cv.per_class.get(label) if cv is not None else None
        scores = [f"{m[k]:.0%}" for k in ("precision", "recall")] + [f"{m['f1']:.2f}"] if m else ["", "", ""]
        rows.append([label, count, *scores])
    return pd.DataFrame(rows, columns=class_columns(language))


def taught_title(flag: str, language: str) -> str:
    """The title of the rule flagging class ``flag``, in ``language``."""
    return translate("ui.teach.rule_title", language, flag=flag)


def classifier_rule(taught: Taught, flag: str, threshold: float) -> Rule:
    """The session's rule flagging class ``flag`` of ``taught`` from ``threshold``, read by the rules
    library from the spec a rule file would hold (``kind: classifier``)."""
    slug = re.sub(r"[^a-z0-9]+", "_", flag.lower()).strip("_")
    if not flag.isascii():  # a class named in another script ("深蹲"): the id tells classes apart still
        slug = f"{slug}_{hashlib.sha256(flag.encode()).hexdigest()[:8]}".strip("_")
    spec = {
        "rules": [
            {
                "id": f"taught_{slug}" if slug else "taught",
                "title": {"en": taught_title(flag, "en"), "zh": taught_title(flag, "zh-CN")},
                "kind": "classifier",
                "model": taught.name,
                "flag": flag,
                "threshold": float(threshold),
                "debounce": DEBOUNCE,
            }
        ]
    }
    _, rules = parse_rules(spec, "the Teach tab", lambda name: taught.classifier)
    return rules[0]


class Teacher:
    """The tab's handlers. One instance serves every session; the session's data lives in ``gr.State``."""

    def __init__(self, app: PoseApp) -> None:
        self.app = app

    def _frames(self, video: Upload, ranges: list[LabelRange], lang: str) -> list[tuple[str, str]]:
        """A few frames of each class's ranges, as JPEG files with captions in ``lang``."""
        source = upload_path(video, translate("ui.teach.the_video", lang), self.app.uploads, lang)
        info = check_video(source, MAX_VIDEO_S)  # the Video tab's checks: a container, its size and length
        folder = self.app.outputs.new()
        gallery = []
        labels = dict.fromkeys(r.label for r in ranges)
        per_class = max(1, min(PREVIEW_PER_CLASS, MAX_PREVIEW // len(labels)))
        for label in labels:
            moments = sorted(
                {t for r in ranges if r.label == label for t in (r.start, (r.start + r.end) / 2, r.end)}
            )
            step = max(1, math.ceil(len(moments) / per_class))
            for time_s in moments[::step][:per_class]:
                frame = frame_at(info, time_s, PREVIEW_HEIGHT)
                if frame is None:
                    continue
                path = folder / f"{len(gallery):02d}.jpg"
                cv2.imwrite(str(path), frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
                gallery.append((str(path), translate("ui.teach.frame_at", lang, label=label, time=time_s)))
        return gallery

    def preview(self, video: Upload, ranges: Any, request: gr.Request | None = None) -> list[tuple[str, str]]:
        """A few frames of each class's time ranges (none without a video or ranges)."""
        lang = language(request)
        with user_errors("teach_frames", lang):
            rows = label_ranges(ranges, lang)
            if not video or not rows:
                return []
            return self._frames(video, rows, lang)

    def ranges_from_file(self, labels: Upload, request: gr.Request | None = None) -> Any:
        """A labels CSV (header ``start,end,label``) loaded into the ranges table."""
        if not labels:
            return gr.skip()
        lang = language(request)
        with user_errors("teach_labels", lang):
            path = upload_path(labels, translate("ui.teach.the_labels_file", lang), self.app.uploads, lang)
            ranges = read_labels(path, f"{upload_name(labels)}.csv")
            return pd.DataFrame(
                [[f"{r.start:g}", f"{r.end:g}", r.label] for r in ranges], columns=range_columns(lang)
            )

    def _examples(
        self,
        model: Any,
        analysis: AnalysisOptions,
        photos: dict[str, list[Any]],
        video: Upload,
        ranges: list[LabelRange],
        stride: int,
        progress: gr.Progress,
        lang: str,
    ) -> ExampleSet:
        def t(key: str, **params: Any) -> str:
            return translate(f"ui.teach.{key}", lang, **params)

        examples = ExampleSet()
        total = sum(len(p) for p in photos.values())
        done = 0
        for label, uploads in photos.items():
            for upload in uploads:
                progress((done, total), desc=t("progress.photos"), unit=t("progress.photos_unit"))
                path = upload_path(upload, t("the_photo"), self.app.uploads, lang)
                found = examples_from_images(model, {label: [path]}, analysis)
                source = f"{label}/{upload_name(upload)}{path.suffix.lower()}"
                examples += ExampleSet(
                    tuple(_with_source(e, source) for e in found.examples),
                    tuple(_with_source(s, source) for s in found.skipped),
                )
                done += 1
        if video and ranges:
            source = upload_path(video, t("the_video"), self.app.uploads, lang)
            info = check_video(source, MAX_VIDEO_S)
            last = max(r.end for r in ranges)
            options = VideoOptions(
                analysis,
                max_duration_s=MAX_VIDEO_S,
                frame_stride=stride,
                max_frames=math.ceil(last * info.fps / stride) + 1,  # nothing after the last range
            )

            def report(done: int, total: int) -> None:
                progress((done, total), desc=t("progress.frames"), unit=t("progress.frames_unit"))

            run = process_video(model, info, None, options, report)
            name = f"{upload_name(video)}{Path(source).suffix.lower()}"
            found = examples_from_frames(run.frames, ranges, name)
            if not found.examples and not found.skipped:
                raise LearnError("ui.teach.error.no_frame_in_ranges", duration=info.duration)
            examples += found
        return examples

    def train(
        self,
        video: Upload,
        ranges: Any,
        stride: float = DEFAULT_STRIDE,
        mirror: bool = True,
        name: str = DEFAULT_NAME,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio's way to ask for a progress bar)
        request: gr.Request | None = None,
        **values: Any,
    ) -> tuple[str, pd.DataFrame, str, str, Taught, SessionClassifiers, Any, Any]:
        """Train on the classes' photos (``photos_1`` ...) and the video's ranges; ``class_1`` ... name the
        classes, the other keywords are settings. Returns the report (words, per-class table, figure), the
        model file, the model (state), the session's classifiers with it added (by name, for rule files),
        and the choices of the class to flag and its threshold; words in the language of the browser that
        sent ``request``."""
        from pose_demo.classifier.model_file import save_classifier
        from pose_demo.learn.report import report_figure, summary_text
        from pose_demo.learn.train import TrainOptions
        from pose_demo.learn.train import train as train_classifier

        lang = language(request)
        with user_errors("teach_train", lang):
            classes, named = class_slots(values)
            if sum(len(p) for p in named.values()) > MAX_PHOTOS:
                raise LearnError("ui.teach.error.too_many_photos", limit=MAX_PHOTOS)
            rows = label_ranges(ranges, lang)
            if len(classes) < 2:
                raise LearnError("ui.teach.error.two_classes")
            unknown = sorted({r.label for r in rows} - set(classes))
            if unknown:
                raise LearnError(
                    "ui.teach.error.unknown_labels", unknown=", ".join(unknown), classes=", ".join(classes)
                )
            if rows and not video:
                raise LearnError("ui.teach.error.ranges_need_video")
            if not named and not rows:
                raise LearnError("ui.teach.error.no_examples")
            s = self.app.settings(lang=lang, **values)
            analysis = AnalysisOptions(det_threshold=s.analysis.det_threshold, enhance=s.analysis.enhance)
            progress(0, desc=translate("ui.teach.progress.models", lang))
            model = self.app.models.get(s.detector, photo_keypoints(s.keypoint_model).keypoints)
            step = Message("ui.teach.the_frame_step")
            stride = int(check_number(step, stride, 1, 30, whole=True, error=LearnError))
            examples = self._examples(model, analysis, named, video, rows, stride, progress, lang)
            missing = [c for c in classes if c not in examples.classes]
            if missing:
                raise LearnError("ui.teach.error.no_usable_example", classes=", ".join(missing))
            progress(1.0, desc=translate("ui.teach.progress.training", lang))
            keypoints = {
                "detector": Path(model.names[0]).name,
                "keypoints": Path(model.names[1]).name,
                "det_threshold": analysis.det_threshold,
                "main_person": "largest",
                "video": {"stride": stride, "scale": 1.0, "smoothing": analysis.smoothing},
            }
            classifier, report = train_classifier(
                examples, TrainOptions(mirror=bool(mirror)), keypoints, tuple(classes)
            )
            taught = Taught(model_name(name), classifier)
            folder = self.app.outputs.new()
            model_path = save_classifier(classifier, folder / taught.name)
            figure_path = folder / f"{Path(taught.name).stem}_report.png"
            report_figure(report, lang).savefig(figure_path, dpi=90)
            cv = report.cross_validation
            headline = (
                translate("ui.teach.accuracy", lang, accuracy=cv.accuracy)
                if cv is not None
                else translate("ui.teach.not_cross_validated", lang)
            )
            # each part a paragraph of its own (a line right after a list would join its last item)
            summary = f"{headline}\n\n" + summary_text(report, lang).replace("\n**", "\n\n**")
            session = self._add(values.get("classifiers"), taught)
            return (
                summary,
                per_class_table(report, lang),
                str(figure_path),
                str(model_path),
                taught,
                session,
                *self._flag_choices(taught),
            )

    def _add(self, session: SessionClassifiers | None, taught: Taught) -> SessionClassifiers:
        session = session or SessionClassifiers()
        return replace(session, classifiers={**session.classifiers, taught.name: taught.classifier})

    @staticmethod
    def _flag_choices(taught: Taught) -> tuple[Any, Any]:
        classes = taught.classifier.classes
        return (
            gr.update(choices=list(classes), value=classes[0]),
            gr.update(value=taught.classifier.threshold),
        )

    def load_model(
        self, saved: Upload, session: SessionClassifiers | None, request: gr.Request | None = None
    ) -> tuple[str, Taught, SessionClassifiers, Any, Any]:
        """A saved model file (checked: JSON only, never unpickled): its summary, the model (state), the
        session's classifiers with it added, and the choices of the class to flag."""
        if not saved:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        from pose_demo.classifier.model_file import load_classifier

        lang = language(request)
        with user_errors("teach_load", lang):
            path = upload_path(saved, translate("ui.teach.the_model_file", lang), self.app.uploads, lang)
            name = model_name(upload_name(saved))
            taught = Taught(name, load_classifier(path, name))
            c = taught.classifier
            accuracy = c.training.get("cross_validated_accuracy")
            known = isinstance(accuracy, (int, float))
            words = translate("ui.teach.loaded_accuracy", lang, accuracy=accuracy) if known else ""
            summary = translate(
                "ui.teach.loaded",
                lang,
                name=taught.name,
                classes=", ".join(c.classes),
                threshold=c.threshold,
                accuracy=words,
            )
            return summary, taught, self._add(session, taught), *self._flag_choices(taught)

    def use(
        self,
        taught: Taught | None,
        flag: str | None,
        threshold: float,
        session: SessionClassifiers | None,
        request: gr.Request | None = None,
    ) -> tuple[SessionClassifiers, str]:
        """Switch the model on: a rule flagging ``flag`` from ``threshold`` joins the session's rules."""
        lang = language(request)
        with user_errors("teach_use", lang):
            if taught is None:
                raise LearnError("ui.teach.error.no_model")
            if flag not in taught.classifier.classes:
                raise LearnError("ui.teach.error.choose_flag", classes=", ".join(taught.classifier.classes))
            rule = classifier_rule(taught, flag, threshold)
            session = self._add(session, taught)
            rules = (*(r for r in session.rules if r.id != rule.id), rule)
            session = replace(session, rules=rules)
            return session, self.status(session, lang)

    def stop(
        self, session: SessionClassifiers | None, request: gr.Request | None = None
    ) -> tuple[SessionClassifiers, str]:
        """The session's taught rules are switched off (its models stay, for its rule files)."""
        session = replace(session or SessionClassifiers(), rules=())
        return session, self.status(session, language(request))

    @staticmethod
    def status(session: SessionClassifiers, language: str = "en") -> str:
        """Which taught rules are in force, and the models a rule file may use, in ``language``."""

        def t(key: str, **params: Any) -> str:
            return translate(f"ui.teach.{key}", language, **params)

        if not session.rules:
            return t("status.none")
        rules = t("status.separator").join(
            t(
                "status.rule",
                title=title_in(r.title, language),
                model=r.classifier.model,
                threshold=r.classifier.threshold,
            )
            for r in session.rules
        )
        names = ", ".join(f"`model: {n}`" for n in session.classifiers)
        return t("status.in_force", rules=rules, models=names)


def teach_tab(app: PoseApp, settings: dict[str, gr.components.Component], localised: Localised) -> None:
    """The tab's components and events (inside a ``gr.Tab``). Its tables' empty values, whose headers
    depend on the language, join ``localised``."""
    teacher = Teacher(app)
    gr.Markdown(ui("ui.teach.intro"))
    names: dict[str, gr.components.Component] = {}
    with gr.Row():
        with gr.Column():
            gr.Markdown(ui("ui.teach.step_classes"))
            for i in range(1, CLASS_SLOTS + 1):
                with gr.Row():
                    names[f"class_{i}"] = gr.Textbox(
                        label=ui(f"ui.teach.class.{i}"),
                        placeholder=ui(f"ui.teach.placeholder.{i}"),
                        scale=1,
                        elem_id=f"teach-class-{i}",
                    )
                    names[f"photos_{i}"] = gr.File(
                        file_count="multiple",
                        file_types=["image"],
                        label=ui("ui.teach.photos"),
                        height=120,
                        scale=2,
                        elem_id=f"teach-photos-{i}",
                    )
        with gr.Column():
            gr.Markdown(ui("ui.teach.step_ranges"))
            video = gr.Video(sources=["upload"], label=ui("ui.teach.video"), elem_id="teach-video")
            ranges = gr.Dataframe(
                value=empty_ranges("en"),
                datatype="str",
                column_count=3,
                interactive=True,
                label=ui("ui.teach.ranges"),
                elem_id="teach-ranges",
            )
            localised.append((ranges, empty_ranges))
            add = gr.Button(ui("ui.teach.add_range"), size="sm", elem_id="teach-add-range")
            with gr.Row():
                labels_file = gr.File(
                    file_types=[".csv"],
                    label=ui("ui.teach.labels_file"),
                    elem_id="teach-csv",
                )
                stride = gr.Slider(1, 10, DEFAULT_STRIDE, step=1, label=ui("ui.teach.stride"))
            show = gr.Button(ui("ui.teach.show"), size="sm", elem_id="teach-preview-run")
            preview = gr.Gallery(label=ui("ui.teach.preview"), columns=4, height=240, elem_id="teach-preview")
    with gr.Row():
        name = gr.Textbox(
            ui("ui.teach.default_name"),  # the user's language; DEFAULT_NAME when emptied
            label=ui("ui.teach.name"),
            info=ui("ui.teach.name_info"),
            elem_id="teach-name",
        )
        mirror = gr.Checkbox(True, label=ui("ui.teach.mirror"), info=ui("ui.teach.mirror_info"))
        train = gr.Button(ui("ui.teach.train"), variant="primary", elem_id="teach-train")
    gr.Markdown(ui("ui.teach.step_report"))
    summary = gr.Markdown(elem_id="teach-report")
    with gr.Row():
        table = gr.Dataframe(
            headers=CLASS_COLUMNS, interactive=False, label=ui("ui.teach.per_class"), elem_id="teach-classes"
        )
        localised.append((table, lambda lang: pd.DataFrame(columns=class_columns(lang))))
        figure = gr.Image(
            label=ui("ui.teach.figure"),
            interactive=False,
            type="filepath",
            elem_id="teach-figure",
        )
    model_file = gr.File(label=ui("ui.teach.model_file"), interactive=False, elem_id="teach-model")
    gr.Markdown(ui("ui.teach.step_use"))
    with gr.Row():
        saved = gr.File(file_types=[".json"], label=ui("ui.teach.saved"), elem_id="teach-upload")
        flag = gr.Dropdown(choices=[], label=ui("ui.teach.flag"), elem_id="teach-flag")
        threshold = gr.Slider(0.05, 0.95, 0.5, step=0.05, label=ui("ui.teach.threshold"))
        with gr.Column():
            use = gr.Button(ui("ui.teach.use"), variant="primary", elem_id="teach-use")
            stop = gr.Button(ui("ui.teach.stop"), size="sm", elem_id="teach-stop")
    status = gr.Markdown(elem_id="teach-status")
    current = gr.State(time_to_live=RESULT_STATE_TTL_S)
    session = settings["classifiers"]
    labels_file.upload(
        teacher.ranges_from_file,
        inputs=[labels_file],
        outputs=[ranges],
        preprocess=False,
        api_visibility="private",
    )
    ranges.input(grow_ranges, inputs=[ranges], outputs=[ranges], preprocess=False, api_visibility="private")
    add.click(add_range, inputs=[ranges], outputs=[ranges], preprocess=False, api_visibility="private")
    show.click(
        teacher.preview, inputs=[video, ranges], outputs=[preview], preprocess=False, api_visibility="private"
    )
    # The frames used are shown first; a mistake in the ranges stops there, said once.
    train.click(
        teacher.preview, inputs=[video, ranges], outputs=[preview], preprocess=False, api_visibility="private"
    ).success(
        teacher.train,
        inputs=[video, ranges, stride, mirror, name],
        inputs_kwargs={**names, **{k: settings[k] for k in TEACH_SETTINGS}},
        outputs=[summary, table, figure, model_file, current, session, flag, threshold],
        preprocess=False,
        concurrency_limit=1,
        concurrency_id="video",  # shares the Video tab's queue: both keep the two cores busy
        api_visibility="private",
    )
    saved.upload(
        teacher.load_model,
        inputs=[saved, session],
        outputs=[summary, current, session, flag, threshold],
        preprocess=False,
        api_visibility="private",
    )
    use.click(
        teacher.use,
        inputs=[current, flag, threshold, session],
        outputs=[session, status],
        api_visibility="private",
    )
    stop.click(teacher.stop, inputs=[session], outputs=[session, status], api_visibility="private")
