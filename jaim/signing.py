"""JAIM's digital signature on the PDFs it issues (PAdES baseline B-B with pyHanko).

The key and certificate come from settings: JAIM_SIGNING_KEY and JAIM_SIGNING_CERT, each a file path or the PEM
text itself (an environment variable can hold either), and JAIM_SIGNING_KEY_PASSPHRASE for an encrypted key.
Without them, outside production, a self-signed demo pair (common name "JAIM", marked as a demonstration) is made
on first use in the private root (`<PRIVATE_ROOT>/signing/demo-signing.pem`, mode 0600, never committed). In
production without a configured key nothing is made up: the deploy check warns (`jaim.W001`, and the deploy runs
`check --deploy --fail-level WARNING`) and `signer()` answers None, so a document is issued unsigned and says so
(docs/decisions.md).

A signature is an incremental update: the rendered bytes stay as they were (a PDF/A file stays PDF/A) and the
signature covers all of them."""

import asyncio
import datetime as dt
import io
import logging
import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core import checks
from pyhanko.keys import load_certs_from_pemder_data, load_private_key_from_pemder_data
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

logger = logging.getLogger(__name__)

SIGNER_NAME = "JAIM"
DEMO_FILE = Path("signing") / "demo-signing.pem"
FIELD_NAME = "JAIMSignature"


def _pem_or_file(value: str) -> bytes:
    """A setting holds either the PEM text itself or the path of a PEM/DER file."""
    if "-----BEGIN" in value:
        return value.replace("\\n", "\n").encode()  # a PEM in one line of an env file, with \n escapes
    return Path(value).read_bytes()


def configured() -> bool:
    return bool(getattr(settings, "JAIM_SIGNING_KEY", "") and getattr(settings, "JAIM_SIGNING_CERT", ""))


def demo_path() -> Path:
    return Path(settings.PRIVATE_ROOT) / DEMO_FILE


def _make_demo_pair() -> bytes:
    """A self-signed RSA pair named JAIM, valid ten years, for development and the demo only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "一般社団法人工業製品製造技能人材機構（デモ）"),
            x509.NameAttribute(NameOID.COMMON_NAME, SIGNER_NAME),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,  # non-repudiation: what a document signature asks for
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem + cert.public_bytes(serialization.Encoding.PEM)


def demo_pair() -> bytes:
    """The demo key and certificate in one PEM file, made once (atomically: two workers starting together
    agree on one pair, the last rename wins before anyone reads)."""
    path = demo_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".demo-")
        try:
            os.write(fd, _make_demo_pair())
        finally:
            os.close(fd)
        os.chmod(tmp, 0o600)
        try:
            os.link(tmp, path)  # fails if another process made it first: keep theirs
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_bytes()


@dataclass(frozen=True)
class KeyMaterial:
    key: bytes
    cert: bytes
    passphrase: bytes | None
    demo: bool


def key_material() -> KeyMaterial | None:
    if configured():
        passphrase = getattr(settings, "JAIM_SIGNING_KEY_PASSPHRASE", "") or None
        return KeyMaterial(
            _pem_or_file(settings.JAIM_SIGNING_KEY),
            _pem_or_file(settings.JAIM_SIGNING_CERT),
            passphrase.encode() if passphrase else None,
            demo=False,
        )
    if getattr(settings, "PRODUCTION", False):
        return None
    pem = demo_pair()
    return KeyMaterial(pem, pem, None, demo=True)


@lru_cache(maxsize=4)
def _signer(material: KeyMaterial) -> signers.SimpleSigner:
    key = load_private_key_from_pemder_data(material.key, passphrase=material.passphrase)
    certs = list(load_certs_from_pemder_data(material.cert))
    store = SimpleCertificateStore()
    store.register_multiple(certs[1:])  # a chain after the signer's certificate, if the file has one
    return signers.SimpleSigner(signing_cert=certs[0], signing_key=key, cert_registry=store)


def signer() -> signers.SimpleSigner | None:
    """JAIM's signer, or None where none may be used (production without a configured key)."""
    material = key_material()
    return _signer(material) if material else None


def certificate():
    """The signer's certificate (asn1crypto), e.g. as the trust root of a validation."""
    s = signer()
    return s.signing_cert if s else None


def _outside_event_loop(fn, *args, **kwargs):
    """pyHanko's synchronous calls run their own event loop (asyncio.run): where one is already running in this
    thread (an ASGI server, a browser test driving the page), they run in a thread of their own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args, **kwargs).result()


@dataclass(frozen=True)
class SignatureFacts:
    """What a document and the roster's entry page say about the signature: who signs, and the SHA-256
    fingerprint of the certificate a PDF reader shows."""

    signer_name: str
    fingerprint: str
    demo: bool


def signature_facts() -> SignatureFacts | None:
    material = key_material()
    if material is None:
        return None
    cert = _signer(material).signing_cert
    assert cert is not None  # _signer always loads the certificate with the key
    return SignatureFacts(SIGNER_NAME, cert.sha256_fingerprint.replace(" ", ":"), material.demo)


def sign_pdf(content: bytes, *, reason: str, location: str = "日本") -> bytes | None:
    """`content` signed by JAIM as an incremental update (PAdES B-B), or None when no signer is available."""
    s = signer()
    if s is None:
        logger.error("PDF issued unsigned: JAIM_SIGNING_KEY / JAIM_SIGNING_CERT are not configured")
        return None
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        name=SIGNER_NAME,
        reason=reason,
        location=location,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(content), strict=False)
    out = _outside_event_loop(signers.PdfSigner(meta, signer=s).sign_pdf, writer)
    return out.getvalue()


def validate(content: bytes, *, trust_roots=None):
    """The status of the PDF's JAIM signature (pyHanko's PdfSignatureStatus), trusting `trust_roots` (default:
    JAIM's own certificate). Raises when the PDF holds no signature."""
    roots = trust_roots if trust_roots is not None else [certificate()]
    reader = PdfFileReader(io.BytesIO(content), strict=False)
    if not reader.embedded_signatures:
        raise ValueError("no signature")
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    return _outside_event_loop(validate_pdf_signature, reader.embedded_signatures[-1], context)


@checks.register(checks.Tags.security, deploy=True)
def check_signing_key(app_configs=None, **kwargs):
    """Production must sign with JAIM's own key: a deploy without one is refused by the deploy check."""
    if not getattr(settings, "PRODUCTION", False) or configured():
        return []
    return [
        checks.Warning(
            "JAIM_SIGNING_KEY and JAIM_SIGNING_CERT are not set: roster confirmations would be issued unsigned.",
            hint="Set both (a file path or the PEM text) and JAIM_SIGNING_KEY_PASSPHRASE for an encrypted key.",
            id="jaim.W001",
        )
    ]
