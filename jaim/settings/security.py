"""Security: headers, cookies, CSP, passwords, two-factor authentication, brute force, redaction.

`DJANGO_ENV=production … manage.py check --deploy --fail-level WARNING` passes with nothing silenced."""

from .core import LOGGING, PRODUCTION, env

AUTHENTICATION_BACKENDS = [
    "jaim.auth_backends.LoginAttemptBackend",  # django-axes, first: refuses a locked-out user+IP
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features: none that the site does not use (jaim.middleware.DeploymentHeadersMiddleware).
JAIM_PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), fullscreen=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), publickey-credentials-get=(), "
    "screen-wake-lock=(), serial=(), usb=(), xr-spatial-tracking=()"
)
if PRODUCTION:
    # TLS ends at the reverse proxy, which must overwrite X-Forwarded-Proto (never pass the client's through).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]  # the load balancer probes plain HTTP
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Content-Security-Policy (django-csp 4): nothing inline, nothing from elsewhere, never framed.
# Templates put behaviour in static/js/*.js (data-* attributes) and looks in static/css/*.css.
_CSP_SELF, _CSP_NONE = "'self'", "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_CSP_SELF],
        "script-src": [_CSP_SELF],
        "style-src": [_CSP_SELF],
        # django-simple-history's object history page carries one style attribute; allowed by its hash only.
        "style-src-attr": ["'unsafe-hashes'", "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='"],
        "img-src": [_CSP_SELF, "data:"],
        "font-src": [_CSP_SELF],
        "connect-src": [_CSP_SELF],
        "object-src": [_CSP_NONE],
        "base-uri": [_CSP_NONE],
        "form-action": [_CSP_SELF],
        "frame-src": [_CSP_NONE],
        "frame-ancestors": [_CSP_NONE],
        **({"upgrade-insecure-requests": True} if PRODUCTION else {}),
    }
}

# Two-factor authentication (django-otp): staff verify a TOTP code before any admin page; portal users may
# opt in on My Page. Recovery codes are django-otp static tokens.
OTP_TOTP_ISSUER = env("JAIM_TOTP_ISSUER", default="JAIM 会員管理")
OTP_TOTP_THROTTLE_FACTOR = 1  # each wrong code doubles the wait before the next try (1 s, 2 s, 4 s, …)
OTP_STATIC_THROTTLE_FACTOR = 1
JAIM_RECOVERY_CODE_COUNT = 10
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # the admin never shows a TOTP secret, its QR code or recovery codes

# Client address: REMOTE_ADDR, unless JAIM_TRUSTED_PROXY_COUNT names how many proxies of ours append to
# X-Forwarded-For (then the entry our outermost proxy appended). A client-sent X-Forwarded-For is never
# believed on its own (jaim.security.client_ip).
JAIM_TRUSTED_PROXY_COUNT = env.int("JAIM_TRUSTED_PROXY_COUNT", default=0)

# Brute force (django-axes): a user+IP combination is locked after a few failed logins, on the portal and
# the admin alike; a successful login resets the count.
AXES_ENABLED = env.bool("JAIM_AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("JAIM_LOGIN_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = env.float("JAIM_LOGIN_COOLOFF_HOURS", default=0.5)  # hours
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "jaim.security.client_ip"
AXES_USERNAME_CALLABLE = "jaim.security.login_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address"]

# Rate limits (jaim.ratelimit: a sliding window in the cache, Redis in production, so every web server shares
# the count), "requests/seconds": sign-in attempts per client (any address; axes still locks an address + client
# after 5 failures), password reset requests per client and per e-mail address.
JAIM_LOGIN_RATE_LIMIT = env("JAIM_LOGIN_RATE_LIMIT", default="30/300")
JAIM_RESET_LIMIT_PER_IP = "10/3600"
JAIM_SIGNUP_RATE_LIMIT = env(
    "JAIM_SIGNUP_RATE_LIMIT", default="10/3600"
)  # sign-ups per client (each sends a mail)
JAIM_RESET_LIMIT_PER_ADDRESS = "3/3600"

# Sign-up verification links are valid this long (seconds).
JAIM_VERIFY_MAX_AGE = 3 * 24 * 3600

# Error reports and logs never carry personal data, passwords or tokens (jaim.security).
ADMINS = [("JAIM", a) for a in env.list("DJANGO_ADMINS", default=[])]
DEFAULT_EXCEPTION_REPORTER = "jaim.security.RedactingExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "jaim.security.RedactingExceptionReporterFilter"
LOGGING["filters"] = {
    "redact": {"()": "jaim.security.RedactingLogFilter"},
    "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
}
LOGGING["handlers"]["console"]["filters"] = ["redact"]
LOGGING["handlers"]["mail_admins"] = {
    "level": "ERROR",
    "class": "django.utils.log.AdminEmailHandler",
    "filters": ["require_debug_false", "redact"],
    "reporter_class": "jaim.security.RedactingExceptionReporter",
}
LOGGING["loggers"]["django"] = {"handlers": ["mail_admins"], "level": "INFO"}  # and the root's console
LOGGING["loggers"]["django.server"] = {"handlers": ["console"], "level": "INFO", "propagate": False}
# Field history is read-only in the admin: no "revert" button (jaim.admin.HistoryAdmin also refuses the POST).
SIMPLE_HISTORY_REVERT_DISABLED = True
