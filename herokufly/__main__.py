import sys

from herokufly.cli import main

sys.exit(main())
