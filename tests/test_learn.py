"""Teach a posture by example (issue 13): features, training on labelled clip frames, the model file's
safety, the classifier as a rule, and the CLI. Each shared clip is analysed once (half size, every 2nd
frame) for the module; the labels come from the turning points in videos/reps.json."""

from __future__ import annotations

import csv
import itertools
import json
import pickle
from pathlib import Path

import cv2
import numpy as np
import pytest

from pose_demo import AnalysisOptions, UniModel, VideoOptions, analyse_image, load_image
from pose_demo.app.settings import load_rule_file
from pose_demo.app.views import verdict_table
from pose_demo.classifier.features import FEATURES, keypoint_features, mirror_keypoints
from pose_demo.classifier.model import Classifier, LearnError
from pose_demo.classifier.model_file import (
    ClassifierFileError,
    classifier_document,
    load_classifier,
    save_classifier,
)
from pose_demo.cli import main
from pose_demo.learn.examples import (
    ExampleSet,
    LabelRange,
    analyse_video,
    examples_from_folders,
    examples_from_frames,
    parse_labels,
)
from pose_demo.learn.report import confusion_png, report_figure, summary_text
from pose_demo.learn.train import TrainOptions, evaluate, train
from pose_demo.results import FrameResult
from pose_demo.rules import RuleError, RuleSet, RuleTracker
from pose_demo.video.exports import video_json, write_csv
from pose_demo.video.pipeline import FrameRecord, process_video
from tests.conftest import IMAGES, MODEL_DIR, VIDEOS

SQUAT, RAISE = "squat_side_view.mp4", "sports2d_demo5_dumbbell_lateral_raise.mp4"
TURNS = {
    clip: data["times"] for clip, data in json.loads((VIDEOS / "reps.json").read_text())["clips"].items()
}
HALF_WIDTH = 0.3  # seconds either side of a labelled moment
ANALYSIS = VideoOptions(AnalysisOptions(), frame_stride=2, output_scale=0.5)


def around(time: float, label: str) -> LabelRange:
    return LabelRange(max(0.0, time - HALF_WIDTH), time + HALF_WIDTH, label)


def squat_ranges() -> tuple[list[LabelRange], list[LabelRange]]:
    """Deep: the bottoms; standing: 1.5 s before the first bottom and halfway between bottoms. Training:
    the first two repetitions; testing: the last one."""
    b = TURNS[SQUAT]
    first = [around(b[0], "deep"), around(b[1], "deep"), around(b[0] - 1.5, "standing")]
    first.append(around((b[0] + b[1]) / 2, "standing"))
    return first, [around(b[2], "deep"), around((b[1] + b[2]) / 2, "standing")]


def raise_ranges() -> tuple[list[LabelRange], list[LabelRange]]:
    """Up: the tops; down: 2.2 s before the first top, halfway between tops, 2.2 s after the last.
    Training: the first two repetitions; testing: the last two."""
    t = TURNS[RAISE]
    mid = [(a + b) / 2 for a, b in itertools.pairwise(t)]
    first = [around(t[0], "up"), around(t[1], "up"), around(t[0] - 2.2, "down"), around(mid[0], "down")]
    last = [around(t[2], "up"), around(t[3], "up"), around(mid[1], "down"), around(mid[2], "down")]
    return first, [*last, around(t[3] + 2.2, "down")]


@pytest.fixture(scope="module")
def frames(fast_model: UniModel) -> dict[str, list[FrameRecord]]:
    return {clip: analyse_video(fast_model, VIDEOS / clip, ANALYSIS).frames for clip in (SQUAT, RAISE)}


@pytest.fixture(scope="module")
def squat_classifier(frames: dict[str, list[FrameRecord]]) -> Classifier:
    """Trained on every labelled repetition (the rule tests are about using it, not about generalising)."""
    first, last = squat_ranges()
    examples = examples_from_frames(frames[SQUAT], first + last, SQUAT)
    classifier, _ = train(examples, TrainOptions(threshold=0.55))
    return classifier


