"""Tables of the supervision app, one module per area, all importable from here.

A new area adds its module below (and lists its models in ``__all__``).
"""

from .accountability import *  # noqa: F403
from .alerts import *  # noqa: F403
from .dashboard import *  # noqa: F403
from .integrity import *  # noqa: F403
from .orders import *  # noqa: F403
