"""Compare (issue 14): real clips cut with the bundled ffmpeg, each analysed once for the module."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pose_demo import AnalysisOptions, UniModel, VideoOptions
from pose_demo.bench.compare import bench_compare
from pose_demo.cli import main
from pose_demo.compare import (
    CompareError,
    Motion,
    analyse_clip,
    angle_figure,
    compare_motions,
    compare_photos,
    side_by_side_picture,
    write_side_by_side,
)
from pose_demo.compare.features import FEATURES, pose_angles
from pose_demo.compare.render import (
    GRADE_COLORS,
    aligned_reference,
    limb_grades,
    overlaid_reference,
    panel_size,
)
from pose_demo.skeleton import COCO17
from pose_demo.video import probe
from pose_demo.video.io import decode, ffmpeg_exe
from tests.conftest import IMAGES, VIDEOS

SQUAT = VIDEOS / "squat_side_view.mp4"
RAISE = VIDEOS / "sports2d_demo5_dumbbell_lateral_raise.mp4"
REPS = json.loads((VIDEOS / "reps.json").read_text())["clips"]["squat_side_view.mp4"]["times"]  # 2.6 5.6 8.4
OPTIONS = VideoOptions(AnalysisOptions(focus="largest"), output_scale=0.5)
STANDING = IMAGES / "side_frame_squat_f0030_standing.jpg"
DEEP_SQUAT = IMAGES / "side_frame_squat_f0257_deep_squat.jpg"


def ffmpeg(*args: str | Path) -> Path:
    cmd = [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *map(str, args)]
    subprocess.run(cmd, check=True, timeout=120)
    return Path(args[-1])


def encode(src: Path, dst: Path, *args: str | float) -> Path:
    return ffmpeg("-i", src, *args, "-an", "-c:v", "libx264", "-preset", "ultrafast", dst)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("compare")
    ref = encode(SQUAT, d / "ref.mp4", "-t", 4)  # one squat, its bottom at 2.6 s
    full = encode(SQUAT, d / "full.mp4", "-t", 9.5)  # three squats, before he walks off
    cut_from, cut_to = (REPS[0] + REPS[1]) / 2, (REPS[1] + REPS[2]) / 2  # standing between reps
    graph = (
        f"[0:v]trim=0:{cut_from},setpts=PTS-STARTPTS[a];[0:v]trim={cut_to}:9.5,setpts=PTS-STARTPTS[b];"
        "[a][b]concat=n=2:v=1[v]"
    )
    return {
        "ref": ref,
        "slow": encode(ref, d / "slow.mp4", "-vf", "setpts=1.5*PTS,fps=30"),  # 2/3 speed, same frame rate
        "mirror": encode(ref, d / "mirror.mp4", "-vf", "hflip"),
        "raise": encode(RAISE, d / "raise.mp4", "-t", 4),
        "full": full,
        "cut": encode(full, d / "cut.mp4", "-filter_complex", graph, "-map", "[v]"),
    }


@pytest.fixture(scope="module")
def motions(fast_model: UniModel, clips: dict[str, Path]) -> dict[str, Motion]:
    return {name: analyse_clip(fast_model, path, name, OPTIONS) for name, path in clips.items()}


def test_features_ignore_position_size_and_side() -> None:
    rng = np.random.default_rng(0)
    kps = np.concatenate([rng.uniform(0, 100, (5, 17, 2)), np.ones((5, 17, 1))], axis=2)
    moved = kps.copy()
    moved[..., :2] = kps[..., :2] * 2.5 + [300, -40]
    np.testing.assert_allclose(pose_angles(moved), pose_angles(kps), atol=1e-9)
    flipped = kps.copy()
    flipped[..., 0] = 640 - kps[..., 0]
    np.testing.assert_allclose(
        pose_angles(flipped, mirror=True)[:, :8], pose_angles(kps)[:, [1, 0, 3, 2, 5, 4, 7, 6]]
    )
    unseen = kps.copy()
    unseen[:, 13, 2] = 0.0  # left knee not seen
    angles = pose_angles(unseen)
    assert np.isnan(angles[:, FEATURES.index("left_knee")]).all()
    assert not np.isnan(angles[:, FEATURES.index("right_knee")]).any()


def test_itself(motions: dict[str, Motion]) -> None:
    c = compare_motions(motions["ref"], motions["ref"])
    assert c.score == 100.0 and c.differences == ()
    np.testing.assert_array_equal(c.alignment.pairs, np.column_stack([np.arange(120), np.arange(120)]))
    assert c.timing["tempo_ratio"] == 1.0


def test_slowed(motions: dict[str, Motion]) -> None:
    c = compare_motions(motions["ref"], motions["slow"])
    assert c.score >= 95
    ref, ath = c.alignment.reference, c.alignment.athlete
    assert np.abs(ath - 1.5 * ref).max() <= 2  # athlete frames from the true mapping
    assert c.timing["tempo_ratio"] == pytest.approx(1.5, abs=0.02) and c.timing["pace"] == "slower"


def test_mirrored(motions: dict[str, Motion]) -> None:
    assert compare_motions(motions["ref"], motions["mirror"], mirror=True).score >= 95
    unmirrored = compare_motions(motions["ref"], motions["mirror"])
    assert unmirrored.score < 60
    assert any(d.joint.startswith(("left", "right")) for d in unmirrored.differences)


def test_squat_against_lateral_raise(motions: dict[str, Motion]) -> None:
    c = compare_motions(motions["ref"], motions["raise"])
    assert c.score < 50  # 33 with the default models
    assert "knee" in c.differences[0].joint and "less bent" in c.differences[0].text


def test_middle_rep_cut_out(motions: dict[str, Motion]) -> None:
    c = compare_motions(motions["full"], motions["cut"])
    assert c.exercise == "squat"
    cut = (REPS[1] + REPS[2]) / 2 - (REPS[0] + REPS[1]) / 2
    for athlete_turn, reference_turn in ((REPS[0], REPS[0]), (REPS[2] - cut, REPS[2])):
        frame = round(athlete_turn * 30)
        matched = c.alignment.reference[c.alignment.athlete == frame] / 30
        assert np.abs(matched - reference_turn).max() < 0.4


def test_cli(clips: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c.json"
    video, plot = tmp_path / "c.mp4", tmp_path / "c.png"
    assert main(["compare", str(clips["ref"]), str(clips["mirror"]), "--mirror", "--scale", "0.5",
                 "--json", str(out), "--out", str(video), "--overlay", "--plot", str(plot),
                 "--timings"]) == 0  # fmt: skip
    data = json.loads(out.read_text())
    assert set(data) >= {"score", "alignment", "differences", "timing"} and data["score"] >= 95
    assert data["alignment"][0] == [0, 0] and data["alignment"][-1] == [119, 119]
    printed = capsys.readouterr().out
    assert "score:" in printed and "timings (s): load models" in printed and "decode" in printed
    info = probe(video)
    assert (info.codec, info.frames, info.width, info.height) == ("h264", 120, 960, 272)
    assert plot.read_bytes()[:4] == b"\x89PNG"


def test_cli_refuses_a_photo_against_a_video(
    clips: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", str(STANDING), str(clips["ref"])]) == 2
    assert "Compare two videos or two photos" in capsys.readouterr().err


def limb_grade_seen(frame: np.ndarray, keypoints: np.ndarray, limb: int, x_offset: int) -> int | None:
    """The grade whose colour is read along the middle of one limb of the athlete's panel (five points,
    the most common reading; x264 blurs the colours, and other limbs or joints may cross it); None when
    no point is near a grade's colour."""
    a, b = COCO17.limbs[limb]
    seen = []
    for t in (0.3, 0.4, 0.5, 0.6, 0.7):
        x, y = keypoints[a, :2] + t * (keypoints[b, :2] - keypoints[a, :2])
        colour = frame[round(y), round(x) + x_offset].astype(int)
        distances = np.linalg.norm(colour - np.array(GRADE_COLORS), axis=1)
        if distances.min() < 120:
            seen.append(int(np.argmin(distances)))
    return max(set(seen), key=seen.count) if seen else None