# --- features


def test_features_ignore_position_and_size(frames: dict[str, list[FrameRecord]]) -> None:
    kps = frames[SQUAT][10].persons[0].keypoints.copy()
    moved = kps.copy()
    moved[:, :2] = moved[:, :2] * 2.5 + [300.0, -40.0]
    a, b = keypoint_features(kps), keypoint_features(moved)
    assert a.shape == (1, len(FEATURES.names)) == (1, len(FEATURES.titles))
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(keypoint_features(mirror_keypoints(mirror_keypoints(kps))), a, atol=1e-4)
    # a mirror image: left and right swap, the knee angles with them
    mirrored = keypoint_features(mirror_keypoints(kps))[0]
    left, right = FEATURES.names.index("left_knee_angle"), FEATURES.names.index("right_knee_angle")
    assert mirrored[left] == pytest.approx(a[0, right], abs=1e-3)
    # a joint not seen is missing (NaN), not guessed; without hips and shoulders nothing is known
    hidden = kps.copy()
    hidden[16, 2] = 0.0  # right ankle
    f = keypoint_features(hidden)[0]
    assert np.isnan(f[right]) and np.isnan(f[FEATURES.names.index("right_ankle_x")])
    assert f[left] == pytest.approx(a[0, left], abs=1e-3)
    headless = kps.copy()
    headless[5:13, 2] = 0.0
    assert np.isnan(keypoint_features(headless)).all()
    assert FEATURES.title("shoulder_height_difference") == "left shoulder height vs right"


def test_labels_csv() -> None:
    ranges = parse_labels("start,end,label\n0.5,1.5,deep\n2,3,standing\n")
    assert ranges == [LabelRange(0.5, 1.5, "deep"), LabelRange(2.0, 3.0, "standing")]
    for text, words in (
        ("begin,end,label\n1,2,a\n", "header"),
        ("start,end,label\n2,1,a\n", "start <= end"),
        ("start,end,label\n0,2,a\n1,3,b\n", "overlap"),
        ("start,end,label\nx,2,a\n", "seconds"),
        ("start,end,label\n0,1,../etc\n", "not allowed"),
    ):
        with pytest.raises(LearnError, match=words):
            parse_labels(text, "labels.csv")


# --- trained on the first repetitions, judged on the last ones


@pytest.mark.parametrize(("clip", "ranges"), [(SQUAT, squat_ranges), (RAISE, raise_ranges)])
def test_first_reps_to_last(frames: dict[str, list[FrameRecord]], clip: str, ranges, tmp_path: Path) -> None:
    first, last = ranges()
    train_set = examples_from_frames(frames[clip], first, clip)
    test_set = examples_from_frames(frames[clip], last, clip)
    assert min(train_set.counts().values()) >= 15 and min(test_set.counts().values()) >= 8
    classifier, report = train(train_set, TrainOptions())
    evaluation = evaluate(classifier, test_set)
    print(f"{clip}: held-out accuracy {evaluation.accuracy:.3f}, confusion {evaluation.confusion}")
    assert evaluation.accuracy >= 0.95
    assert evaluation.roc_auc is not None and evaluation.roc_auc >= 0.95
    # the report: folds grouped by video stretch, features named in words, a picture of the matrix
    assert report.cross_validation is not None and report.folds >= 2
    assert report.groups < len(train_set)  # frames grouped, not split one by one
    assert all(title == FEATURES.title(name) for name, title, _ in report.top_features)
    text = summary_text(report)
    assert "Cross-validated" in text and report.top_features[0][1] in text
    assert any("near copies" in str(w) for w in report.warnings)  # neighbouring frames are alike
    png = confusion_png(report.cross_validation, tmp_path / "confusion.png")
    assert png.startswith(b"\x89PNG") and cv2.imread(str(tmp_path / "confusion.png")) is not None


