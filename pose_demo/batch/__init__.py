"""Batch jobs: many images and videos into per-input JSON, one Parquet keypoint table and a resumable
manifest, in this process (``local``) or on a Ray cluster (``ray``; Ray is imported by that engine only).
See docs/batch.md."""

from pose_demo.batch.inputs import BatchInput, BatchInputError, expand_inputs
from pose_demo.batch.manifest import ItemResult, Manifest
from pose_demo.batch.run import ENGINES, BatchSummary, run_batch
from pose_demo.batch.worker import BatchSettings, ModelChoice

__all__ = [
    "ENGINES",
    "BatchInput",
    "BatchInputError",
    "BatchSettings",
    "BatchSummary",
    "ItemResult",
    "Manifest",
    "ModelChoice",
    "expand_inputs",
    "run_batch",
]
