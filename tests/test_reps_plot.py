"""The Video tab's angle plot shades each repetition of the chosen track and numbers it at its turning
point (the squat clip: 3 squats)."""

from __future__ import annotations

import pytest
from matplotlib.patches import Rectangle

from pose_demo import AnalysisOptions, UniModel
from pose_demo.app.video_tab import angle_figure
from pose_demo.rules import RuleSet
from pose_demo.video import VideoOptions, process_video
from tests.conftest import VIDEOS


def test_angle_plot_shades_each_rep(fast_model: UniModel) -> None:
    rules = RuleSet.load("default").select(["left_knee_angle", "trunk_lean"])
    options = VideoOptions(AnalysisOptions(rules=rules, exercise="squat"), frame_stride=2, output_scale=0.5)
    run = process_video(fast_model, VIDEOS / "squat_side_view.mp4", None, options)
    (squatter,) = [p for p in run.reps if p.count]
    figure = angle_figure(run, squatter.track_id, ["left_knee_angle", "trunk_lean"])
    reps = squatter.counted.reps
    assert len(reps) == 3 and len(figure.axes) == 2  # joint angles, and the lean on an axis of its own
    for ax in figure.axes:
        spans = [p for p in ax.patches if isinstance(p, Rectangle)]
        assert [(s.get_x(), s.get_x() + s.get_width()) for s in spans] == [
            pytest.approx((r.start, r.end)) for r in reps
        ]
        assert ax.get_lines()  # the measurement is drawn too
    numbers = [t for t in figure.axes[0].texts if t.get_text() in {"1", "2", "3"}]
    assert [t.get_text() for t in numbers] == ["1", "2", "3"]
    assert [t.xy[0] for t in numbers] == pytest.approx([r.turn for r in reps])
    assert "3 x Squat" in figure.axes[0].get_title(loc="left")
    other = angle_figure(run, None, ["left_knee_angle"])  # no track chosen: nothing shaded
    assert not other.axes[0].patches
