"""A real S3-compatible server on loopback for the suite (moto's standalone server, moto.server.ThreadedMotoServer):
boto3 and django-storages talk HTTP to it as to any S3 endpoint. It answers an unsigned (anonymous) GET of an object
whose ACL is not public with 403, as S3 does; it does not refuse an anonymous bucket listing, so a test checks the
bucket's ACL for that.

`with S3Server() as s3:` … `s3.create_private_bucket()`, `s3.keys(bucket)`, `s3.anonymous_get(bucket, key)`."""

import os
import urllib.error
import urllib.request
import uuid
from urllib.parse import quote

import pytest

from tests.smtp import free_port

REQUIRE_SERVICES = os.environ.get("JAIM_REQUIRE_SERVICES") == "1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "jaim-test", "AWS_SECRET_ACCESS_KEY": "jaim-test-secret"}
REGION = "ap-northeast-1"
PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def _server_class():
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # moto[server] and flask come with the dev dependencies (requirements.lock)
        reason = f"needs moto's S3 server (moto[server], flask): {exc}"
        if REQUIRE_SERVICES:
            pytest.fail(f"JAIM_REQUIRE_SERVICES=1 but this test {reason}")
        pytest.skip(reason)
    return ThreadedMotoServer


class S3Server:
    def __init__(self):
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._server = _server_class()(ip_address="127.0.0.1", port=self.port, verbose=False)

    def __enter__(self):
        self._server.start()
        return self

    def __exit__(self, *exc):
        self._server.stop()

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )

    def create_private_bucket(self) -> str:
        """A new bucket (unique name: the server's state lives as long as the test process) with the private ACL."""
        name = f"jaim-private-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(
            Bucket=name, ACL="private", CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        return name

    def keys(self, bucket: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))

    def body(self, bucket: str, key: str) -> bytes:
        return self.client().get_object(Bucket=bucket, Key=key)["Body"].read()

    def public_grants(self, bucket: str, key: str | None = None) -> list[dict]:
        """Grants to everyone or to every AWS account, on the object (or on the bucket when key is None)."""
        c = self.client()
        acl = c.get_object_acl(Bucket=bucket, Key=key) if key else c.get_bucket_acl(Bucket=bucket)
        return [g for g in acl["Grants"] if g["Grantee"].get("URI") in PUBLIC_GROUPS]

    def anonymous_get(self, bucket: str, key: str) -> int:
        """The status of a plain, unsigned GET of the object's URL: what anyone who learnt the URL would get."""
        try:
            with urllib.request.urlopen(f"{self.endpoint_url}/{bucket}/{quote(key)}", timeout=10) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
