"""``video``: a video -> annotated H.264 video, per-frame JSON and CSV, GIF preview."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from tqdm import tqdm

from pose_demo.cli.common import (
    add_model_args,
    add_video_args,
    model_from_args,
    model_names,
    video_options_from_args,
)
from pose_demo.i18n import plural, translate
from pose_demo.models.budget import ModelChoice
from pose_demo.predictor import UniModel
from pose_demo.video import VideoInfo, VideoOptions, check_video, process_video
from pose_demo.video.budget import choose_video_keypoints, run_options
from pose_demo.video.exports import write_csv, write_gif, write_json

THREADS = "Inference runs on 1 thread unless --threads says otherwise: ffmpeg uses the other cores."


def register(subparsers: Any) -> None:  # argparse's private _SubParsersAction
    p = subparsers.add_parser(
        "video", help="a video -> annotated H.264 video, per-frame JSON / CSV, GIF", description=THREADS
    )
    p.add_argument("input", help="video file")
    p.add_argument("--out", help="annotated video (.mp4); default <input>_pose.mp4 if no output is given")
    p.add_argument("--json", help="per-frame persons as JSON")
    p.add_argument("--csv", help="one row per frame and person: keypoints and joint angles")
    p.add_argument("--gif", help="small animated GIF preview of the first seconds")
    add_video_args(p)
    add_model_args(p)
    p.set_defaults(func=cmd_video, threads=1)


def video_model(
    args: argparse.Namespace, info: VideoInfo, options: VideoOptions
) -> tuple[UniModel, ModelChoice, VideoOptions]:
    """The models the flags name, a stream per frame in flight, which keypoint model and why, and the options
    to run them with; with ``--kp-model auto``, the keypoint model the clip has time for, with the flip test
    for the main person where it fits (``pose_demo.video.budget``), said on the standard error."""
    loaded: dict[str, UniModel] = {}

    def load(keypoints: str) -> UniModel:
        if keypoints not in loaded:
            loaded[keypoints] = model_from_args(args, options.frames_in_flight, keypoints)
        return loaded[keypoints]

    choice = choose_video_keypoints(model_names(args)[1], load, info, options)
    if choice.reason != "chosen":
        print(choice.message(args.lang), file=sys.stderr)
    return load(choice.keypoints), choice, run_options(options, choice.flip)


def cmd_video(args: argparse.Namespace) -> int:
    out = args.out or (None if args.json or args.csv or args.gif else f"{Path(args.input).stem}_pose.mp4")
    options = video_options_from_args(args)
    info = check_video(args.input, options.max_duration_s)  # before the slow model loading
    with tempfile.TemporaryDirectory() as tmp, tqdm(desc="frames", unit="frame") as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        video = out or (Path(tmp) / "preview.mp4" if args.gif else None)
        model, choice, options = video_model(args, info, options)
        run = process_video(model, info, video, options, progress)
        if args.gif:
            write_gif(video, args.gif)
    if args.json:
        write_json(run, args.json, choice)
    if args.csv:
        write_csv(run, args.csv)
    written = [str(f) for f in (out, args.json, args.csv, args.gif) if f]
    print(
        translate(
            "cli.video.summary",
            args.lang,
            frames=len(run.frames),
            width=run.size[0],
            height=run.size[1],
            rate=f"{float(run.rate):.2f}",
            seconds=f"{run.seconds:.1f}",
            fps=f"{run.fps:.1f}",
            tracks=plural("ui.count.track", len(run.track_ids), args.lang),
            files=", ".join(written),
        )
    )
    notice = run.notice(
        {"duration": "--max-duration"}, args.lang
    )  # a limit stopped it, or the file ended early
    if notice:
        print(notice)
    return 0
