"""The session report's repetition pictures (issue 25, item 8): the picture of rep N shows the count N. The
squat clip is analysed with exercise squat; the report is rendered with its pictures' drawing watched: the
person handed to it carries rep N's count, and the counter label drawn reads "Squat N" ("深蹲 N 次"), where
the count drawn on the video at those moments was still N - 1 (a repetition is counted as it ends)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from pose_demo import AnalysisOptions, UniModel, VideoOptions, process_video
from pose_demo.report import session
from pose_demo.report.session import ReportSettings, render_report, turn_positions
from pose_demo.results import Person
from pose_demo.visualization.draw import DrawOptions, person_labels
from tests.conftest import VIDEOS

CLIP = VIDEOS / "squat_side_view.mp4"


def test_each_rep_picture_shows_its_own_count(fast_model: UniModel, monkeypatch: pytest.MonkeyPatch) -> None:
    options = VideoOptions(AnalysisOptions(exercise="squat"), output_scale=0.5)
    run = process_video(fast_model, CLIP, None, options)
    persons = [p for p in run.reps or [] if p.count > 0]
    assert [(p.exercise, p.count) for p in persons] == [("squat", 3)]
    (person,) = persons
    drawn: list[tuple[np.ndarray, Person]] = []
    real_picture = session.turn_picture

    def watched(frame: np.ndarray, seen: Person, *args: object, **kwargs: object) -> str:
        drawn.append((frame, seen))
        return real_picture(frame, seen, *args, **kwargs)

    monkeypatch.setattr(session, "turn_picture", watched)
    html = render_report(run, persons, ReportSettings(fast_model.names, options))
    assert re.findall(r"<figcaption>Rep (\d) · ", html) == ["1", "2", "3"]
    assert [seen.reps.count for _, seen in drawn if seen.reps is not None] == [1, 2, 3]
    for language, count in (("en", "Squat {}"), ("zh-CN", "深蹲 {} 次")):
        as_drawn = DrawOptions(show_boxes=False, show_labels=False, show_track_ids=False, language=language)
        labels = [[label.text for label in person_labels(frame, seen, as_drawn)] for frame, seen in drawn]
        assert labels == [[count.format(n)] for n in (1, 2, 3)]
    # what the video showed at those moments: the repetition under way not yet counted
    live = [
        next(p for p in run.frames[k].persons if p.track_id == person.track_id).reps
        for k in turn_positions(run, persons).values()
    ]
    assert [count.count for count in live if count is not None] == [0, 1, 2]
