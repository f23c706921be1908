"""SORT tracker: synthetic crossings and parallel walkers, birth/death, skipped detection, a real video."""

from __future__ import annotations

from collections import defaultdict

import cv2
import numpy as np
import pytest

from pose_demo import UniModel
from pose_demo.results import Box, Person
from pose_demo.tracking import Tracker, box_from_keypoints, iou_matrix
from pose_demo.tracking.tracker import pose_distance
from tests.conftest import VIDEOS

FPS = 30.0


def person_at(cx: float, cy: float, w: float = 60.0, h: float = 150.0) -> Person:
    return Person(
        Box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, 0.9), 0.9, np.zeros((17, 3), np.float32)
    )


def ids_by_name(
    tracker: Tracker, frames: list[dict[str, Person]], rng: np.random.Generator
) -> dict[str, list]:
    """Feed frames of named persons (shuffled each frame) and collect each name's track ids over time."""
    seen: dict[str, list] = defaultdict(list)
    for i, named in enumerate(frames):
        names = list(named)
        rng.shuffle(names)
        out = tracker.update([named[n] for n in names], i / FPS)
        for name, p in zip(names, out, strict=True):
            seen[name].append(p.track_id)
    return seen


def test_iou_matrix_values() -> None:
    a = np.array([[0, 0, 10, 10], [0, 0, 0, 0]], float)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], float)
    np.testing.assert_allclose(iou_matrix(a, b), [[1.0, 50 / 150, 0.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("occlude", [False, True])
def test_crossing_people_keep_their_ids(occlude: bool) -> None:
    """A walks right, B walks left past A (B hidden behind A for 5 frames when ``occlude``)."""
    rng = np.random.default_rng(0)
    frames = []
    for i in range(40):
        named = {"A": person_at(100 + 10 * i + rng.normal(0, 1), 200 + rng.normal(0, 1))}
        if not (occlude and 17 <= i < 22):
            named["B"] = person_at(500 - 10 * i + rng.normal(0, 1), 215 + rng.normal(0, 1), 50, 130)
        frames.append(named)
    seen = ids_by_name(Tracker(), frames, rng)
    a_ids, b_ids = set(seen["A"]), set(seen["B"])
    assert len(a_ids) == 1 and len(b_ids) == 1 and a_ids != b_ids
    assert None not in a_ids | b_ids  # tracks born in the first frames are reported at once, as in SORT


def test_parallel_walkers_keep_their_ids() -> None:
    rng = np.random.default_rng(1)
    frames = [
        {
            name: person_at(100 + 45 * k + 6 * i + rng.normal(0, 3), 300 + rng.normal(0, 3))
            for k, name in enumerate("PQR")
        }
        for i in range(60)
    ]
    seen = ids_by_name(Tracker(), frames, rng)
    assert [set(seen[n]) for n in "PQR"] == [{1}, {2}, {3}]


def test_birth_after_min_hits_and_death_after_max_age() -> None:
    tracker = Tracker(min_hits=3, max_age=5)
    t = iter(np.arange(100) / FPS)
    for _ in range(4):  # past the first min_hits frames: births now need min_hits hits
        assert tracker.update([], next(t)) == []
    births = [tracker.update([person_at(300, 200)], next(t))[0].track_id for _ in range(4)]
    assert births == [None, None, 1, 1]
    out = tracker.update([person_at(300, 200), person_at(600, 200)], next(t))
    assert [p.track_id for p in out] == [1, None]  # the second is a one-off false positive
    assert [i for i, _ in tracker.predict_boxes(next(t))] == [1]
    tracker.update([], next(t))
    assert tracker.predict_boxes(next(t)) == []  # a lost track is not carried between detections
    dead = [[]]
    for _ in range(6):
        tracker.update([], next(t))
        dead.append(list(tracker.dead_ids))
    assert dead == [[], [], [], [], [], [1], []]  # died on its 6th miss; the false positive had no id
    rebirth = [tracker.update([person_at(300, 200)], next(t))[0].track_id for _ in range(3)]
    assert rebirth == [None, None, 2]


def test_prediction_follows_timestamps() -> None:
    """A box moving 300 px/s, seen at 15 or at 30 fps, is predicted 60 px further 0.2 s later."""
    for fps in (15.0, 30.0):
        tracker = Tracker()
        times = np.arange(int(fps)) / fps
        for t in times:
            tracker.update([person_at(100 + 300 * t, 200)], t)
        ((_, box),) = tracker.predict_boxes(times[-1] + 0.2)
        assert (box.x1 + box.x2) / 2 == pytest.approx(100 + 300 * (times[-1] + 0.2), abs=3.0)


def test_skipped_detection_frames_keep_ids_and_let_new_tracks_grow() -> None:
    """Detection on every 3rd frame; in between, persons come from predicted boxes (re-anchored, noisy)."""
    rng = np.random.default_rng(2)
    tracker = Tracker()
    walkers = {"A": lambda i: (100 + 8 * i, 200), "B": lambda i: (600 - 5 * i, 220)}
    seen: dict[str, list] = defaultdict(list)
    late_ids = []
    for i in range(45):
        t = i / FPS
        if i % 3 == 0:
            persons = [person_at(*walkers[n](i)) for n in "AB"]
            if i >= 15:
                persons.append(person_at(400, 500))  # a newcomer, seen on detection frames only
            out = tracker.update(persons, t)
            for name, p in zip("AB", out, strict=False):
                seen[name].append(p.track_id)
            if i >= 15:
                late_ids.append(out[2].track_id)
        else:
            anchored = []
            for _, box in tracker.predict_boxes(t):
                jitter = rng.normal(0, 2, 4)
                anchored.append(Person(Box(*(box.as_xyxy() + jitter)), 0.8, np.zeros((17, 3), np.float32)))
            out = tracker.update(anchored, t, detected=False)
            assert all(p.track_id is not None for p in out)
    assert set(seen["A"]) == {1} and set(seen["B"]) == {2}
    assert late_ids[:2] == [None, None] and set(late_ids[2:]) == {3}


def posed(box: Box, keypoints: np.ndarray, score: float = 0.8) -> Person:
    return Person(Box(*box.as_xyxy(), score), score, keypoints)


def test_one_person_found_twice_keeps_one_track() -> None:
    """The detector finds a man doing push-ups in two boxes (with and without his raised shoulders, IoU
    about 0.6), the keypoint model the same pose in both, on some frames only: the second box is dropped
    as a duplicate, and never starts a track that would take the man's frames (his repetitions)."""
    rng = np.random.default_rng(3)
    pose = np.column_stack([rng.uniform(180, 320, 17), rng.uniform(140, 203, 17), np.full(17, 0.8)])
    tall, short = Box(174, 138, 323, 203), Box(169, 163, 320, 203)
    tracker = Tracker()
    ids = []
    for i in range(90):
        jitter = np.column_stack([rng.normal(0, 1.5, (17, 2)), np.zeros(17)])
        found = [posed(tall, pose + jitter, 0.6)] if i % 3 else []
        if i % 5 < 3 or not found:
            found.append(posed(short, pose + jitter[::-1] * 0.5, 0.65))  # the same pose from the other box
        out = tracker.update(found, i / FPS)
        assert len(out) == 1, i
        ids.append(out[0].track_id)
    assert set(ids) == {1}
    # Two people one behind the other (boxes overlapping as much) are two, and both are kept.
    other = pose.copy()
    other[:, 0] += 60
    out = tracker.update([posed(tall, pose), posed(short, other)], 90 / FPS)
    assert len(out) == 2 and pose_distance(out[0], out[1]) > 0.2
    assert pose_distance(posed(tall, pose), posed(short, pose)) == 0.0
    assert pose_distance(posed(tall, pose), posed(short, np.zeros((17, 3)))) == np.inf  # nothing to compare


def test_box_from_keypoints() -> None:
    kps = np.array(
        [[10, 20, 0.9], [30, 60, 0.8], [20, 40, 0.7], [500, 500, 0.1]] + [[0, 0, 0.0]] * 13, np.float32
    )
    box = box_from_keypoints(kps, score_thr=0.3, pad=0.1)
    assert box is not None
    np.testing.assert_allclose(box.as_xyxy(), [8, 16, 32, 64])
    assert box.score == pytest.approx(0.8)
    kps[2, 2] = 0.2
    assert box_from_keypoints(kps, score_thr=0.3) is None  # fewer than three confident keypoints


@pytest.fixture(scope="module")
def parkour_ids(fast_model: UniModel) -> dict[str, list[tuple[int, list[int]]]]:
    """Track ids per frame on the parkour clip (every 2nd frame, half size).

    "every": detection on every processed frame; "skip": detection on every 2nd processed frame, and in
    between keypoints cropped from the predicted boxes, the boxes re-anchored on those keypoints.
    """
    cap = cv2.VideoCapture(str(VIDEOS / "sports2d_demo_parkour_walk.mp4"))
    fps = cap.get(cv2.CAP_PROP_FPS)
    trackers = {"every": Tracker(), "skip": Tracker()}
    ids: dict[str, list[tuple[int, list[int]]]] = {"every": [], "skip": []}
    index = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if index % 2 == 0:
            frame = cv2.resize(frame, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
            t = index / fps
            detected = fast_model.predict(frame).persons
            out = trackers["every"].update(detected, t)
            ids["every"].append((index, [p.track_id for p in out if p.track_id is not None]))
            skip = trackers["skip"]
            if index % 4 == 0:
                out = skip.update(detected, t)
            else:
                boxes = [box for _, box in skip.predict_boxes(t)]
                crops = fast_model.predict_with_boxes(frame, boxes).persons
                anchored = [(p, box_from_keypoints(p.keypoints)) for p in crops]
                out = skip.update(
                    [Person(b, p.score, p.keypoints) for p, b in anchored if b], t, detected=False
                )
            ids["skip"].append((index, [p.track_id for p in out if p.track_id is not None]))
        index += 1
    assert index == 230
    return ids


@pytest.mark.parametrize("mode", ["every", "skip"])
def test_parkour_video_ids_are_stable(parkour_ids: dict, mode: str) -> None:
    """The clip shows a walker, a man on a utility box who jumps down, and a tiny person far behind: at most
    three long-lived ids (seen over 15+ frames). The walker, the only one detected from frame 60 to 184,
    keeps one id all the way across the picture."""
    frames_by_id: dict[int, list[int]] = defaultdict(list)
    for index, ids in parkour_ids[mode]:
        for track_id in ids:
            frames_by_id[track_id].append(index)
    long_lived = [i for i, f in frames_by_id.items() if f[-1] - f[0] >= 15]
    assert 1 <= len(long_lived) <= 3
    walker = {i for index, ids in parkour_ids[mode] if 60 <= index < 185 for i in ids}
    assert len(walker) == 1
    assert sum(1 for index, ids in parkour_ids[mode] if 60 <= index < 185 and ids) >= 50
