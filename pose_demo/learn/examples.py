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
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pose_demo.analysis import AnalysisOptions, analyse_image
from pose_demo.image_input import ImageInputError, load_image
from pose_demo.learn.classifier import LearnError
from pose_demo.predictor import UniModel
from pose_demo.results import Person
from pose_demo.video.pipeline import FrameRecord, VideoOptions, VideoRun, process_video

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
AMBIGUOUS_AREA = 0.6  # a second person with a box at least this fraction of the largest one's: ambiguous
MAX_LABEL_ROWS = 10_000
MAX_LABEL_BYTES = 1024 * 1024
_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_ .-]{0,63}")


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
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"label": self.label, "source": self.source, "time": self.time, "reason": self.reason}


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


def check_label(label: str, where: str) -> str:
    if not isinstance(label, str) or not _LABEL.fullmatch(label):
        raise LearnError(
            f"{where}: the class name {label!r} is not allowed: use letters, digits, _ - . and spaces "
            "(at most 64, not starting with a space)."
        )
    return label


def read_labels(source: str | os.PathLike[str], name: str | None = None) -> list[LabelRange]:
    """Labelled time ranges from a CSV file with the header ``start,end,label`` (seconds)."""
    path = Path(source)
    name = name or path.name
    if not path.is_file():
        raise LearnError(f"{name}: no such labels file: check the path.")
    if path.stat().st_size > MAX_LABEL_BYTES:
        raise LearnError(f"{name}: a labels file may have at most {MAX_LABEL_BYTES // 1024} KiB.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise LearnError(f"{name}: not a UTF-8 text CSV file.") from None
    return parse_labels(text, name)


def parse_labels(text: str, name: str = "labels") -> list[LabelRange]:
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows or [c.strip().lower() for c in rows[0]] != ["start", "end", "label"]:
        raise LearnError(f"{name}: the first row must be the header start,end,label.")
    if len(rows) > MAX_LABEL_ROWS + 1:
        raise LearnError(f"{name}: at most {MAX_LABEL_ROWS} ranges.")
    ranges = []
    for line, row in enumerate(rows[1:], 2):
        if len(row) != 3:
            raise LearnError(f"{name}: line {line}: expected start,end,label, got {','.join(row)!r}.")
        try:
            start, end = float(row[0]), float(row[1])
        except ValueError:
            raise LearnError(f"{name}: line {line}: start and end must be seconds, like 2.5.") from None
        if not 0 <= start <= end < 1e6:
            raise LearnError(f"{name}: line {line}: needs 0 <= start <= end, got {start:g} and {end:g}.")
        ranges.append(LabelRange(start, end, check_label(row[2].strip(), f"{name}: line {line}")))
    if not ranges:
        raise LearnError(f"{name}: no labelled ranges under the header.")
    for a in ranges:
        for b in ranges:
            if a.label != b.label and a.start <= b.end and b.start <= a.end:
                raise LearnError(
                    f"{name}: the ranges {a.start:g}-{a.end:g} ({a.label}) and {b.start:g}-{b.end:g} "
                    f"({b.label}) overlap: a frame can have one label only."
                )
    return ranges


def main_person(persons: Sequence[Person], track_id: int | None = None) -> tuple[Person | None, str]:
    """The person an example is about, or None and why: the given track, else the largest person unless
    another one is about as large (``AMBIGUOUS_AREA``)."""
    if track_id is not None:
        found = [p for p in persons if p.track_id == track_id]
        return (found[0], "") if found else (None, f"person {track_id} not seen")
    if not persons:
        return None, "nobody found"
    by_size = sorted(persons, key=lambda p: p.box.area, reverse=True)
    if len(by_size) > 1 and by_size[1].box.area >= AMBIGUOUS_AREA * by_size[0].box.area:
        close = sum(p.box.area >= AMBIGUOUS_AREA * by_size[0].box.area for p in by_size)
        return None, f"{close} people of similar size (which one is meant?)"
    return by_size[0], ""


def _example(
    label: str, persons: Sequence[Person], source: str, time: float | None, track_id: int | None
) -> Example | Skipped:
    person, reason = main_person(persons, track_id)
    if person is None:
        return Skipped(label, source, time, reason)
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
        raise LearnError(f"{root}: no such folder: give a folder holding one folder of photos per class.")
    folders = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        images = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if images:
            folders[check_label(folder.name, str(root))] = images
    if not folders:
        raise LearnError(
            f"{root}: no class folders with photos: expected {root}/<class name>/*.jpg, one folder per class."
        )
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
                items.append(Skipped(label, source, None, f"not a usable image ({e})"))
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
        raise FileNotFoundError(f"No video file at {video}: check the path.")
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
        raise LearnError(
            f"{Path(video).name}: no analysed frame falls in the labelled ranges (the video lasts "
            f"{run.duration:.1f} s): check the times in the labels file."
        )
    return found