def test_squat_on_a_mirrored_camera(frames: dict[str, list[FrameRecord]]) -> None:
    """No other squat clip is shared, so "another camera" is the same squats seen from the other side
    (keypoints mirrored): measured with and without mirrored copies in training."""
    first, last = squat_ranges()
    train_set = examples_from_frames(frames[SQUAT], first, SQUAT)
    test_set = examples_from_frames(frames[SQUAT], last, SQUAT)
    flipped = ExampleSet(
        tuple(type(e)(e.label, mirror_keypoints(e.keypoints), e.source, e.time) for e in test_set.examples)
    )
    scores = {}
    for mirror in (False, True):
        classifier, _ = train(train_set, TrainOptions(mirror=mirror))
        scores[mirror] = evaluate(classifier, flipped).accuracy
    print(f"squat, other side: accuracy {scores[False]:.3f} (plain), {scores[True]:.3f} (mirror=True)")
    assert scores[True] >= 0.95


def test_three_classes(frames: dict[str, list[FrameRecord]], tmp_path: Path) -> None:
    """multi:softprob: squat deep / standing and lateral raise arms up, from both clips; judged on the
    last repetitions; probabilities sum to 1; the saved file gives the same; the report picture."""
    sq_first, sq_last = squat_ranges()
    up_first, up_last = raise_ranges()
    up_first, up_last = ([r for r in rs if r.label == "up"] for rs in (up_first, up_last))
    train_set = examples_from_frames(frames[SQUAT], sq_first, SQUAT) + examples_from_frames(
        frames[RAISE], up_first, RAISE
    )
    test_set = examples_from_frames(frames[SQUAT], sq_last, SQUAT) + examples_from_frames(
        frames[RAISE], up_last, RAISE
    )
    classifier, report = train(train_set)
    assert classifier.classes == ("standing", "deep", "up") and len(report.cross_validation.confusion) == 3
    evaluation = evaluate(classifier, test_set)
    assert evaluation.accuracy >= 0.95 and evaluation.roc_auc is None
    probabilities = classifier.probabilities(test_set.keypoints)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    loaded = load_classifier(save_classifier(classifier, tmp_path / "three.json"))
    np.testing.assert_allclose(loaded.probabilities(test_set.keypoints), probabilities, atol=1e-6)
    report_figure(report).savefig(tmp_path / "report.png")
    assert cv2.imread(str(tmp_path / "report.png")).shape[1] > 600


def test_too_few_and_one_class(frames: dict[str, list[FrameRecord]]) -> None:
    b = TURNS[SQUAT]
    few = examples_from_frames(frames[SQUAT], [around(b[0], "deep"), LabelRange(0.5, 0.7, "standing")], SQUAT)
    _, report = train(few)
    assert any("'standing' has only" in str(w) for w in report.warnings)
    assert report.cross_validation is None and any("No cross-validation" in str(w) for w in report.warnings)
    with pytest.raises(LearnError, match="two or more classes"):
        train(examples_from_frames(frames[SQUAT], [around(b[0], "deep")], SQUAT))


# --- the model file: JSON only, checked, never executed


def test_save_and_load(
    squat_classifier: Classifier, frames: dict[str, list[FrameRecord]], tmp_path: Path
) -> None:
    path = save_classifier(squat_classifier, tmp_path / "squat.json")
    assert path.stat().st_size < 2_000_000
    loaded = load_classifier(path)
    kps = np.stack([f.persons[0].keypoints for f in frames[SQUAT] if f.persons])
    np.testing.assert_allclose(loaded.probabilities(kps), squat_classifier.probabilities(kps), atol=1e-6)
    assert loaded.classes == squat_classifier.classes and loaded.threshold == 0.55
    assert loaded.training["examples"] == squat_classifier.training["examples"]


