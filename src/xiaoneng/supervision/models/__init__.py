"""Tables of the supervision app, one module per area, all importable from here.

A new area adds its module below (and lists its models in ``__all__``).
"""

from .alerts import *  # noqa: F403
from .orders import *  # noqa: F403
