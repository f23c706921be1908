"""The pose studio web app: ``python demo_app.py [--host 0.0.0.0] [--port 7860] [--share]``.

Models come from ``POSE_DEMO_MODEL_DIR`` or are downloaded once into ``output_inference/``;
example media from ``POSE_DEMO_EXAMPLES_DIR`` or downloaded once (see ``docs/app.md``).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from pose_demo.app import create_demo, serve


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1, or $GRADIO_SERVER_NAME)")
    parser.add_argument("--port", type=int, help="port (default 7860, or $GRADIO_SERVER_PORT)")
    parser.add_argument("--share", action="store_true", help="also serve through a public gradio.live link")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    serve(create_demo(), args.host, args.port, args.share)


if __name__ == "__main__":
    main()
