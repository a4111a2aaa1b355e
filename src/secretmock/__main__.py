"""``python -m secretmock`` is the ``secretmock`` command."""

import sys

from secretmock.cli import main

sys.exit(main())