@pytest.mark.parametrize(("athlete", "grade"), [("slow", 0), ("raise", 2)])
def test_side_by_side_video(motions: dict[str, Motion], tmp_path: Path, athlete: str, grade: int) -> None:
    """On the athlete's timeline, every frame; limbs in their grade's colour (read back after x264)."""
    c = compare_motions(motions["ref"], motions[athlete])
    out = tmp_path / "side.mp4"
    times = write_side_by_side(c, out, overlay=True)
    ath = c.athlete
    info = probe(out)
    left = panel_size(c.reference.size, ath.size)[0]
    assert (info.codec, info.frames) == ("h264", len(ath))
    assert (info.width, info.height) == (left + ath.size[0], ath.size[1])
    assert info.fps == pytest.approx(ath.fps, abs=0.01) and times.decode >= 0 and times.draw > 0
    ref_for = aligned_reference(c)
    grades = limb_grades(c.reference.keypoints[ref_for], ath.keypoints, tolerance=c.tolerance)
    read = []
    for k, frame in enumerate(decode(info, (info.width, info.height), info.rate)):
        if k % 15:
            continue
        for limb in np.flatnonzero(grades[k] == grade):
            a, b = COCO17.limbs[limb]
            if np.linalg.norm(ath.keypoints[k, a, :2] - ath.keypoints[k, b, :2]) < 20:
                continue  # too short to read its colour
            read.append(limb_grade_seen(frame, ath.keypoints[k], limb, left))
    assert len(read) >= 10 and read.count(grade) >= 0.9 * len(read), read
    if athlete == "slow":
        assert (grades[grades >= 0] == 0).mean() > 0.95  # the same movement: within tolerance
    else:
        assert (grades == 2).any(axis=1).mean() > 0.5  # a squat is not a lateral raise


