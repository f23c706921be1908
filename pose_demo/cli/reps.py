"""``reps``: a video -> repetitions per tracked person (given exercise or ``auto``), as a table, JSON, CSV."""

from __future__ import annotations

import argparse
from typing import Any

from tqdm import tqdm

from pose_demo.cli.common import add_model_args, add_video_args, model_from_args, video_options_from_args
from pose_demo.exercises import PersonReps
from pose_demo.exercises.exports import write_reps_csv, write_reps_json
from pose_demo.i18n import plural, title_in, translate
from pose_demo.report.session import ReportSettings, not_in_catalog, write_report
from pose_demo.video import check_video, process_video

THREADS = "Inference runs on 1 thread unless --threads says otherwise: ffmpeg uses the other cores."


def person_line(person: PersonReps, language: str) -> str:
    """One person's repetitions in a line: the exercise (and how sure), the count, the turning points."""
    if not person.exercise:
        how = not_in_catalog(person, language)
    else:
        exercise = title_in(person.counted.exercise.title, language) if person.counted else person.exercise
        how = translate("cli.reps.exercise", language, exercise=exercise, sure=f"{person.confidence:.0%}")
    reps = plural("ui.count.rep", person.count, language)
    line = translate("cli.reps.line", language, id=person.track_id, how=how, reps=reps)
    if len(person.tracks) > 1:  # one person the tracker lost and found again under new ids
        line += translate("cli.reps.tracks", language, tracks=", ".join(map(str, person.tracks)))
    turns = ", ".join(f"{r.turn:.1f}" for r in person.counted.reps) if person.counted else ""
    return line + (translate("cli.reps.turns", language, turns=turns) if turns else "")


def register(subparsers: Any) -> None:  # argparse's private _SubParsersAction
    p = subparsers.add_parser(
        "reps", help="a video -> repetitions per person, per-rep metrics and form checks", description=THREADS
    )
    p.add_argument("input", help="video file")
    p.add_argument("--json", help="repetitions per person as JSON")
    p.add_argument("--csv", help="one row per repetition")
    p.add_argument("--report", metavar="OUT.html", help="the session report: one self-contained HTML file")
    add_video_args(p)
    add_model_args(p)
    p.set_defaults(func=cmd_reps, threads=1, exercise="auto")


def cmd_reps(args: argparse.Namespace) -> int:
    options = video_options_from_args(args)  # an unknown exercise fails here, before the slow work
    info = check_video(args.input, options.max_duration_s)
    with tqdm(desc="frames", unit="frame") as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        model = model_from_args(args, streams=options.frames_in_flight)
        run = process_video(model, info, None, options, progress)
    persons = run.reps or []
    if args.json:
        write_reps_json(run.to_dict(), persons, args.json)
    if args.csv:
        write_reps_csv(persons, args.csv)
    if args.report:
        language = args.lang
        write_report(args.report, run, persons, ReportSettings(model.names, options), language)
    for p in persons:
        print(person_line(p, args.lang))
    notice = run.notice({"duration": "--max-duration"}, args.lang)
    if notice:
        print(notice)
    return 0
