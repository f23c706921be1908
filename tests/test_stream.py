"""PoseStream on real frames: stable ids, detection every k-th frame, late frames dropped, no shared state,
detection threshold, focus on the main person, dark frames enhanced."""

from __future__ import annotations

import numpy as np
import pytest

from pose_demo import AnalysisOptions, FrameResult, UniModel
from pose_demo.results import Box
from pose_demo.rules import RuleSet
from pose_demo.stream import PoseStream
from pose_demo.tracking import iou_matrix
from pose_demo.video.io import decode, probe
from tests.conftest import VIDEOS

FPS = 30.0


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    """The first 24 frames of the squat video (one man, side view), at half size."""
    info = probe(VIDEOS / "squat_side_view.mp4")
    return list(decode(info, (480, 272), info.rate, max_frames=24))


@pytest.fixture(scope="module")
def street() -> list[np.ndarray]:
    """The 5 frames of the street video (two walkers found at this size), at half size."""
    info = probe(VIDEOS / "mmpose_demo_street_5frames.mp4")
    return list(decode(info, (480, 270), info.rate))


class CountingModel:
    """The real model, counting how often the detector runs."""

    def __init__(self, model: UniModel) -> None:
        self.model = model
        self.min_person_score = model.min_person_score
        self.detections = 0

    def predict(
        self, image: np.ndarray, det_threshold: float | None = None, flip: bool | str = False
    ) -> FrameResult:
        self.detections += 1
        return self.model.predict(image, det_threshold, flip)

    def predict_with_boxes(
        self, image: np.ndarray, boxes: list[Box], flip: bool | str = False
    ) -> FrameResult:
        return self.model.predict_with_boxes(image, boxes, flip)


def run(stream: PoseStream, frames: list[np.ndarray]) -> list[FrameResult]:
    return [stream.process(frame, k / FPS)[1] for k, frame in enumerate(frames)]


def test_one_person_keeps_one_track_id_and_is_drawn(fast_model: UniModel, frames: list[np.ndarray]) -> None:
    stream = PoseStream(fast_model, max_latency_s=None)
    annotated, first = stream.process(frames[0], 0.0)
    assert annotated.shape == frames[0].shape and np.abs(annotated.astype(int) - frames[0]).sum() > 0
    results = [first, *run(stream, frames)[1:]]
    assert all(len(r) == 1 and r.image_size == (480, 272) for r in results)
    assert {r.persons[0].track_id for r in results} == {1}


def test_det_interval_follows_the_tracks_between_detections(
    fast_model: UniModel, frames: list[np.ndarray]
) -> None:
    every = run(PoseStream(fast_model, AnalysisOptions(smoothing="none"), max_latency_s=None), frames)
    counting = CountingModel(fast_model)
    stream = PoseStream(counting, AnalysisOptions(smoothing="none", det_interval=3), max_latency_s=None)  # type: ignore[arg-type]
    followed = run(stream, frames)
    assert counting.detections == 8
    assert {p.track_id for r in followed for p in r.persons} == {1}
    a = np.stack([r.persons[0].keypoints for r in every])
    b = np.stack([r.persons[0].keypoints for r in followed])
    confident = (a[..., 2] > 0.5) & (b[..., 2] > 0.5)
    height = np.median([r.persons[0].box.height for r in every])
    error = np.linalg.norm(a[..., :2] - b[..., :2], axis=-1)[confident]
    assert np.median(error) < 0.02 * height  # the followed crops find the same joints


def test_late_and_out_of_order_frames_are_dropped(fast_model: UniModel, frames: list[np.ndarray]) -> None:
    arrivals = iter([100.0, 100.0 + 1 / FPS, 101.0, 100.0 + 4 / FPS])  # the third arrives 0.9 s late
    stream = PoseStream(fast_model, max_latency_s=0.2, clock=lambda: next(arrivals))
    stream.process(frames[0], 0.0)
    kept = stream.process(frames[1], 1 / FPS)
    assert stream.process(frames[2], 2 / FPS) is kept and stream.dropped == 1
    assert stream.process(frames[3], 1 / FPS) is kept and stream.dropped == 2  # timestamp went back
    fresh = stream.process(frames[4], 4 / FPS)
    assert fresh is not kept and stream.dropped == 2 and len(fresh[1]) == 1


