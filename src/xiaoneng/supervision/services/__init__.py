"""Writes of the supervision app, one module per area, all importable from here.

``sweep`` (deadline alerts), ``anomalies`` (rules on case events), ``alerts`` (explain,
confirm, dismiss, notify), ``orders`` (督办单), ``accountability`` (问责, bulletins).
Each module lists its public functions in ``__all__``.
"""

from .accountability import *  # noqa: F403
from .alerts import *  # noqa: F403
from .anomalies import *  # noqa: F403
from .orders import *  # noqa: F403
from .sweep import *  # noqa: F403
