"""The fault run (`make faults`, and tests/faults/test_fault_run.py in `make test`): the project as deployed
(DJANGO_ENV=production, collectstatic, gunicorn with jaim/gunicorn.py, a Celery worker with beat) against a private
PostgreSQL cluster and a private redis-server that the run starts on free ports, and the suite's real SMTP server.
While scripted portal users sign in, upload the factory photo of their application and submit it, and a finance
officer (password and TOTP code) records payments in the admin, the run

  - SIGKILLs a gunicorn worker while it is answering a request (the master starts another),
  - stops Redis (broker and cache) for REDIS_DOWN_SECONDS and starts it again, empty,
  - SIGKILLs the Celery worker (with its beat) and starts a new one,
  - restarts PostgreSQL under the running application (persistent connections break).

Every user retries what failed, as a person would (the busy page says to). Afterwards: every submission and payment
the server accepted (a redirect) is in the database; nothing is half-written (every submitted application has its
receipt number and its one receipt mail, every invoice is either paid in full by exactly one payment or untouched);
every mail written during the run reached the SMTP server exactly once; no response was a 500 (an outage is the
503 busy page). The figures are printed and returned."""

import datetime as dt
import http.client
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from tests.deploy.procs import BASE_DIR, gunicorn, multipart, wait_for, worker_with_beat
from tests.faults.services import PrivatePostgres, PrivateRedis, free_port
from tests.smtp import SMTPServer

BUSY = "ただいま混み合っています"
APPLICANTS, INVOICES = 12, 8
# Redis is down for 20 s rather than the 30 s of the first run from outside: what is measured is the same (requests
# meanwhile, mail written while the broker is gone, the worker reconnecting with its growing back-off, the sweep
# after it), and the run stays within the 2 minutes CI gives it.
REDIS_DOWN_SECONDS = 20
LOAD_SECONDS = 45
JST = dt.timezone(dt.timedelta(hours=9))


class Client:
    """HTTP on loopback as a browser behind the TLS proxy: X-Forwarded-Proto https, a cookie jar that keeps the
    Secure cookies, Referer and Origin on POSTs, and the CSRF token of the last page that carried one."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        origin = f"https://127.0.0.1:{self.port}"
        hdrs = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https", **(headers or {})}
        if method == "POST":
            hdrs |= {"Origin": origin, "Referer": origin + path}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=hdrs)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        text = data.decode(errors="replace")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if token:
            self.csrf = token.group(1)
        return response.status, response.headers, text

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, fields: dict, files: dict | None = None):
        fields = {"csrfmiddlewaretoken": self.csrf, **fields}
        if not files:
            body = urlencode(fields).encode()
            return self.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
        boundary = uuid.uuid4().hex
        body = multipart(boundary, fields, files)
        return self.request("POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})


class Record:
    """Every request of the run and its outcome (a status, or the connection error)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.outcomes: list[tuple[str, str]] = []  # (what, outcome)
        self.accepted: dict[str, list] = {"upload": [], "submit": [], "payment": []}
        self.non_busy_5xx: list[tuple[str, int, str]] = []

    def add(self, what: str, outcome: str):
        with self.lock:
            self.outcomes.append((what, outcome))


def attempt(record: Record, what: str, call, *, deadline: float, pause: float = 1.0):
    """One user action, retried after an outage (the busy page, a connection cut) until it is answered."""
    while True:
        try:
            status, headers, text = call()
        except (OSError, http.client.HTTPException) as exc:
            record.add(what, type(exc).__name__)
        else:
            record.add(what, str(status))
            if status >= 500 and not (status == 503 and BUSY in text and headers.get("Retry-After")):
                with record.lock:
                    record.non_busy_5xx.append((what, status, text[:300]))
            if status < 500:
                return status, headers, text
        if time.monotonic() > deadline:
            return None, None, ""
        time.sleep(pause)


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


