"""The fault run (tests/faults/run.py; also `make faults`): production settings against a private PostgreSQL and
Redis, a scripted portal user and a finance officer at work while Redis stops, PostgreSQL restarts and the Celery
worker and a gunicorn worker are SIGKILLed. Nothing accepted is lost, nothing half-written, every mail sent exactly
once, no 500 (an outage is the 503 busy page)."""

from tests.faults.run import APPLICANTS, INVOICES, run


def test_faults_lose_nothing_write_nothing_half_and_send_every_mail_exactly_once(tmp_path):
    figures = run(tmp_path)
    assert figures["lost"] == 0 and figures["half_written"] == 0 and figures["non_busy_5xx"] == 0
    assert figures["accepted"] == {"upload": APPLICANTS, "submit": APPLICANTS, "payment": INVOICES}
    assert figures["submitted_in_db"] == APPLICANTS and figures["paid_in_db"] == INVOICES
    assert figures["mails_written"] == figures["mails_received"] == APPLICANTS + INVOICES  # received, paid
    assert figures["mails_twice"] == 0
    # Mail was written while the broker was gone, and went out after it returned, within a minute.
    assert figures["mails_written_while_redis_down"] >= 1
    assert figures["all_mail_sent_s_after_redis_returned"] < 60
    # The faults really met requests: the killed gunicorn worker was answering one, and the run saw outages.
    assert any("while answering a request" in e for e in figures["events"]), figures["events"]
