import pytest


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Demo seeding hashes ~80 passwords; PBKDF2's cost is not what these tests are about."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
