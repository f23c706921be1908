"""PoseStream on real frames: stable ids, detection every k-th frame, late frames dropped, no shared state."""

from __future__ import annotations

import numpy as np
import pytest

from pose_demo import FrameResult, UniModel
from pose_demo.results import Box
from pose_demo.rules import RuleSet
from pose_demo.stream import PoseStream
from pose_demo.video.io import decode, probe
from tests.conftest import VIDEOS

FPS = 30.0


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    """The first 24 frames of the squat video (one man, side view), at half size."""
    info = probe(VIDEOS / "squat_side_view.mp4")
    return list(decode(info, (480, 272), info.rate, max_frames=24))


class CountingModel:
    """The real model, counting how often the detector runs."""

    def __init__(self, model: UniModel) -> None:
        self.model = model
        self.min_person_score = model.min_person_score
        self.detections = 0

    def predict(self, image: np.ndarray) -> FrameResult:
        self.detections += 1
        return self.model.predict(image)

    def predict_with_boxes(self, image: np.ndarray, boxes: list[Box]) -> FrameResult:
        return self.model.predict_with_boxes(image, boxes)


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
    every = run(PoseStream(fast_model, smoothing="none", max_latency_s=None), frames)
    counting = CountingModel(fast_model)
    stream = PoseStream(counting, smoothing="none", det_interval=3, max_latency_s=None)  # type: ignore[arg-type]
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
    judged = PoseStream(fast_model, rules=rules, max_latency_s=None)
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
