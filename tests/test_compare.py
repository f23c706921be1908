"""Compare (issue 14): real clips cut with the bundled ffmpeg, each analysed once for the module."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pose_demo import AnalysisOptions, UniModel, VideoOptions
from pose_demo.cli import main
from pose_demo.compare import CompareError, Motion, analyse_clip, compare_motions
from pose_demo.compare.features import FEATURES, pose_angles
from pose_demo.video.io import ffmpeg_exe
from tests.conftest import VIDEOS

SQUAT = VIDEOS / "squat_side_view.mp4"
RAISE = VIDEOS / "sports2d_demo5_dumbbell_lateral_raise.mp4"
REPS = json.loads((VIDEOS / "reps.json").read_text())["clips"]["squat_side_view.mp4"]["times"]  # 2.6 5.6 8.4
OPTIONS = VideoOptions(AnalysisOptions(focus="largest"), output_scale=0.5)


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
    assert main(["compare", str(clips["ref"]), str(clips["mirror"]), "--mirror", "--scale", "0.5",
                 "--json", str(out)]) == 0  # fmt: skip
    data = json.loads(out.read_text())
    assert set(data) >= {"score", "alignment", "differences", "timing"} and data["score"] >= 95
    assert data["alignment"][0] == [0, 0] and data["alignment"][-1] == [119, 119]
    assert "score:" in capsys.readouterr().out


def test_nobody(fast_model: UniModel, tmp_path: Path) -> None:
    empty = ffmpeg("-f", "lavfi", "-i", "color=gray:s=320x240:d=1", "-c:v", "libx264", tmp_path / "e.mp4")
    with pytest.raises(CompareError, match="Nobody was found in the reference clip"):
        analyse_clip(fast_model, empty, "reference", OPTIONS)
