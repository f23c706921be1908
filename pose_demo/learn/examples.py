"""Training examples: one person's keypoints with a class label, from folders of photos named by class or
from videos with labelled time ranges.

For each picture the main person is used: the largest (or a given track in a video). Pictures where nobody
is found, or where two people are about as large (which one was meant?), are kept in ``skipped`` with the
reason, for the report, never silently dropped. Each example keeps its source and time, so that
cross-validation can keep the frames of one video stretch together.
"""

from __future__ import annotations

import csv
import io
import os
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pose_demo.analysis import AnalysisOptions, analyse_image
from pose_demo.classifier.model import MAX_CLASSES, LearnError
from pose_demo.i18n import Message
from pose_demo.image_input import ImageInputError, load_image
from pose_demo.predictor import UniModel
from pose_demo.results import Person
from pose_demo.video.io import VideoInputError
from pose_demo.video.pipeline import FrameRecord, VideoOptions, VideoRun, process_video

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
AMBIGUOUS_AREA = 0.6  # a second person with a box at least this fraction of the largest one's: ambiguous
MAX_LABEL_ROWS = 2_000  # labelled time ranges in one file or table (a 5-minute video labelled every 0.15 s)
MAX_LABEL_BYTES = 1024 * 1024
MAX_LABEL_CHARS = 64
LABEL_PUNCTUATION = " _.-"  # besides letters (of any script, with their marks) and digits


def _label_char(c: str, first: bool) -> bool:
    category = unicodedata.category(c)
    if category.startswith("L") or category == "Nd" or c == "_":
        return True
    return not first and (category.startswith("M") or c in LABEL_PUNCTUATION)


def _label_ok(label: object) -> bool:
    """Letters of any script, digits, spaces, ``_ . -`` (never first, but ``_``), at most 64 characters:
    no control characters, path separators or other punctuation (a label names a folder, a column, a
    class in a UTF-8 model file)."""
    return (
        isinstance(label, str)
        and 0 < len(label) <= MAX_LABEL_CHARS
        and all(_label_char(c, k == 0) for k, c in enumerate(label))
    )


@dataclass(frozen=True, eq=False)
class Example:
    """One labelled person: ``keypoints`` (17, 3) in pixels; ``source`` the photo or video it came from;
    ``time`` its time in seconds in a video (None for a photo)."""

    label: str
    keypoints: np.ndarray
    source: str
    time: float | None = None


@dataclass(frozen=True)
class Skipped:
    """A picture that gave no example, and why ("nobody found", "2 people of similar size")."""

    label: str
    source: str
    time: float | None
    reason: Message  # shown in the user's language

    def to_dict(self) -> dict[str, object]:
        return {"label": self.label, "source": self.source, "time": self.time, "reason": str(self.reason)}


