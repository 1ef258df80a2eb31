"""Loading the JSIC classification and the field list shipped in members/data (copied from the shared data)."""

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"


def read_jsic() -> list[dict]:
    with open(DATA_DIR / "jsic.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_field_codes() -> list[dict]:
    with open(DATA_DIR / "jsic_field_codes.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load(JsicCode, FieldEligibility, *, replace_eligibility: bool = False) -> tuple[int, int]:
    """Insert missing JSIC codes (parents first) and field-list entries. Staff edits to eligibility are kept
    unless replace_eligibility. Returns (codes created, entries created)."""
    rows = read_jsic()
    existing = set(JsicCode.objects.values_list("code", flat=True))
    order = {"major": 0, "middle": 1, "minor": 2, "detail": 3}
    new = [
        JsicCode(
            code=r["code"],
            level=r["level"],
            parent_id=r["parent"] or None,
            name_ja=r["name_ja"],
            name_en=r["name_en"],
        )
        for r in sorted(rows, key=lambda r: order[r["level"]])
        if r["code"] not in existing
    ]
    JsicCode.objects.bulk_create(new, batch_size=500)
    if replace_eligibility:
        FieldEligibility.objects.all().delete()
    have = set(FieldEligibility.objects.values_list("jsic_id", flat=True))
    entries = [
        FieldEligibility(
            jsic_id=r["code"],
            eligible=r["eligible"] == "yes",
            addon=r["addon"],
            evidence_template=r["evidence_template"],
            source=r["source"],
            note=r["note"],
        )
        for r in read_field_codes()
        if r["code"] not in have
    ]
    FieldEligibility.objects.bulk_create(entries)
    return len(new), len(entries)