def test_overlay_and_grades_of_a_known_pose() -> None:
    """The reference skeleton scaled about its mid-hip onto the athlete's; a limb turned 15 degrees is "off"
    at a 10 degree tolerance, 25 degrees "far off"; mirrored, the other side's limb is compared."""
    pose = np.ones((17, 3))
    pose[:, :2] = np.random.default_rng(1).uniform(0, 100, (17, 2))
    pose[11, :2], pose[12, :2], pose[5, :2], pose[6, :2] = (50, 100), (50, 100), (50, 40), (50, 40)
    moved = pose.copy()
    moved[:, :2] = (pose[:, :2] - [50, 100]) * 2 + [300, 400]  # twice as large, hips at (300, 400)
    np.testing.assert_allclose(overlaid_reference(pose, moved, 2.0, mirror=False), moved, atol=1e-9)
    mirrored = overlaid_reference(pose, moved, 2.0, mirror=True)
    np.testing.assert_allclose(mirrored[:, 0] - 300, -(moved[:, 0] - 300), atol=1e-9)
    knee, ankle = COCO17.index("left_knee"), COCO17.index("left_ankle")
    shank = COCO17.limbs.index((ankle, knee))
    for turn, grade in ((5, 0), (15, 1), (25, 2)):
        bent = pose.copy()
        t = np.radians(turn)
        rotation = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
        bent[ankle, :2] = pose[knee, :2] + rotation @ (pose[ankle, :2] - pose[knee, :2])
        assert limb_grades(pose[None], bent[None], tolerance=10)[0, shank] == grade
    flipped = pose.copy()
    flipped[:, 0] = 100 - pose[:, 0]
    flipped = flipped[COCO17.flip_index]  # the mirror image: left and right swapped
    assert (limb_grades(pose[None], flipped[None], mirror=True)[0] <= 0).all()


def test_angle_plot(motions: dict[str, Motion]) -> None:
    figure = angle_figure(compare_motions(motions["ref"], motions["slow"]))
    (ax,) = figure.axes
    athlete, reference = (line.get_ydata() for line in ax.get_lines())
    assert len(athlete) == len(reference) == 180 and "knee" in ax.get_ylabel()
    assert np.nanmax(np.abs(athlete - reference)) < 15
    assert np.nanmax(athlete) - np.nanmin(athlete) > 90  # the squat's knee


def test_two_photos(fast_model: UniModel, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    same = compare_photos(fast_model, STANDING, STANDING)
    assert same.score == 100.0 and same.differences == () and same.alignment.pairs.tolist() == [[0, 0]]
    c = compare_photos(fast_model, STANDING, DEEP_SQUAT)
    assert c.score < 50
    knees = [d for d in c.differences if d.joint.endswith("knee")]
    assert knees and all(d.difference_deg < -60 for d in knees)
    assert (
        knees[0].text.startswith(f"The {knees[0].joint.split('_')[0]} knee is")
        and "more bent" in knees[0].text
    )
    picture = side_by_side_picture(c)
    assert picture.shape == (544, 1920, 3)  # two 960 x 544 photos
    out = tmp_path / "photos.jpg"
    data = tmp_path / "p.json"
    assert main(["compare", str(STANDING), str(DEEP_SQUAT), "--out", str(out), "--json", str(data)]) == 0
    assert out.stat().st_size > 10_000 and "more bent" in capsys.readouterr().out
    assert json.loads(data.read_text())["alignment"] == [[0, 0]]


def test_nobody(fast_model: UniModel, tmp_path: Path) -> None:
    empty = ffmpeg("-f", "lavfi", "-i", "color=gray:s=320x240:d=1", "-c:v", "libx264", tmp_path / "e.mp4")
    with pytest.raises(CompareError, match="Nobody was found in the reference clip"):
        analyse_clip(fast_model, empty, "reference", OPTIONS)


def test_side_by_side_frames_without_encoding(motions: dict[str, Motion], tmp_path: Path) -> None:
    """``bench-compare`` times the side-by-side frames without x264: every frame drawn, no file, no wait
    on an encoder."""
    c = compare_motions(motions["ref"], motions["slow"])
    done: list[int] = []
    times = write_side_by_side(c, None, progress=lambda k, n: done.append(k))
    assert done == list(range(1, len(c.athlete) + 1)) and times.draw > 0 and times.encode < 0.05
    assert not list(tmp_path.iterdir())


def test_bench_compare(fast_model: UniModel, clips: dict[str, Path]) -> None:
    report = bench_compare(fast_model, clips["ref"], clips["mirror"], OPTIONS, mirror=True, rounds=1)
    analysed, scratch = report["analysed_s"], report["from_scratch_s"]
    beyond = analysed["align"]["median"] + analysed["render_no_encoding"]["median"]
    assert analysed["align_and_render_beyond_encoding"]["median"] == pytest.approx(beyond, abs=2e-3)
    assert analysed["render"]["median"] > 0 and report["frames"] == 120
    assert scratch["ratio"] == pytest.approx(scratch["analyse_both"] / scratch["video_tab_both"], abs=0.01)
    assert report["cpu"]["model"]  # the figures name the machine
