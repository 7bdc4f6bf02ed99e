"""Reads of the supervision app, one module per area, all importable from here."""

from .accountability import *  # noqa: F403
from .alerts import *  # noqa: F403
from .dashboard import *  # noqa: F403
from .orders import *  # noqa: F403
