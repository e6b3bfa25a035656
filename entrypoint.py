#!/usr/bin/env python3
"""The container action's entry point: inputs and event in, herokufly.action.run, exit code out.

All mapping lives in herokufly/action.py so it is unit-tested with the package.
"""

import os
import sys

from herokufly.action import run

if __name__ == "__main__":
    sys.exit(run(os.environ))