def applicant(port, person, seed, record: Record, start_at: float, deadline: float):
    time.sleep(max(0.0, start_at - time.monotonic()))
    c = Client(port)
    pk = person["application"]
    attempt(record, "page", lambda: c.get("/accounts/login/"), deadline=deadline)
    status, _h, _t = attempt(
        record, "login",
        lambda: c.post("/accounts/login/", {"username": person["email"], "password": person["password"]}),
        deadline=deadline,
    )  # fmt: skip
    assert status == 302, f"login of {person['email']}: {status}"
    images = f"/mypage/applications/{pk}/step/images/"
    attempt(record, "page", lambda: c.get(images), deadline=deadline)
    status, headers, _t = attempt(
        record, "upload",
        lambda: c.post(f"/mypage/applications/{pk}/documents/",
                       {"step": "images", "document_type": seed["factory_image_type"]},
                       files={"file": ("工場.png", _png(), "image/png")}),
        deadline=deadline,
    )  # fmt: skip
    if status == 302:
        with record.lock:
            record.accepted["upload"].append(pk)
    review = f"/mypage/applications/{pk}/review/"
    attempt(record, "page", lambda: c.get(review), deadline=deadline)
    status, headers, _t = attempt(record, "submit", lambda: c.post(review, {}), deadline=deadline)
    if status == 302 and headers["Location"].rstrip("/").endswith(f"/applications/{pk}"):
        with record.lock:
            record.accepted["submit"].append(pk)


def finance(port, seed, record: Record, start_at: float, deadline: float, spacing: float):
    from django_otp.oath import TOTP

    time.sleep(max(0.0, start_at - time.monotonic()))
    c = Client(port)
    who = seed["finance"]
    attempt(record, "page", lambda: c.get("/accounts/login/"), deadline=deadline)
    attempt(
        record, "login",
        lambda: c.post("/accounts/login/", {"username": who["email"], "password": who["password"]}),
        deadline=deadline,
    )  # fmt: skip
    attempt(record, "page", lambda: c.get("/accounts/2fa/verify/?next=/admin/"), deadline=deadline)
    code = f"{TOTP(bytes.fromhex(who['key'])).token():06d}"
    status, headers, _t = attempt(
        record,
        "login",
        lambda: c.post("/accounts/2fa/verify/?next=/admin/", {"code": code}),
        deadline=deadline,
    )
    assert status == 302, f"second factor of finance: {status}"
    today = dt.datetime.now(JST).date().isoformat()
    for n, bill in enumerate(seed["invoices"]):
        time.sleep(max(0.0, start_at + n * spacing - time.monotonic()))
        page = f"/admin/fees/invoice/{bill['invoice']}/payment/"
        attempt(record, "page", lambda page=page: c.get(page), deadline=deadline)
        form = {
            "received_on": today,
            "amount_yen": bill["amount"],
            "payer_name": "ｶ)ｼｹﾝ",
            "reference": "障害試験",
        }
        status, _h, text = attempt(
            record, "payment", lambda page=page, form=form: c.post(page, form), deadline=deadline
        )
        # Accepted, or accepted before an answer that was lost (the retry then finds the invoice paid).
        if status == 302 or (status == 200 and "入金済み・取消済みの請求書が含まれています" in text):
            with record.lock:
                record.accepted["payment"].append(bill["invoice"])


def browser(port, record: Record, stop: threading.Event):
    c = Client(port)
    paths = ["/", "/roster/", "/roster/?q=%E8%A3%BD%E4%BD%9C%E6%89%80", "/accounts/login/"]
    n = 0
    while not stop.is_set():
        path = paths[n % len(paths)]
        n += 1
        attempt(record, "page", lambda path=path: c.get(path), deadline=0, pause=0.3)
        time.sleep(0.1)


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _serving(pid: int, port: int) -> bool:
    """The gunicorn worker `pid` holds an established connection on the served port: it is answering a request."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        cols = line.split()
        local_port, state, inode = int(cols[1].split(":")[1], 16), cols[3], cols[9]
        if local_port == port and state == "01" and inode in inodes:
            return True
    return False


def kill_a_gunicorn_worker_mid_request(master: int, port: int) -> bool:
    """SIGKILL one worker of `master` (started by this run) while it is answering a request."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for pid in _children(master):
            try:
                if _serving(pid, port):
                    os.kill(pid, signal.SIGKILL)
                    return True
            except (FileNotFoundError, ProcessLookupError):
                continue
        time.sleep(0.01)
    workers = _children(master)
    if workers:
        os.kill(workers[0], signal.SIGKILL)
    return False


