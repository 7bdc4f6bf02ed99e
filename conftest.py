"""Project-wide pytest setup (app-level fixtures live in each app's tests/)."""

import os

os.environ.setdefault("XN_AUDIT_SEAL_SECONDS", "3600")
