"""The test suite's settings (pytest: DJANGO_SETTINGS_MODULE in pyproject.toml): the project's, plus a fast
password hasher — tests create many users; the production hasher's cost belongs to the benchmark."""

from jaim.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The suite builds roster files where a test asks for them, not after every change (tests/roster sets it).
JAIM_ROSTER_EXPORT_DEBOUNCE = 0
