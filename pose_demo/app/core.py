"""What the tabs share: ``PoseApp`` (the loaded models, the output and upload folders, the rule catalog, the
clock; the settings checked, and a rule file checked at its upload), ``user_errors`` (the library's
errors as plain messages), the Video tab's result that the Compare tab reuses, how long a tab's result is
kept, and the API page's note on a file.

The tabs' handlers follow the same conventions. Settings arrive as keyword arguments named like
``Settings``' fields (Gradio's ``inputs_kwargs``), which also names the API parameters; ``rule_file`` is
spelt out with its None default, which makes it optional for API clients (the other settings are optional
through their components' initial values).

Events that take files skip Gradio's preprocessing, so that the library's own readers (``load_image``,
the video probe) judge the upload and explain what is wrong; ``uploads`` checks first that the file is
one of this app's uploads.
"""

from __future__ import annotations

import html
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import cv2
import gradio as gr
import numpy as np

from pose_demo.app.language import error, language
from pose_demo.app.loaded_models import LoadedModels
from pose_demo.app.outputs import OutputFolders
from pose_demo.app.settings import SessionClassifiers, Settings, load_rule_file
from pose_demo.app.uploads import Upload, UploadFolders, optional_upload_path
from pose_demo.exercises.exports import write_reps_csv, write_reps_json
from pose_demo.i18n import Message, UserError, title_in, translate
from pose_demo.models.budget import ModelChoice
from pose_demo.report.session import ReportSettings, write_report
from pose_demo.rules import RuleError, RuleSet
from pose_demo.video import VideoRun
from pose_demo.video.exports import write_csv

log = logging.getLogger(__name__)

# A tab's last result (its gr.State) is dropped this long after it was last written: Gradio otherwise
# keeps it an hour after its tab closes, and for good for API clients, which never close theirs; an image
# result holds the whole picture.
RESULT_STATE_TTL_S = 1800
# The results sessions keep on the server (the Video tab's runs, for their plot, downloads and the Compare
# tab), in all: past this, the least recently used are dropped (an estimate of their size, see run_bytes).
MAX_RESULT_BYTES = 512 * 1024 * 1024
# What one person in one frame of a run costs in memory, and each of its verdicts (tracemalloc: the squat
# clip with the 27 default rules holds 2.8 MB for 322 frames of one person; this estimate gives 3.1 MB).
PERSON_BYTES = 1500
VERDICT_BYTES = 300


def run_bytes(run: VideoRun) -> int:
    """About how many bytes of memory a run's frames hold."""
    return sum(PERSON_BYTES + VERDICT_BYTES * len(p.rules) for f in run.frames for p in f.persons)


class SessionResults:
    """The results sessions keep between events, held by the server at most ``max_bytes`` in all (the
    least recently used are dropped first); a session's ``gr.State`` holds only the key. Thread-safe."""

    def __init__(self, max_bytes: int = MAX_RESULT_BYTES) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        return self._bytes

    def keep(self, value: Any, nbytes: int) -> str:
        """Holds ``value`` (of about ``nbytes``); its key. Older results go while the total is over."""
        key = secrets.token_urlsafe(16)
        with self._lock:
            self._items[key] = (value, nbytes)
            self._bytes += nbytes
            while self._bytes > self.max_bytes and len(self._items) > 1:
                self._bytes -= self._items.popitem(last=False)[1][1]
        return key

    def get(self, key: Any) -> Any | None:
        """The value kept under ``key``, or None (never kept, dropped, or not a key)."""
        if not isinstance(key, str):
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def drop(self, key: Any) -> None:
        """Forget ``key`` (its session's state expired)."""
        with self._lock:
            item = self._items.pop(key, None) if isinstance(key, str) else None
            if item is not None:
                self._bytes -= item[1]


@contextmanager
def user_errors(task: str, lang: str) -> Iterator[None]:
    """Re-raise the library's user-facing errors (``UserError``) as ``gr.Error`` in the user's language
    ``lang``; log anything else and say so plainly. ``task``: what was being done (``ui.task.*``).

    A user's mistake is logged in one line; only a bug is logged with its traceback, once (Gradio is
    told not to print the traceback of the ``gr.Error`` it receives).
    """
    doing = Message(f"ui.task.{task}")  # a task missing from the catalog fails here, on every call
    try:
        yield
    except gr.Error as e:
        log.info("User error while %s: %s", task, " ".join(str(e.message).split()))
        e.print_exception = False
        raise
    except UserError as e:
        log.info("User error while %s: %s", task, " ".join(str(e).split()))
        raise error(e.text(lang), lang) from e
    except Exception as e:
        log.exception("%s failed", task)
        message = translate("ui.error.unexpected", lang, task=doing)
        raise error(message, lang) from e


C = TypeVar("C", bound=gr.components.Component)


