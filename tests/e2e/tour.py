"""Make the committed tour (docs/tour/*.png) from the screenshots of a browser-test run: a few steps, cropped to
what matters, scaled down and reduced to a small palette so that the repository stays light.

    .venv/bin/pytest tests/e2e            # writes artifacts/e2e/<journey>/NNN-<who>-<step>.png
    .venv/bin/python -m tests.e2e.tour    # picks, crops and shrinks them into docs/tour/
"""

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
TOUR = ROOT / "docs" / "tour"

# tour file, journey, screenshot step (file name ends with it), crop height in CSS pixels, width to scale to
PICKS = [
    ("01-mypage-correction-request.png", "establishment_journey", "applicant-mypage-returned", 900, 960),
    ("02-wizard-step-errors.png", "establishment_journey", "applicant-wizard-shipment-error", 1000, 960),
    ("03-wizard-review.png", "establishment_journey", "applicant-wizard-review", 1700, 960),
    ("04-establishment-invoice-receipt.png", "establishment_journey", "applicant-paid-and-listed", 1500, 960),
    ("05-phone-invoice-cards.png", "establishment_journey", "applicant-paid-and-listed-phone", 1900, 390),
    ("06-admin-queue.png", "staff_journey", "reviewer-queue-oldest-first", 620, 960),
    ("07-roster-search-kana.png", "officer_journey", "officer-roster-results-kana", 1050, 960),
    ("08-roster-entry-past-date.png", "officer_journey", "officer-withdrawn-entry-past-date", 880, 960),
    ("09-review-workspace.png", "staff_journey", "reviewer-in-review", 1400, 960),
    ("10-roster-bulk-check.png", "officer_bulk_check", "officer-bulk-check-results", 1100, 960),
    ("11-roster-search-reading.png", "officer_journey", "officer-roster-results-reading", 900, 960),
    ("12-timeline-staff-note.png", "secretariat_journey", "reviewer-timeline-with-note", 960, 960),
    ("13-mail-wording-preview.png", "secretariat_journey", "administrator-mail-wording-preview", 620, 960),
]


def find(artifacts: Path, journey: str, step: str) -> Path:
    matches = sorted((artifacts / journey).glob(f"*-{step}.png"))
    if not matches:
        raise SystemExit(f"no screenshot {journey}/*-{step}.png: run the browser tests first")
    return matches[-1]


def shrink(source: Path, target: Path, *, crop_height: int, width: int) -> None:
    with Image.open(source) as img:
        img = img.convert("RGB")
        img = img.crop((0, 0, img.width, min(img.height, crop_height)))
        if img.width > width:
            img = img.resize((width, round(img.height * width / img.width)), Image.Resampling.LANCZOS)
        img.quantize(colors=96, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            target, optimize=True
        )


def main(argv: list[str]) -> int:
    import os

    artifacts = Path(os.environ.get("JAIM_ARTIFACTS_DIR") or ROOT / "artifacts") / "e2e"
    TOUR.mkdir(parents=True, exist_ok=True)
    for name, journey, step, crop_height, width in PICKS:
        shrink(find(artifacts, journey, step), TOUR / name, crop_height=crop_height, width=width)
        print(f"{name}: {(TOUR / name).stat().st_size // 1024} KB")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
