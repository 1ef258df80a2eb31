"""Demo issuer block: JAIM's name, address, phone and a demo seal on every document. Safe to run twice."""


def seed_issuer(by):
    """JAIM's issuer block with a demo seal, registered as an administrator does in the admin."""
    from django.core.files.base import ContentFile

    from demo.files import sample_seal_png
    from jaim import issuer
    from jaim.uploads import inspect_upload

    if issuer.current_profile() is not None:
        return
    checked = inspect_upload(ContentFile(sample_seal_png(), name="seal.png"), where="issuer_seal", by=by)
    issuer.register_version(
        {
            "name": "一般社団法人工業製品製造技能人材機構（JAIM）",
            "department": "事務局 会費担当",
            "postal_code": "1000013",
            "address": "東京都千代田区霞が関一丁目3番1号（サンプル）",
            "phone": "0312345678",
            "email": "kaihi@demo.jaim.example",
        },
        seal=ContentFile(checked.content, name=f"seal.{checked.extension}"),
        by=by,
    )
