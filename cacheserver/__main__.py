"""``python -m cacheserver``"""

import sys

from cacheserver.server import main

sys.exit(main())
