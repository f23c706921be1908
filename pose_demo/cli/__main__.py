import sys

from pose_demo.cli import main

sys.exit(main())