def described_for_api(component: C, note: str) -> C:
    """``component``, its entry on the API page saying ``note`` instead of Gradio's internal FileData
    docstring. (Set on the instance: a subclass would make Gradio write a .pyi file beside this module.)"""
    info = component.api_info()
    component.api_info = lambda: {**info, "additional_description": note}  # type: ignore[method-assign]
    return component


@dataclass
class VideoAnalysis:
    """The last processed video of a session's Video tab: for its summary, downloads and plot, and for
    the Compare tab, which reuses the run."""

    run: VideoRun
    folder: Path  # where its files are
    name: str  # the upload's name, for the downloads
    report: ReportSettings  # the models and options that made it, for the session report
    keypoints: ModelChoice | None = None  # which keypoint model ran and why (None: not said)

    def files(self, lang: str) -> list[Path]:
        """The run's files for its user, written beside it: every frame's persons and verdicts per track as
        CSV and, when repetitions were counted, the repetitions as JSON and CSV and the session report (in
        ``lang``)."""
        run, stem = self.run, self.folder / self.name
        csv_path = Path(f"{stem}_poses.csv")
        write_csv(run, csv_path)
        if run.reps is None:
            return [csv_path]
        reps_json, reps_csv, report = (
            Path(f"{stem}_{kind}") for kind in ("reps.json", "reps.csv", "report.html")
        )
        write_reps_json(run.to_dict(), run.reps, reps_json)
        write_reps_csv(run.reps, reps_csv)
        write_report(report, run, run.reps, self.report, language=lang)
        return [csv_path, reps_json, reps_csv, report]


class PoseApp:
    """What every tab's handlers are given (``ImageTab``, ``VideoTab``, ``WebcamTab``, ``CompareTab``,
    ``Teacher``). One instance serves every session; per-session data lives in ``gr.State``."""

    def __init__(
        self,
        models: LoadedModels,
        outputs: OutputFolders,
        catalog: RuleSet,
        clock: Callable[[], float] = time.monotonic,
        uploads: UploadFolders | None = None,
    ) -> None:
        self.models = models
        self.outputs = outputs
        self.catalog = catalog
        self.clock = clock  # webcam frames are timed by their arrival on this clock (seconds)
        self.uploads = uploads or UploadFolders.gradio()  # the only folders whose files are opened
        self.results = SessionResults()  # what sessions keep between events (see MAX_RESULT_BYTES)

    def settings(
        self,
        rule_file: Upload = None,
        classifiers: SessionClassifiers | None = None,
        lang: str = "en",
        **values: Any,
    ) -> Settings:
        """The checked settings; a ``rule_file`` must be one of this app's uploads. ``classifiers``: the
        session's (its ``gr.State``, filled by the Teach tab; clients cannot send it); ``lang``: the
        language of an error about the rule file."""
        what = translate("ui.upload.rule_file", lang)
        rule_file = optional_upload_path(rule_file, what, self.uploads, lang)
        s = Settings.parse(self.catalog, rule_file=rule_file, **values)
        return s if classifiers is None else replace(s, classifiers=classifiers)

    def save_image(self, image_bgr: np.ndarray, name: str) -> str:
        """The picture as a JPEG file of its own, for Gradio to serve.

        Not handed to Gradio as an array: Gradio saves arrays at a path named by their content and
        rewrites that file in place, so two requests with the same result (the same photo sent twice at
        once) could serve each other a half-written file.
        """
        path = self.outputs.new() / f"{name}_pose.jpg"
        if not cv2.imwrite(str(path), image_bgr, [cv2.IMWRITE_JPEG_QUALITY, 90]):
            raise OSError(f"could not write {path}")
        return str(path)

    def check_rule_file(
        self,
        rule_file: str | None,
        classifiers: SessionClassifiers | None = None,
        request: gr.Request | None = None,
    ) -> tuple[Any, Any, str]:
        """A rule file checked as soon as it is uploaded: (the file, the built-in rules control, a status).

        A file with a mistake is removed (so that it is not in force) and the mistake stays shown, with its
        line and column, until the next upload; a good file disables the built-in rules it replaces.
        """
        if not rule_file:
            return None, gr.update(interactive=True), ""
        lang = language(request)
        name = html.escape(Path(rule_file).name, quote=False)
        try:
            rules = load_rule_file(rule_file, classifiers.classifiers if classifiers else None)
        except RuleError as e:
            log.info("Rule file refused: %s", e)
            error = html.escape(e.text(lang), quote=False)
            return (
                None,
                gr.update(interactive=True),
                translate("ui.rules.refused", lang, name=name, error=error),
            )
        separator = translate("ui.list_separator", lang)
        titles = html.escape(separator.join(title_in(r.title, lang) for r in rules.rules), quote=False)
        status = translate("ui.rules.in_force", lang, count=len(rules.rules), name=name, titles=titles)
        return gr.update(), gr.update(interactive=False), status