def test_sessions_share_no_state(fast_model: UniModel, frames: list[np.ndarray]) -> None:
    first, second = PoseStream(fast_model, max_latency_s=None), PoseStream(fast_model)
    run(first, frames[:10])
    _, result = second.process(frames[10], 0.0)  # earlier than the first session's last frame
    assert second.dropped == 0 and [p.track_id for p in result.persons] == [1]
    assert first.smoother.track_ids == [1] and second.smoother.track_ids == [1]


def test_rules_are_judged_per_track_and_dead_tracks_are_forgotten(
    fast_model: UniModel, frames: list[np.ndarray]
) -> None:
    rules = RuleSet.load("default")
    judged = PoseStream(fast_model, AnalysisOptions(rules=rules), max_latency_s=None)
    plain = PoseStream(fast_model, max_latency_s=None)
    for k, frame in enumerate(frames[:5]):
        with_rules, result = judged.process(frame, k / FPS)
        without, _ = plain.process(frame, k / FPS)
    assert [v.id for v in result.persons[0].rules] == rules.ids
    assert any(v.unit == "deg" and v.value is not None for v in result.persons[0].rules)
    assert np.abs(with_rules.astype(int) - without).sum() > 0  # the verdicts are drawn
    blank = np.zeros_like(frames[0])
    for k in range(5, 5 + judged.tracker.max_age + 2):  # nobody in view: the track dies
        judged.process(blank, k / FPS)
    assert judged.smoother.track_ids == []


def test_detection_threshold_is_applied(fast_model: UniModel, frames: list[np.ndarray]) -> None:
    lenient = run(PoseStream(fast_model, AnalysisOptions(det_threshold=0.3), max_latency_s=None), frames)
    assert all(len(r) == 1 for r in lenient)
    strict = PoseStream(fast_model, AnalysisOptions(det_threshold=0.99), max_latency_s=None)
    annotated, result = strict.process(frames[0], 0.0)
    assert len(result) == 0 and np.array_equal(annotated, frames[0])
    assert all(len(r) == 0 for r in run(strict, frames)[1:])


def test_focus_keeps_the_main_person_and_its_track_id(fast_model: UniModel, street: list[np.ndarray]) -> None:
    everyone = run(PoseStream(fast_model, max_latency_s=None), street)
    assert all(len(r) >= 2 for r in everyone)
    by_id = [{p.track_id: p for p in r.persons} for r in everyone]
    first = everyone[0].persons
    largest_id = max(first, key=lambda p: p.box.width * p.box.height).track_id
    for focus in ("largest", "central"):
        focused = run(PoseStream(fast_model, AnalysisOptions(focus=focus), max_latency_s=None), street)
        assert all(len(r) == 1 for r in focused)
        (main_id,) = {r.persons[0].track_id for r in focused}
        assert (main_id == largest_id) == (focus == "largest")  # here the largest walker is off-centre
        for r, persons in zip(focused, by_id, strict=True):  # the same person, smoothed alike
            np.testing.assert_allclose(r.persons[0].keypoints, persons[main_id].keypoints)
    with pytest.raises(ValueError, match="focus 'tallest' is not available: choose one of everyone"):
        AnalysisOptions(focus="tallest")


def test_enhance_finds_the_person_in_a_dark_frame_and_draws_on_it(
    fast_model: UniModel, frames: list[np.ndarray]
) -> None:
    dark = (frames[0] * 0.05).astype(np.uint8)  # mean luminance about 6 of 255
    assert len(PoseStream(fast_model, max_latency_s=None).process(dark, 0.0)[1]) == 0
    annotated, result = PoseStream(fast_model, AnalysisOptions(enhance=True), max_latency_s=None).process(
        dark, 0.0
    )
    (found,) = result.persons
    (lit,) = fast_model.predict(frames[0]).persons
    assert iou_matrix(found.box.as_xyxy()[None], lit.box.as_xyxy()[None])[0, 0] > 0.7
    drawn = np.any(annotated != dark, axis=2)
    assert 0 < drawn.mean() < 0.1  # the skeleton is drawn on the dark frame itself, not on a brightened copy