def _write(tmp_path: Path, doc: object, name: str = "model.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_tampered_files_refused(squat_classifier: Classifier, tmp_path: Path) -> None:
    good = classifier_document(squat_classifier)
    cases = [
        ({**good, "code": "__import__('os').system('true')"}, "unknown keys"),
        ({**good, "features": {**good["features"], "version": "pose-demo-keypoint-features/0"}}, "made for"),
        ({**good, "format_version": 2}, "format version 2"),
        ({k: v for k, v in good.items() if k != "threshold"}, "missing keys"),
        ({**good, "classes": ["deep"]}, "classes"),
        ({**good, "threshold": 7}, "threshold"),
        ({**good, "model": {"learner": "no"}}, "not an XGBoost JSON model"),
        ({**good, "classes": ["a", "b", "c"]}, "outputs for 3 classes"),
        ([1, 2, 3], "not a pose-demo classifier file"),
    ]
    for doc, words in cases:
        with pytest.raises(ClassifierFileError, match=words):
            load_classifier(_write(tmp_path, doc))
    text = json.dumps(good)
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(ClassifierFileError, match="ends too early"):
        load_classifier(cut)


class _Marker:
    """Unpickling this would create a file: the proof that a pickle was executed."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.path), "w")


def test_pickle_renamed_json_not_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed.txt"
    model = tmp_path / "model.json"
    model.write_bytes(pickle.dumps(_Marker(marker)))
    with pytest.raises(ClassifierFileError, match="not JSON text"):
        load_classifier(model)
    (tmp_path / "rules.yaml").write_text(
        "rules:\n- {id: x, title: {en: X}, kind: classifier, model: model.json, flag: a}\n", encoding="utf-8"
    )
    with pytest.raises(
        RuleError, match=r"field .model.: model.json: not a classifier file: it is not JSON text"
    ):
        RuleSet.load(tmp_path / "rules.yaml")
    assert not marker.exists()


def test_huge_file_refused_unread(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as f:
        f.truncate(100 * 1024 * 1024)  # 100 MB (sparse: nothing written)
    with pytest.raises(ClassifierFileError, match="at most 21 MB"):
        load_classifier(huge)


# --- the classifier as a rule


RULES = """name: taught
rules:
  - id: deep_squat
    title: {{en: Deep squat (taught)}}
    kind: classifier
    model: {model}
    flag: deep
    debounce: {{n: 3, m: 4}}
"""


def test_classifier_rule(
    squat_classifier: Classifier, frames: dict[str, list[FrameRecord]], tmp_path: Path
) -> None:
    save_classifier(squat_classifier, tmp_path / "squat.json")
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(RULES.format(model="squat.json"), encoding="utf-8")
    rules = RuleSet.load(rules_file)
    rule = rules.rules[0]
    assert rule.kind == "classifier" and rule.classifier.threshold == 0.55 and rule.debounce == (3, 4)
    # per frame: value = probability of "deep", triggered from the threshold; debounced per track
    tracker = RuleTracker(rules)
    raw, held = [], []
    for frame in frames[SQUAT]:
        for person in frame.persons:
            verdict = rules.evaluate(person)[0]
            raw.append((frame.time, verdict))
            held.append((frame.time, tracker.evaluate(person, frame.time)[0]))
    near = [v for t, v in raw if min(abs(t - b) for b in TURNS[SQUAT]) <= 0.2]
    assert all(v.level == "ok" and v.triggered == (v.value >= 0.55) for _, v in raw if v.value is not None)
    assert np.mean([v.triggered for v in near]) >= 0.8
    standing = [v for t, v in raw if t < 1.2]
    assert standing and not any(v.triggered for v in standing)
    assert [v.to_dict()["id"] for _, v in raw[:1]] == ["deep_squat"]
    # debounced: never triggered on a first lone frame; each bottom is held
    flips = sum(1 for (_, a), (_, b) in itertools.pairwise(held) if b.triggered and not a.triggered)
    assert flips == 3


def test_classifier_rule_on_photos(
    squat_classifier: Classifier, fast_model: UniModel, tmp_path: Path
) -> None:
    save_classifier(squat_classifier, tmp_path / "squat.json")
    (tmp_path / "rules.yaml").write_text(RULES.format(model="squat.json"), encoding="utf-8")
    options = AnalysisOptions(focus="largest", rules=RuleSet.load(tmp_path / "rules.yaml"))
    small = {}
    for name in ("side_frame_squat_f0257_deep_squat.jpg", "side_frame_squat_f0030_standing.jpg"):
        image = load_image(IMAGES / name)
        small[name] = analyse_image(fast_model, cv2.resize(image, None, fx=0.5, fy=0.5), options)
    assert small["side_frame_squat_f0257_deep_squat.jpg"].persons[0].rules[0].triggered
    assert not small["side_frame_squat_f0030_standing.jpg"].persons[0].rules[0].triggered


def test_classifier_rule_errors(squat_classifier: Classifier, tmp_path: Path) -> None:
    save_classifier(squat_classifier, tmp_path / "squat.json")
    path = tmp_path / "rules.yaml"
    for text, words in (
        (RULES.format(model="missing.json"), "field 'model': missing.json: no such classifier file"),
        (RULES.format(model="squat.json").replace("flag: deep", "flag: jump"), "'jump' is not a class"),
        (RULES.format(model="squat.json") + "    threshold: 2\n", "field 'threshold'"),
        (
            RULES.format(model="squat.json") + "    measure: {joint_angle: [a, b, c]}\n",
            "unknown key 'measure'",
        ),
    ):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(RuleError, match=words):
            RuleSet.load(path)


def test_uploaded_rule_file_reaches_only_session_classifiers(
    squat_classifier: Classifier, tmp_path: Path
) -> None:
    """A rule file uploaded to the app may not name a file on the server, even one beside it."""
    save_classifier(squat_classifier, tmp_path / "squat.json")
    upload = tmp_path / "rules.yaml"
    for model in ("squat.json", "../../../etc/passwd", str(tmp_path / "squat.json")):
        upload.write_text(RULES.format(model=model), encoding="utf-8")
        with pytest.raises(RuleError) as refused:
            load_rule_file(str(upload))
        assert "in this session" in str(refused.value) and str(tmp_path) not in str(refused.value)
    upload.write_text(RULES.format(model="squat.json"), encoding="utf-8")
    rules = load_rule_file(str(upload), {"squat.json": squat_classifier})
    assert rules.rules[0].classifier.classifier is squat_classifier


# --- folders of photos; the CLI and the library agree


def _write_frames(video: Path, times: list[float], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    capture = cv2.VideoCapture(str(video))
    for time in times:
        capture.set(cv2.CAP_PROP_POS_MSEC, time * 1000)
        ok, frame = capture.read()
        assert ok
        cv2.imwrite(str(folder / f"{video.stem}_{time:05.2f}.jpg"), cv2.resize(frame, None, fx=0.5, fy=0.5))
    capture.release()


def test_folders_cli_and_library_agree(fast_model: UniModel, tmp_path: Path) -> None:
    b = TURNS[SQUAT]
    data = tmp_path / "DATA"
    _write_frames(VIDEOS / SQUAT, [t + d for t in b for d in (-0.2, 0.0, 0.2)], data / "deep")
    standing = [b[0] - 1.5, (b[0] + b[1]) / 2, (b[1] + b[2]) / 2]
    _write_frames(VIDEOS / SQUAT, [t + d for t in standing for d in (-0.2, 0.0, 0.2)], data / "standing")
    cv2.imwrite(str(data / "standing" / "empty_wall.jpg"), np.full((272, 480, 3), 200, np.uint8))

    examples = examples_from_folders(fast_model, data)
    assert examples.counts() == {"deep": 9, "standing": 9}
    assert [(s.source, str(s.reason)) for s in examples.skipped] == [
        ("standing/empty_wall.jpg", "nobody found")
    ]
    classifier, _ = train(examples)

    model, report = tmp_path / "model.json", tmp_path / "report.json"
    flags = ["--folders", str(data), "--model-dir", str(MODEL_DIR)]
    assert main(["learn", "train", *flags, "--out", str(model), "--json", str(report)]) == 0
    from_cli = load_classifier(model)
    assert from_cli.predict(examples.keypoints) == classifier.predict(examples.keypoints)
    np.testing.assert_allclose(
        from_cli.probabilities(examples.keypoints), classifier.probabilities(examples.keypoints), atol=1e-6
    )
    saved = json.loads(report.read_text())
    assert saved["counts"] == {"deep": 9, "standing": 9} and saved["skipped"][0]["reason"] == "nobody found"
    assert from_cli.keypoints["detector"] and from_cli.keypoints["main_person"] == "largest"

    out = tmp_path / "eval.json"
    assert main(["learn", "eval", str(model), *flags, "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    expected = evaluate(classifier, examples)
    assert set(result) >= {"accuracy", "per_class", "confusion", "labels"}
    assert result["accuracy"] == round(expected.accuracy, 4) and result["confusion"] == expected.confusion
    assert result["labels"] == ["deep", "standing"]

    # infer --rules: a rule file beside the model names it
    (tmp_path / "rules.yaml").write_text(RULES.format(model="model.json"), encoding="utf-8")
    photo = sorted((data / "deep").glob("*.jpg"))[1]
    out_dir = tmp_path / "infer"
    assert main(["infer", str(photo), "--out", str(out_dir), "--rules", str(tmp_path / "rules.yaml"),
                 "--focus", "largest", "--model-dir", str(MODEL_DIR)]) == 0  # fmt: skip
    (written,) = out_dir.glob("*.json")
    (verdict,) = json.loads(written.read_text())["persons"][0]["rules"]
    assert verdict["id"] == "deep_squat" and verdict["triggered"] and verdict["value"] >= 0.5


def test_cli_user_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_text("{}", encoding="utf-8")
    assert main(["learn", "eval", str(tmp_path / "bad.json"), "--folders", str(tmp_path)]) == 2
    assert "not a pose-demo classifier file" in capsys.readouterr().err
    out = str(tmp_path / "m.json")
    assert main(["learn", "train", "--video", str(VIDEOS / SQUAT), "--out", out]) == 2
    assert "one --labels file per --video" in capsys.readouterr().err


def test_classifier_rule_in_video_exports(
    squat_classifier: Classifier, fast_model: UniModel, tmp_path: Path
) -> None:
    """process_video with a classifier rule: verdicts per frame in the JSON, a probability column in the
    CSV, yes / no in the app's verdict table."""
    save_classifier(squat_classifier, tmp_path / "squat.json")
    (tmp_path / "rules.yaml").write_text(RULES.format(model="squat.json"), encoding="utf-8")
    analysis = AnalysisOptions(rules=RuleSet.load(tmp_path / "rules.yaml"))
    options = VideoOptions(analysis, frame_stride=3, output_scale=0.5, max_frames=40)
    run = process_video(fast_model, VIDEOS / SQUAT, tmp_path / "out.mp4", options)
    data = video_json(run)
    verdicts = [p["rules"][0] for f in data["frames"] for p in f["persons"]]
    assert {v["id"] for v in verdicts} == {"deep_squat"} and any(v["triggered"] for v in verdicts)
    write_csv(run, tmp_path / "out.csv")
    with open(tmp_path / "out.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == len(verdicts) and all(0 <= float(r["deep_squat_p"]) <= 1 for r in rows)
    table = verdict_table(FrameResult(run.frames[26].persons, run.size))  # 7.8 s: near the last bottom
    assert "Deep squat (taught)" in table.columns and set(table["Deep squat (taught)"]) <= {"yes", "no"}
