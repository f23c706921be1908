"""``bench-compare``: what comparing two clips costs. Once both are analysed (a Video-tab run, or a clip
compared lately): the alignment (score, differences, timing) and the side-by-side video, drawn and composed
without encoding, then with it, in alternating rounds. From scratch: the two clips' analyses against the
Video tab's work on the same clips (analysis, drawing and H.264), one after the other."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from pose_demo.compare import analyse_clip, compare_motions, write_side_by_side
from pose_demo.predictor import UniModel
from pose_demo.video import VideoOptions, process_video

T = TypeVar("T")


def cpu_model() -> dict[str, Any]:
    """The CPU's model name and the instruction sets that change inference speed (Linux; else empty)."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    flags = set(fields.get("flags", "").split())
    wanted = ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16")
    return {"model": fields.get("model name", ""), "flags": [f for f in wanted if f in flags]}


def _timed(run: Callable[[], T]) -> tuple[float, float, T]:
    """(wall seconds, this process's CPU seconds, result) of ``run()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def bench_compare(
    model: UniModel,
    reference: Path,
    athlete: Path,
    options: VideoOptions,
    mirror: bool = False,
    rounds: int = 3,
    video_tab: bool = True,
) -> dict[str, Any]:
    """Seconds per stage (medians over ``rounds``, with their range); ``video_tab``: also time the Video
    tab's work on both clips, for the from-scratch ratio."""
    clips = {"reference": reference, "athlete": athlete}
    analysed = {n: _timed(partial(analyse_clip, model, clip, n, options)) for n, clip in clips.items()}
    ref_motion, ath_motion = analysed["reference"][2], analysed["athlete"][2]
    runs: dict[str, list[float]] = {"align": [], "render_no_encoding": [], "render": [], "render_cpu": []}
    scratch = {"analyse_both": sum(wall for wall, _, _ in analysed.values())}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "side.mp4"
        for _ in range(rounds):
            wall, _, comparison = _timed(partial(compare_motions, ref_motion, ath_motion, mirror))
            runs["align"].append(wall)
            runs["render_no_encoding"].append(_timed(partial(write_side_by_side, comparison, None))[0])
            wall, cpu, _ = _timed(partial(write_side_by_side, comparison, out))
            runs["render"].append(wall)
            runs["render_cpu"].append(cpu)
        if video_tab:
            tab = [_timed(partial(process_video, model, path, out, options))[0] for path in clips.values()]
            scratch |= {"video_tab_both": sum(tab), "ratio": scratch["analyse_both"] / sum(tab)}
    beyond = [a + r for a, r in zip(runs["align"], runs["render_no_encoding"], strict=True)]
    return {
        "cpu": cpu_model(),
        "frames": len(ath_motion),
        "rounds": rounds,
        "analysed_s": {
            k: {stat: round(value, 3) for stat, value in _spread(v).items()}
            for k, v in {"align_and_render_beyond_encoding": beyond, **runs}.items()
        },
        "from_scratch_s": {k: round(v, 2) for k, v in scratch.items()},
    }


def _spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}
