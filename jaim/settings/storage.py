"""Static files and uploads. Uploads live in a private root (or a private S3 bucket), never under a public URL."""

from pathlib import Path

from .core import BASE_DIR, PRODUCTION, env

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("JAIM_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
# Production: WhiteNoise serves STATIC_ROOT (filled by `collectstatic` at image build) with hashed, compressed
# files; a hashed name is cached for a year (immutable). Development: runserver serves the app directories.
_static_storage = (
    "jaim.staticfiles.StaticFilesStorage"  # WhiteNoise CompressedManifestStaticFilesStorage
    if PRODUCTION
    else "django.contrib.staticfiles.storage.StaticFilesStorage"
)

# Uploaded files never live under a public media root: they are served only by views that check access.
PRIVATE_ROOT = Path(env("JAIM_PRIVATE_ROOT", default=str(BASE_DIR / "private")))
MEDIA_ROOT = PRIVATE_ROOT
MEDIA_URL = "/media/"  # never routed: uploads are served only by access-checking views
# A private S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set (credentials: boto3's own chain, e.g.
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). Every object is written with the private ACL; the views stream the
# bytes after their access check and never hand out the object's URL. Should something ask for a URL (the admin's
# file widget), it is presigned and expires after AWS_QUERYSTRING_EXPIRE seconds.
if env("AWS_STORAGE_BUCKET_NAME", default=""):
    _private_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL", default=None),
            "region_name": env("AWS_S3_REGION_NAME", default=None),
            "default_acl": "private",
            "querystring_auth": True,
            "signature_version": "s3v4",  # Signature Version 4 (version 2 is refused by new AWS buckets)
            "querystring_expire": env.int("AWS_QUERYSTRING_EXPIRE", default=300),
            "file_overwrite": False,
        },
    }
else:
    _private_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_ROOT), "base_url": None},
    }
STORAGES = {
    "default": _private_storage,
    "staticfiles": {"BACKEND": _static_storage},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
