"""Benchmarks only (``bench``, ``bench-video``): timing runs, smoothing measures, and PaddleDetection's own
pre/post-processing and smoothing reimplemented as baselines. Nothing here is on the serving path."""
