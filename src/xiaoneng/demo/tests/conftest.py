import pytest


@pytest.fixture(autouse=True)
def fast_password_hasher_and_own_media(settings, tmp_path):
    """Demo seeding hashes ~80 passwords; PBKDF2's cost is not what these tests are about.

    The catalogue's blank forms are stored under a media root of the test's own.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = str(tmp_path / "media")
