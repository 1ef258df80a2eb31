"""JAIM's own settings: the issuer block, upload limits and the virus scanner, review deadlines, rate limits,
exports. (Client addresses: JAIM_TRUSTED_PROXY_COUNT in the security module. PDF font: JAIM_PDF_FONT, default
IPAex Gothic.)"""

from .core import env

# --- signatures: JAIM's key and certificate for the PAdES signature of roster confirmations (jaim.signing),
# each a file path or the PEM text. Unset outside production → a self-signed demo pair in the private root;
# unset in production → the deploy check warns (jaim.W001) and confirmations are issued unsigned.
JAIM_SIGNING_KEY = env("JAIM_SIGNING_KEY", default="")
JAIM_SIGNING_CERT = env("JAIM_SIGNING_CERT", default="")
JAIM_SIGNING_KEY_PASSPHRASE = env("JAIM_SIGNING_KEY_PASSPHRASE", default="")

# --- fees: a link in an invoice mail opens that invoice's PDF without signing in for this many days.
JAIM_PDF_LINK_DAYS = env.int("JAIM_PDF_LINK_DAYS", default=30)

# --- staff notes on an establishment's timeline: their author may correct them for this many minutes.
JAIM_NOTE_EDIT_MINUTES = env.int("JAIM_NOTE_EDIT_MINUTES", default=15)

# --- uploads: size limits, virus scanner and image limits (jaim.uploads, jaim.virus) ------------------------
JAIM_UPLOAD_MAX_BYTES = env.int("JAIM_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
JAIM_APPLICATION_MAX_BYTES = env.int("JAIM_APPLICATION_MAX_BYTES", default=100 * 1024 * 1024)
# ClamAV's daemon: a Unix socket (JAIM_CLAMD_SOCKET, e.g. /run/clamav/clamd.ctl) or TCP (JAIM_CLAMD_HOST and
# JAIM_CLAMD_PORT). Unset → uploads are not scanned (development). Set but down → uploads are refused.
JAIM_CLAMD_SOCKET = env("JAIM_CLAMD_SOCKET", default="")
JAIM_CLAMD_HOST = env("JAIM_CLAMD_HOST", default="")
JAIM_CLAMD_PORT = env.int("JAIM_CLAMD_PORT", default=3310)
JAIM_CLAMD_TIMEOUT = env.float("JAIM_CLAMD_TIMEOUT", default=30.0)  # seconds, per file
# Images above this many pixels are refused before they are decoded (50 M: a 48-megapixel phone photo passes).
JAIM_UPLOAD_MAX_PIXELS = env.int("JAIM_UPLOAD_MAX_PIXELS", default=50_000_000)
# A PDF is parsed in a child process with this much memory (bytes, beyond the worker's own) and time (seconds).
JAIM_PDF_CHECK_MAX_MEMORY = env.int("JAIM_PDF_CHECK_MAX_MEMORY", default=256 * 1024 * 1024)
JAIM_PDF_CHECK_SECONDS = env.float("JAIM_PDF_CHECK_SECONDS", default=20.0)

# --- applications (review of applications and changes) -----------------------------------------------------
# After an approved name change or relocation, the member has this many days from the change date (the decision
# date when none was given) to send the follow-up documents; the reviewer may set another date.
JAIM_IDENTITY_FOLLOW_UP_DAYS = env.int("JAIM_IDENTITY_FOLLOW_UP_DAYS", default=30)
# An application sent back for correction: the deadline the return form suggests, in days from today.
JAIM_RETURN_DEADLINE_DAYS = env.int("JAIM_RETURN_DEADLINE_DAYS", default=30)

# --- fees: the issuer block printed on invoices, notices, credit notes and receipts ----------------------------
JAIM_ISSUER = {
    "name": env("JAIM_ISSUER_NAME", default="一般社団法人工業製品製造技能人材機構（JAIM）"),
    "lines": env.list("JAIM_ISSUER_LINES", default=["事務局 会費担当"]),
}

# --- roster: requests per client in any window of that many seconds on the public roster page and API
# (jaim.ratelimit, a sliding window), "requests/seconds"; "0/60" switches the limit off (e.g. for a benchmark
# where every client shares one address).
JAIM_ROSTER_RATE_LIMIT = env("JAIM_ROSTER_RATE_LIMIT", default="60/60")
JAIM_ROSTER_API_RATE_LIMIT = env("JAIM_ROSTER_API_RATE_LIMIT", default="60/60")
# Bulk verification (page and API) is counted in rows checked, "rows/seconds", besides the requests above.
JAIM_ROSTER_VERIFY_RATE_LIMIT = env("JAIM_ROSTER_VERIFY_RATE_LIMIT", default="5000/3600")

# --- backoffice: admin lists up to this many rows download at once as CSV/Excel; longer ones are written by a
# task. Export files are kept some days, then deleted by the daily sweep (beat schedule).
BACKOFFICE_EXPORT_SYNC_LIMIT = env.int("JAIM_EXPORT_SYNC_LIMIT", default=1000)
# A roster change queues a rebuild of today's CSV and Excel this many seconds later (one build per burst of
# changes; roster.exports.schedule_rebuild). 0 switches it off (the half-hourly run still rebuilds).
JAIM_ROSTER_EXPORT_DEBOUNCE = env.int("JAIM_ROSTER_EXPORT_DEBOUNCE", default=120)
