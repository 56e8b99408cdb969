import sys

from hospsim.cli import main

sys.exit(main())