def _sql(url: str, query: str, *args):
    import psycopg

    with psycopg.connect(url.replace("postgres://", "postgresql://"), connect_timeout=5) as conn:
        return conn.execute(query, args).fetchall()


def run(tmp: Path, *, out=print) -> dict:
    """Run the faults; returns the figures. Raises AssertionError if anything was lost, doubled or half-written."""
    tmp.mkdir(parents=True, exist_ok=True)
    began = time.monotonic()
    events: list[str] = []

    def event(text):
        events.append(f"{time.monotonic() - load_began:5.1f} s  {text}")

    with ExitStack() as stack:
        pg = stack.enter_context(PrivatePostgres())
        redis = stack.enter_context(PrivateRedis(tmp))
        smtp = stack.enter_context(SMTPServer())
        port = free_port()
        queue = f"faults-{uuid.uuid4().hex[:8]}"
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "EMAIL_", "GUNICORN_", "JAIM_"))
        }
        base |= {
            "DATABASE_URL": pg.url,
            "PYTHONPATH": str(BASE_DIR),
            "DJANGO_SETTINGS_MODULE": "jaim.settings",
        }
        env = base | {
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "JAIM_SITE_URL": f"http://127.0.0.1:{port}",
            "CELERY_BROKER_URL": f"{redis.url}/0",
            "CACHE_URL": f"{redis.url}/1",
            "CELERY_QUEUE": queue,
            "EMAIL_URL": smtp.url,
            "JAIM_PRIVATE_ROOT": str(tmp / "private"),
            "JAIM_STATIC_ROOT": str(tmp / "static"),
            "JAIM_CLAMD_SOCKET": "",
            "DB_CONN_MAX_AGE": "60",  # persistent connections: the restart breaks them under the running app
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_ACCESS_LOG": str(tmp / "access.log"),
            "LOG_LEVEL": "INFO",  # the worker says when it is ready
        }
        # Migrate and seed (no broker: nothing is sent while seeding) while collectstatic runs beside them.
        seed_env = base | {"CELERY_BROKER_URL": "memory://", "LOG_LEVEL": "ERROR",
                           "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                           "JAIM_PRIVATE_ROOT": str(tmp / "private")}  # fmt: skip
        collect = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=BASE_DIR, env=env,
            stdout=subprocess.DEVNULL, stderr=open(tmp / "collectstatic.log", "w"),  # noqa: SIM115
        )  # fmt: skip
        phases = {"cluster": time.monotonic() - began}
        for name, cmd in (("migrate", ["manage.py", "migrate", "--noinput"]),
                          ("seed", ["-m", "tests.faults.seed", str(tmp / "seed.json"), str(APPLICANTS), str(INVOICES)])):  # fmt: skip
            t0 = time.monotonic()
            done = subprocess.run(
                [sys.executable, *cmd], cwd=BASE_DIR, env=seed_env, capture_output=True, text=True
            )
            assert done.returncode == 0, done.stderr[-4000:]
            phases[name] = time.monotonic() - t0
        t0 = time.monotonic()
        assert collect.wait(timeout=300) == 0, (tmp / "collectstatic.log").read_text()[-4000:]
        phases["collectstatic_after"] = time.monotonic() - t0
        seed = json.loads((tmp / "seed.json").read_text())
        setup_seconds = time.monotonic() - began

        web_log = tmp / "gunicorn.log"
        web = stack.enter_context(gunicorn(env, web_log))
        workers = [0]

        def start_worker():
            workers[0] += 1
            log = tmp / f"worker{workers[0]}.log"
            cm = worker_with_beat(env, tmp, log, "-Q", queue)
            proc = cm.__enter__()
            stack.callback(cm.__exit__, None, None, None)
            wait_for(lambda: "ready." in log.read_text(errors="replace"), "the Celery worker", log)
            return proc

        worker = start_worker()
        wait_for(lambda: _up(port), "gunicorn to answer", web_log)

        record = Record()
        stop = threading.Event()
        load_began = time.monotonic()
        deadline = load_began + LOAD_SECONDS + 30
        threads = [threading.Thread(target=browser, args=(port, record, stop), daemon=True) for _ in range(2)]
        spacing = (LOAD_SECONDS - 5) / APPLICANTS
        threads += [
            threading.Thread(target=applicant, args=(port, p, seed, record, load_began + i * spacing, deadline),
                             daemon=True)
            for i, p in enumerate(seed["applicants"])
        ]  # fmt: skip
        threads.append(threading.Thread(
            target=finance, args=(port, seed, record, load_began + 1, deadline, (LOAD_SECONDS - 5) / INVOICES),
            daemon=True,
        ))  # fmt: skip
        for t in threads:
            t.start()

        # The faults, on a schedule within the load (the users keep arriving until 40 s).
        time.sleep(3)
        mid = kill_a_gunicorn_worker_mid_request(web.pid, port)
        event(f"gunicorn worker SIGKILLed {'while answering a request' if mid else '(no request in flight)'}")
        time.sleep(3)
        pg.restart()
        event("PostgreSQL restarted")
        time.sleep(3)
        redis.stop()
        redis_down_at = dt.datetime.now(dt.UTC)
        event("Redis stopped")
        time.sleep(REDIS_DOWN_SECONDS)
        redis_up_at = dt.datetime.now(dt.UTC)
        redis.start()
        redis_back = time.monotonic()
        event("Redis started again (empty)")
        time.sleep(3)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        event("Celery worker SIGKILLed")
        time.sleep(2)
        worker = start_worker()
        event("Celery worker started again")

        for t in threads[2:]:
            t.join(timeout=max(1.0, deadline - time.monotonic()))
        stop.set()
        for t in threads[:2]:
            t.join(timeout=30)
        load_seconds = time.monotonic() - load_began
        stuck = [t.name for t in threads if t.is_alive()]
        assert not stuck, f"users still waiting at the end of the run: {stuck}"

        # Mail: every row written during the run goes out once, without anybody queueing it again.
        def run_mail():
            return _sql(pg.url, 'SELECT "to", subject, status FROM jaim_outboxmessage WHERE id > %s',
                        seed["last_seed_mail"])  # fmt: skip

        def drained():
            rows = run_mail()
            return rows and all(s == "SENT" for _to, _s, s in rows) and len(smtp.received) >= len(rows)

        wait_for(drained, "every mail of the run to be sent", tmp / f"worker{workers[0]}.log", timeout=90)
        mails_done = time.monotonic() - redis_back
        time.sleep(3)  # a duplicate would come now (a second sender, a redelivered task)
        rows = run_mail()
        with smtp.lock:
            received = Counter(
                (str(m["To"]).strip(), str(m["Subject"]).strip()) for _rcpts, m in smtp.received
            )
        written = Counter((to, subject) for to, subject, _s in rows)

        # The database after the run.
        accepted = record.accepted
        apps = {pk: (status, receipt) for pk, status, receipt in _sql(
            pg.url, "SELECT id, status, receipt_number FROM applications_application WHERE id = ANY(%s)",
            [p["application"] for p in seed["applicants"]])}  # fmt: skip
        received_mails = Counter(to for to, _sub, _st in _sql(
            pg.url, "SELECT \"to\", subject, status FROM jaim_outboxmessage WHERE kind = 'application_received'"))  # fmt: skip
        photos = dict(_sql(pg.url, "SELECT d.application_id, count(*) FROM applications_document d "
                                   "WHERE d.document_type_id = %s GROUP BY d.application_id",
                           seed["factory_image_type"]))  # fmt: skip
        invoices = {pk: (status, total, paid, payments) for pk, status, total, paid, payments in _sql(
            pg.url, "SELECT i.id, i.status, i.total_yen, coalesce(sum(a.amount_yen), 0), count(DISTINCT a.payment_id) "
                    "FROM fees_invoice i LEFT JOIN fees_paymentallocation a ON a.invoice_id = i.id "
                    "WHERE i.id = ANY(%s) GROUP BY i.id", [b["invoice"] for b in seed["invoices"]])}  # fmt: skip
        orphans = _sql(pg.url, "SELECT count(*) FROM fees_payment p WHERE NOT EXISTS "
                               "(SELECT 1 FROM fees_paymentallocation a WHERE a.payment_id = p.id)")[0][0]  # fmt: skip
        while_down = _sql(
            pg.url, "SELECT count(*) FROM jaim_outboxmessage WHERE id > %s AND created_at BETWEEN %s AND %s",
            seed["last_seed_mail"], redis_down_at, redis_up_at,
        )[0][0]  # fmt: skip
        email_of = {p["application"]: p["email"] for p in seed["applicants"]}

    lost = [f"application {pk}" for pk in accepted["submit"] if apps[pk][0] != "SUBMITTED"]
    lost += [f"photo of {pk}" for pk in accepted["upload"] if not photos.get(pk)]
    lost += [f"payment of invoice {pk}" for pk in accepted["payment"] if invoices[pk][0] != "PAID"]
    half = [f"application {pk} {st} {rc}" for pk, (st, rc) in apps.items() if (st == "SUBMITTED") != bool(rc)]
    half += [f"application {pk}: {received_mails[email_of[pk]]} receipt mails"
             for pk, (st, _rc) in apps.items() if received_mails[email_of[pk]] != (st == "SUBMITTED")]  # fmt: skip
    half += [f"invoice {pk}: {st}, {paid} of {total} in {n} payments" for pk, (st, total, paid, n) in invoices.items()
             if not ((st == "PAID" and paid == total and n == 1) or (st == "ISSUED" and paid == 0 and n == 0))]  # fmt: skip
    if orphans:
        half.append(f"{orphans} payments settling nothing")
    kinds = Counter(outcome for _what, outcome in record.outcomes)
    figures = {
        "setup_seconds": round(setup_seconds, 1),
        "setup_phases_seconds": {k: round(v, 1) for k, v in phases.items()},
        "load_seconds": round(load_seconds, 1),
        "requests": len(record.outcomes),
        "responses_by_status": {k: v for k, v in sorted(kinds.items()) if k.isdigit()},
        "errors_by_kind": {k: v for k, v in sorted(kinds.items()) if not k.isdigit() or k.startswith("5")},
        "accepted": {k: len(v) for k, v in accepted.items()},
        "submitted_in_db": sum(1 for st, _rc in apps.values() if st == "SUBMITTED"),
        "paid_in_db": sum(1 for v in invoices.values() if v[0] == "PAID"),
        "mails_written": sum(written.values()),
        "mails_written_while_redis_down": while_down,
        "mails_received": sum(received.values()),
        "mails_twice": sum(1 for k, n in received.items() if n > 1),
        "all_mail_sent_s_after_redis_returned": round(mails_done, 1),
        "non_busy_5xx": len(record.non_busy_5xx),
        "lost": len(lost),
        "half_written": len(half),
        "events": events,
    }
    out("\nfault run:\n" + json.dumps(figures, ensure_ascii=False, indent=2))
    assert not lost, lost
    assert not half, half
    assert received == written, (written - received, received - written)  # every mail exactly once
    assert not record.non_busy_5xx, record.non_busy_5xx  # an outage is the busy page, nothing else a 5xx
    assert len(accepted["submit"]) == APPLICANTS and len(accepted["payment"]) == INVOICES, accepted
    return figures


def _up(port: int) -> bool:
    try:
        return Client(port).get("/livez")[0] == 200
    except OSError:
        return False


if __name__ == "__main__":  # `make faults`: python -m tests.faults.run [DIR]
    import tempfile

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jaim.settings")
    import django

    django.setup()
    run(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="jaim-faults-")))