@dataclass(frozen=True)
class ExampleSet:
    examples: tuple[Example, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    def __add__(self, other: ExampleSet) -> ExampleSet:
        return ExampleSet(self.examples + other.examples, self.skipped + other.skipped)

    def __len__(self) -> int:
        return len(self.examples)

    @property
    def keypoints(self) -> np.ndarray:
        return np.stack([e.keypoints for e in self.examples]) if self.examples else np.zeros((0, 17, 3))

    @property
    def labels(self) -> list[str]:
        return [e.label for e in self.examples]

    @property
    def classes(self) -> list[str]:
        """The labels, in order of first appearance."""
        return list(dict.fromkeys(self.labels))

    def counts(self) -> dict[str, int]:
        return {c: self.labels.count(c) for c in self.classes}

    def groups(self, block_s: float) -> list[str]:
        """Which examples belong together for cross-validation: a photo alone; a video's frames by stretches
        of ``block_s`` seconds (neighbouring frames are near copies of each other)."""
        return [e.source if e.time is None else f"{e.source}@{int(e.time // block_s)}" for e in self.examples]


@dataclass(frozen=True)
class LabelRange:
    start: float
    end: float
    label: str

    def __contains__(self, time: float) -> bool:
        return self.start <= time <= self.end


def check_label(label: str, where: str | Message) -> str:
    """``label`` if it may be a class name; ``where`` names its place in errors (a ``Message`` when it is
    to be translated)."""
    if not _label_ok(label):
        raise LearnError("error.learn.bad_label", where=where, label=label)
    return label


def read_labels(source: str | os.PathLike[str], name: str | None = None) -> list[LabelRange]:
    """Labelled time ranges from a CSV file with the header ``start,end,label`` (seconds)."""
    path = Path(source)
    name = name or path.name
    if not path.is_file():
        raise LearnError("error.learn.no_labels_file", name=name)
    if path.stat().st_size > MAX_LABEL_BYTES:
        raise LearnError("error.learn.labels_too_big", name=name, kib=MAX_LABEL_BYTES // 1024)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise LearnError("error.learn.labels_not_utf8", name=name) from None
    return parse_labels(text, name)


def parse_labels(text: str, name: str = "labels") -> list[LabelRange]:
    """Labelled time ranges from a CSV text with the header ``start,end,label``; errors name the file's
    lines (blank ones counted)."""
    reader = csv.reader(io.StringIO(text))
    rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    if not rows or [c.strip().lower() for c in rows[0][1]] != ["start", "end", "label"]:
        raise LearnError("error.learn.labels_header", name=name)
    return _ranges(rows[1:], name, table=False)


def table_labels(rows: Iterable[Sequence[str]], name: str = "labels") -> list[LabelRange]:
    """Labelled time ranges from the rows (start, end, label) of a table on screen, without a header; errors
    name the rows as the user sees them (1 the first, empty ones counted). No filled row: an empty list."""
    numbered = [(k, [str(c) for c in row]) for k, row in enumerate(rows, 1)]
    filled = [(k, row) for k, row in numbered if any(cell.strip() for cell in row)]
    return _ranges(filled, name, table=True) if filled else []


def _ranges(rows: Sequence[tuple[int, list[str]]], name: str, table: bool) -> list[LabelRange]:
    """The ranges of numbered rows: a labels file's (``line N``) or a table's on screen (``row N``)."""
    if len(rows) > MAX_LABEL_ROWS:
        raise LearnError("error.learn.labels_too_many", name=name, limit=MAX_LABEL_ROWS)
    ranges = []
    for line, row in rows:
        if len(row) != 3:
            if table:
                raise LearnError("error.learn.table_row", name=name, line=line, row=",".join(row))
            raise LearnError("error.learn.labels_row", name=name, line=line, row=",".join(row))
        try:
            start, end = float(row[0]), float(row[1])
        except ValueError:
            if table:
                raise LearnError("error.learn.table_seconds", name=name, line=line) from None
            raise LearnError("error.learn.labels_seconds", name=name, line=line) from None
        if not 0 <= start <= end < 1e6:
            if table:
                raise LearnError("error.learn.table_order", name=name, line=line, start=start, end=end)
            raise LearnError("error.learn.labels_order", name=name, line=line, start=start, end=end)
        where = Message(
            "error.learn.at_row" if table else "error.learn.at_line", {"name": name, "line": line}
        )
        ranges.append(LabelRange(start, end, check_label(row[2].strip(), where)))
    if not ranges:
        raise LearnError("error.learn.labels_empty", name=name)
    classes = len({r.label for r in ranges})
    if classes > MAX_CLASSES:
        raise LearnError("error.learn.labels_too_many_classes", name=name, classes=classes, limit=MAX_CLASSES)
    overlap = first_overlap(ranges)
    if overlap is not None:
        raise LearnError("error.learn.labels_overlap", name=name, a=overlap[0], b=overlap[1])
    return ranges


def first_overlap(ranges: Sequence[LabelRange]) -> tuple[LabelRange, LabelRange] | None:
    """Two ranges of different labels that share a moment, or None: one sweep in order of start, against
    the range reaching furthest so far (if a pair overlaps, the later one also overlaps that range, or an
    earlier pair does)."""
    furthest: LabelRange | None = None
    for current in sorted(ranges, key=lambda r: (r.start, r.end)):
        if furthest is not None and current.start <= furthest.end and current.label != furthest.label:
            return furthest, current
        if furthest is None or current.end > furthest.end:
            furthest = current
    return None


def main_person(persons: Sequence[Person], track_id: int | None = None) -> Person | Message:
    """The person an example is about, or why there is none: the given track, else the largest person unless
    another one is about as large (``AMBIGUOUS_AREA``)."""
    if track_id is not None:
        found = [p for p in persons if p.track_id == track_id]
        return found[0] if found else Message("learn.skip.track_not_seen", {"id": track_id})
    if not persons:
        return Message("learn.skip.nobody")
    by_size = sorted(persons, key=lambda p: p.box.area, reverse=True)
    if len(by_size) > 1 and by_size[1].box.area >= AMBIGUOUS_AREA * by_size[0].box.area:
        close = sum(p.box.area >= AMBIGUOUS_AREA * by_size[0].box.area for p in by_size)
        return Message("learn.skip.ambiguous", {"count": close})
    return by_size[0]


def _example(
    label: str, persons: Sequence[Person], source: str, time: float | None, track_id: int | None
) -> Example | Skipped:
    person = main_person(persons, track_id)
    if isinstance(person, Message):
        return Skipped(label, source, time, person)
    return Example(label, np.asarray(person.keypoints, dtype=np.float64), source, time)


def _collect(items: Iterable[Example | Skipped]) -> ExampleSet:
    items = list(items)
    return ExampleSet(
        tuple(i for i in items if isinstance(i, Example)), tuple(i for i in items if isinstance(i, Skipped))
    )


def class_folders(root: str | os.PathLike[str]) -> dict[str, list[Path]]:
    """``root/<class>/*.jpg`` (and other image types): the images of each class, by class name (sorted)."""
    root = Path(root)
    if not root.is_dir():
        raise LearnError("error.learn.no_folder", root=root)
    folders = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if images:
            folders[check_label(folder.name, str(root))] = images
    if not folders:
        raise LearnError("error.learn.no_class_folders", root=root)
    return folders


def examples_from_images(
    model: UniModel, images: dict[str, list[Path]], options: AnalysisOptions | None = None
) -> ExampleSet:
    """One example per photo (its main person), photos listed by class."""
    options = options or AnalysisOptions()
    items: list[Example | Skipped] = []
    for label, paths in images.items():
        for path in paths:
            source = f"{path.parent.name}/{path.name}"
            try:
                result = analyse_image(model, load_image(path), options)
            except ImageInputError as e:
                items.append(Skipped(label, source, None, Message("learn.skip.bad_image", {"error": e})))
                continue
            items.append(_example(label, result.persons, source, None, None))
    return _collect(items)


def examples_from_folders(
    model: UniModel, root: str | os.PathLike[str], options: AnalysisOptions | None = None
) -> ExampleSet:
    """Examples from ``root/<class>/*.jpg``: the folder names are the class names."""
    return examples_from_images(model, class_folders(root), options)


def examples_from_frames(
    frames: Iterable[FrameRecord],
    ranges: Sequence[LabelRange],
    source: str,
    track_id: int | None = None,
) -> ExampleSet:
    """Every analysed frame inside a labelled range is an example (of the range's label)."""
    items = []
    for frame in frames:
        label = next((r.label for r in ranges if frame.time in r), None)
        if label is not None:
            items.append(_example(label, frame.persons, source, frame.time, track_id))
    return _collect(items)


def analyse_video(
    model: UniModel, video: str | os.PathLike[str], options: VideoOptions | None = None
) -> VideoRun:
    """The video analysed as usual (tracking, smoothing), nothing drawn."""
    if not Path(video).is_file():
        raise VideoInputError("error.video.no_file", path=video)
    return process_video(model, video, None, options or VideoOptions())


def examples_from_video(
    model: UniModel,
    video: str | os.PathLike[str],
    ranges: Sequence[LabelRange],
    options: VideoOptions | None = None,
    track_id: int | None = None,
) -> ExampleSet:
    """Examples from the labelled time ranges of a video (see ``read_labels``)."""
    run = analyse_video(model, video, options)
    found = examples_from_frames(run.frames, ranges, Path(video).name, track_id)
    if not found.examples and not found.skipped:
        raise LearnError("error.learn.no_labelled_frame", name=Path(video).name, duration=run.duration)
    return found
