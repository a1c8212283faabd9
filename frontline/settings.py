"""The one settings module. Everything that differs between machines comes from the environment."""

import datetime
import hashlib
import json
from pathlib import Path

import dj_database_url

from frontline.env import env_bool, env_int, env_list, env_str, secret_key
from frontline.operations.processes import TASK_QUEUES

BASE_DIR = Path(__file__).resolve().parent.parent
# Everything Frontline writes at run time (database, attachments, models) lives under one directory.
DATA_DIR = Path(env_str("FRONTLINE_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("FRONTLINE_DEBUG", False)
# Signs acknowledgement, confirmation and verification links: whoever knows it can forge them. There is no
# built-in key. FRONTLINE_SECRET_KEY (the same on every machine of a deployment) or, on one machine, a
# random key written under the data directory once and reused; web, worker and listener refuse a weak one.
SECRET_KEY = secret_key(env_str("FRONTLINE_SECRET_KEY", ""), DATA_DIR / "secret.key", debug=DEBUG)
ALLOWED_HOSTS = env_list("FRONTLINE_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("FRONTLINE_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("FRONTLINE_SITE_URL", "http://127.0.0.1:8000")

# Behind TLS (FRONTLINE_TLS=true): plain HTTP is redirected, cookies go only over HTTPS, browsers are told to
# use HTTPS for a year (HSTS), and the reverse proxy's X-Forwarded-Proto says a request came over TLS. Each
# piece can be set on its own. Off by default: `make demo` serves plain HTTP on loopback.
_TLS = env_bool("FRONTLINE_TLS", False)
SECURE_SSL_REDIRECT = env_bool("FRONTLINE_SSL_REDIRECT", _TLS)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("FRONTLINE_SECURE_COOKIES", _TLS)
SECURE_HSTS_SECONDS = env_int("FRONTLINE_HSTS_SECONDS", 365 * 24 * 3600 if _TLS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("FRONTLINE_HSTS_INCLUDE_SUBDOMAINS", _TLS)
SECURE_HSTS_PRELOAD = env_bool("FRONTLINE_HSTS_PRELOAD", _TLS)
if env_bool("FRONTLINE_PROXY_TLS_HEADER", _TLS):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The reverse proxies whose X-Forwarded-For names the client (rate limits count per client). A request from
# anyone else is counted by its own socket address: a forwarded header is only as true as who sent it.
FRONTLINE_TRUSTED_PROXIES = env_list("FRONTLINE_TRUSTED_PROXIES", [])
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "axes",  # sign-in throttling per username and per address (configured below)
    "frontline.events",
    "frontline.agents",
    "frontline.customers",
    "frontline.cases",
    "frontline.intake",
    "frontline.delivery",
    "frontline.todos",
    "frontline.saved_replies",
    "frontline.webhooks",
    "frontline.notifications",
    "frontline.routing",
    "frontline.policy",
    "frontline.monitoring",
    "frontline.incidents",
    "frontline.correlation",
    "frontline.portal",
    "frontline.measures",
    "frontline.operations",
    "frontline.scheduling",
    "frontline.web",
    "frontline.demo",
]

MIDDLEWARE = [
    "frontline.operations.logs.RequestId",  # first: every line logged while serving carries the request's id
    "django.middleware.security.SecurityMiddleware",
    "frontline.web.middleware.OneRequestsLanguage",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "frontline.web.middleware.RefuseNulCharacters",
    "frontline.web.middleware.ContentSecurityPolicy",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "frontline.web.middleware.ServiceErrorMiddleware",
    "axes.middleware.AxesMiddleware",
]

# Sign-in throttling (django-axes): after FRONTLINE_SIGNIN_FAILURES wrong passwords for one username, or from
# one client address, that username or address is refused for FRONTLINE_SIGNIN_LOCKOUT_MINUTES. Counted in
# the database, so every web process sees the same count (axes does not trust a file cache to count across
# processes), and admins see attempts and lockouts in the admin; the address is read as rate limits read it.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("FRONTLINE_SIGNIN_FAILURES", 10)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("FRONTLINE_SIGNIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "frontline.core.ratelimit.client_ip_or_none"
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

ROOT_URLCONF = "frontline.urls"
WSGI_APPLICATION = "frontline.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontline.web.context.workspace",
                "frontline.portal.context.brand",
            ],
        },
    },
    {
        # Texts we send as words (templates/texts/<app>/*.txt, core/texts.py): plain text, nothing escaped.
        "NAME": "texts",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False},
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'frontline.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one process writes; IMMEDIATE takes the write lock at BEGIN,
        # so two writers queue on the busy timeout instead of failing half-way through a transaction.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        # Prepared statements kept per connection (the driver's default is 128): intake alone runs about
        # sixty shapes, and the lists of names and owners it asks for make more.
        "cached_statements": 512,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
    # conn_max_age keeps one connection per thread; SQLite connections are cheap, but pragmas are not re-run.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and a statement run twice on a connection kept prepared there: parsed
    # and planned once, not at every run. It halved PostgreSQL's CPU per API message (1.7-2.0 -> 1.0-1.2
    # ms, bench/RESULTS.md). A pooler that hands one client's statements to other sessions (PgBouncer in
    # transaction mode without max_prepared_statements) cannot keep them: FRONTLINE_DB_PREPARED=false.
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": True,
        "prepare_threshold": 2 if env_bool("FRONTLINE_DB_PREPARED", True) else None,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
if env_bool("FRONTLINE_FAST_PASSWORD_HASHER", False):
    # Tests and bulk demo data only: hashing thousands of demo passwords with PBKDF2 would take minutes.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "cases:inbox"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "en-gb"
# The customer portal speaks these (frontline/portal/locale); staff pages are in English.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
TIME_ZONE = env_str("FRONTLINE_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "files"

# Django's SMTP backend, but keeping the server's answer for the evidence log (frontline/delivery/smtp.py).
EMAIL_BACKEND = env_str("FRONTLINE_EMAIL_BACKEND", "frontline.delivery.smtp.EmailBackend")
EMAIL_HOST = env_str("FRONTLINE_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = env_int("FRONTLINE_SMTP_PORT", 2525)
EMAIL_TIMEOUT = env_int("FRONTLINE_SMTP_TIMEOUT", 20)
# Where Django's file-based mail backend (used by `make demo`) writes what would have been sent.
EMAIL_FILE_PATH = str(DATA_DIR / "outbox")
DEFAULT_FROM_EMAIL = env_str("FRONTLINE_FROM_EMAIL", "support@frontline.invalid")
FRONTLINE_TEAM_SIGNATURE = env_str("FRONTLINE_TEAM_SIGNATURE", "The support team")
# Marks our outgoing mail, so that our own messages coming back (forwarding loops) are recognised.
FRONTLINE_INSTANCE_ID = env_str(
    "FRONTLINE_INSTANCE_ID", "frontline-" + hashlib.sha256(SECRET_KEY.encode()).hexdigest()[:12]
)

# Doors (frontline/core/doors.py): ordered dotted paths through which an app contributes to another's work.
# What a stored mail is: intake walks these in order until one answers (the last one always does).
FRONTLINE_MAIL_INTERPRETERS = [
    "frontline.intake.interpreters.mail_loop",  # our own mail come back
    "frontline.policy.arf.abuse_report",  # an ARF abuse report: to the rules
    "frontline.intake.interpreters.delivery_report",  # a bounce or delay notice about one of our sends
    # a carrier's maintenance notice (to our customers behind it), or a calendar reply accepting ours
    "frontline.incidents.upstream.maintenance_mail",
    "frontline.intake.interpreters.automatic",  # an auto-reply or a mailing list
    "frontline.intake.interpreters.notification_reply",  # a reply to a notification acknowledges it, then...
    "frontline.intake.filing.person_writing",  # ...a person writing: onto a case
]
# What the case page shows beside the case's own parts, in order: callables (request, case) -> Panel | None.
FRONTLINE_CASE_PANELS = [
    "frontline.intake.panels.unmatched_sender",  # a sender no account holds: who they may be, and matching
    "frontline.incidents.panels.incident",  # the incident it is part of, why, and detach
    "frontline.policy.panels.decisions",  # the rules' decisions on this case, with override forms
    "frontline.policy.panels.goodwill",  # beyond the contract: the goodwill form
    "frontline.notifications.fanouts.case_panel",  # notices to many customers covering it; start one
    "frontline.saved_replies.panels.saved_replies",  # saved replies filled from the case, one press to use
    "frontline.measures.panels.demand",  # each contact's demand class (value or a failure), to correct
]

# What runs inside the transaction of every event written: callables (event) -> None.
FRONTLINE_EVENT_RECORDED = [
    "frontline.webhooks.services.event_recorded",  # a delivery for each webhook subscribed to its kind
]
# A webhook receiver that failed this many tries in a row is paused, with a to-do for a person.
FRONTLINE_WEBHOOK_PAUSE_AFTER = env_int("FRONTLINE_WEBHOOK_PAUSE_AFTER", 10)

# What runs inside the transaction that opens a case, whoever opens it: callables (case) -> None.
FRONTLINE_CASE_OPENED = [
    "frontline.correlation.services.case_opened",  # join the open incident; the grouping rules count it
]
# What the acknowledgement of a new case says besides its reference: callables (case) -> str | None.
FRONTLINE_ACKNOWLEDGEMENT_NOTES = [
    "frontline.incidents.acknowledgement.known_incident",  # "we already know": the incident the case joined
]
# What an agent's reply is checked against before it is sent: callables (case, body) -> Caution | None.
FRONTLINE_REPLY_CHECKS = [
    "frontline.incidents.evidence.diagnostics_ask",  # asking a customer hit by our incident to diagnose it
]
# Lines under every email we send a customer on a case: callables (case) -> str | None.
FRONTLINE_CASE_MAIL_FOOTERS = [
    "frontline.portal.links.case_mail_footer",  # "follow this case and answer online": a portal link
]
# Where a customer who opened a signed link may go next: callables (request, customer, things) -> (label, url)
FRONTLINE_LINK_LANDINGS = [
    "frontline.portal.links.landing",  # the portal, let in for the things the link was about
]

# The labels by which a customer's unit says which of our components it runs on, besides its hostname
# (a mailbox's relay="smtp-2"): what a component's fault reaches is computed through them.
# Which skill cleans up after a rule's decision, by trigger ("*" for any other): where that skill does not
# exist here, the cleanup case is classified by the router like any other case. Every such case is routed.
# Contact points asked to confirm themselves again at most this many a day (the re-verification cycle).
FRONTLINE_REVERIFY_PER_DAY = env_int("FRONTLINE_REVERIFY_PER_DAY", 200)
FRONTLINE_POLICY_TOPICS = env_list("FRONTLINE_POLICY_TOPICS", ["payment_overdue=billing", "*=abuse-security"])
FRONTLINE_DEPENDENCY_LABELS = env_list(
    "FRONTLINE_DEPENDENCY_LABELS", ["instance", "relay", "switch", "server"]
)

# The workspace header's links to pages of apps the web app does not know: (words, URL name), in order.
FRONTLINE_WORKSPACE_LINKS = [
    ("Incidents", "incidents:list"),
    ("Correlation", "correlation:page"),
    ("Maintenance", "incidents:maintenance_list"),
    ("Monitoring", "monitoring:page"),
    ("Saved replies", "saved_replies:list"),
    ("Measures", "measures:page"),
]

# What a notice sent by email carries besides its text: callables (notification, address) -> attachments.
FRONTLINE_NOTICE_ATTACHMENTS = [
    "frontline.incidents.maintenance.calendar_attachment",  # a maintenance notice's MAINTNOTE entry
]
# The provider's name as customers know it (calendar entries, the status page).
FRONTLINE_PROVIDER_NAME = env_str("FRONTLINE_PROVIDER_NAME", "Frontline")
# The customer portal's branding: the provider's colour (hex; the text on it is chosen to stay readable) and
# logo (a path on this site, e.g. a file under a static directory; empty: the name alone).
FRONTLINE_PROVIDER_COLOUR = env_str("FRONTLINE_PROVIDER_COLOUR", "#1f5fbf")
FRONTLINE_PROVIDER_LOGO = env_str("FRONTLINE_PROVIDER_LOGO", "")
# Status page webhooks may point at loopback or private addresses only where this is set (tests, a lab):
# otherwise a stranger's subscription could make us post into our own network.
FRONTLINE_STATUS_WEBHOOKS_INWARD = env_bool("FRONTLINE_STATUS_WEBHOOKS_INWARD", False)
# ...and plain http only where this is set (a lab without TLS).
FRONTLINE_STATUS_WEBHOOKS_HTTP = env_bool("FRONTLINE_STATUS_WEBHOOKS_HTTP", False)
# When a component's alert opens an incident: "at_once" tells every affected customer straight away;
# "lead" waits for a team lead to post the first update (a to-do asks for it).
FRONTLINE_INCIDENT_NOTICE = env_str("FRONTLINE_INCIDENT_NOTICE", "at_once")
# How long before planned maintenance starts its reminder goes out.
FRONTLINE_MAINTENANCE_REMINDER_HOURS = env_int("FRONTLINE_MAINTENANCE_REMINDER_HOURS", 24)

# Intake: the largest message accepted (the SMTP listener refuses a larger one with 552 before taking it),
# and where attachments are written.
INTAKE_MAX_MESSAGE_BYTES = env_int("FRONTLINE_MAX_MESSAGE_BYTES", 25 * 1024 * 1024)
# The largest JSON body any endpoint reads (Django's own limit on a request body is the same by default).
FRONTLINE_MAX_JSON_BYTES = env_int("FRONTLINE_MAX_JSON_BYTES", 2_621_440)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(FRONTLINE_MAX_JSON_BYTES, 2_621_440)
# A chat line's largest size: a person typing, not a file (chat services cap theirs at a few tens of kB).
FRONTLINE_CHAT_MAX_CHARS = env_int("FRONTLINE_CHAT_MAX_CHARS", 20_000)
# Longest wait for the machine-wide write lock (SQLite) before intake gives up with a temporary failure (451).
FRONTLINE_LOCK_WAIT_SECONDS = env_int("FRONTLINE_LOCK_WAIT_SECONDS", 30)
# Customers' attachments, stored by content: its own volume (and quota) if the provider wants one.
ATTACHMENTS_DIR = Path(env_str("FRONTLINE_ATTACHMENTS_DIR", str(DATA_DIR / "attachments")))
# Topic models and similar-case indexes, one file pair per trained version (frontline train-router).
FRONTLINE_ROUTER_DIR = env_str("FRONTLINE_ROUTER_DIR", str(DATA_DIR / "models"))
# Below this calibrated confidence a new case goes to the triage pool instead of to a guess.
FRONTLINE_ROUTER_THRESHOLD = float(env_str("FRONTLINE_ROUTER_THRESHOLD", "0.5"))
# JSON merged over the defaults in cases/priority.py, e.g. {"silence_per_hour": 3, "repeat": 60}.
FRONTLINE_PRIORITY_WEIGHTS = json.loads(env_str("FRONTLINE_PRIORITY_WEIGHTS", "{}"))
# JSON, minutes, merged over cases/clocks.py's TARGETS by tier or "tier/plan":
# {"standard/business": {"down": [30, 60, 240], "degraded": [...], "question": [...]}}
FRONTLINE_CLOCK_TARGETS = {
    key: {impact: [minutes * 60 for minutes in row] for impact, row in rows.items()}
    for key, rows in json.loads(env_str("FRONTLINE_CLOCK_TARGETS", "{}")).items()
}
# Notification transports. SMS and chat go through Apprise URLs with a placeholder for the recipient,
# e.g. "twilio://SID:TOKEN@+15550001/{number}" or "json://127.0.0.1:8025/sms/{number}" (a test receiver).
# Apprise places no voice calls: calls go to the voice provider's webhook, signed with its secret.
FRONTLINE_SMS_URL = env_str("FRONTLINE_SMS_URL", "")
FRONTLINE_CHAT_URL = env_str("FRONTLINE_CHAT_URL", "")
FRONTLINE_VOICE_WEBHOOK_URL = env_str("FRONTLINE_VOICE_WEBHOOK_URL", "")
FRONTLINE_VOICE_WEBHOOK_SECRET = env_str("FRONTLINE_VOICE_WEBHOOK_SECRET", "")
# Seconds a transport may take before the attempt is recorded as timed out (a temporary failure).
FRONTLINE_TRANSPORT_TIMEOUT = env_int("FRONTLINE_TRANSPORT_TIMEOUT", 10)
# Real seconds a worker holds a claimed rung before another may run it (a killed worker's rung runs again).
FRONTLINE_NOTIFY_CLAIM_SECONDS = env_int("FRONTLINE_NOTIFY_CLAIM_SECONDS", 120)
# Rungs claimed at once across all workers: about what they send in a minute (see dispatch_due).
FRONTLINE_NOTIFY_IN_FLIGHT = env_int("FRONTLINE_NOTIFY_IN_FLIGHT", 1000)
# A fan-out's notices stored a transaction (notifications/storing.py): the first chunk goes out while the
# rest are stored. A store no chunk advanced for FRONTLINE_FANOUT_STALLED_SECONDS is taken over.
FRONTLINE_FANOUT_CHUNK = env_int("FRONTLINE_FANOUT_CHUNK", 5000)
FRONTLINE_FANOUT_STALLED_SECONDS = env_int("FRONTLINE_FANOUT_STALLED_SECONDS", 120)
# The mailbox `frontline imap-poll` reads, when mail sits in one (its password: FRONTLINE_IMAP_PASSWORD).
FRONTLINE_IMAP_HOST = env_str("FRONTLINE_IMAP_HOST", "")
FRONTLINE_IMAP_PORT = env_int("FRONTLINE_IMAP_PORT", 993)
FRONTLINE_IMAP_USER = env_str("FRONTLINE_IMAP_USER", "")
FRONTLINE_IMAP_FOLDER = env_str("FRONTLINE_IMAP_FOLDER", "INBOX")
FRONTLINE_IMAP_DONE_FOLDER = env_str("FRONTLINE_IMAP_DONE_FOLDER", "")
# Retention, in days (0: kept for ever): the bytes of contacts as they arrived, customers' files, finished
# jobs. Nothing of the evidence log (attempts to reach customers, messages we sent) is ever removed.
FRONTLINE_KEEP_RAW_DAYS = env_int("FRONTLINE_KEEP_RAW_DAYS", 0)
FRONTLINE_KEEP_ATTACHMENTS_DAYS = env_int("FRONTLINE_KEEP_ATTACHMENTS_DAYS", 0)
FRONTLINE_KEEP_FINISHED_JOBS_DAYS = env_int("FRONTLINE_KEEP_FINISHED_JOBS_DAYS", 7)
# Bearer token Prometheus scrapes /metrics with; without one, /metrics is off (403).
FRONTLINE_METRICS_TOKEN = env_str("FRONTLINE_METRICS_TOKEN", "")
# Shared secret of the SMS provider's inbound webhook (replies like "OK" acknowledge a notification).
FRONTLINE_SMS_INBOUND_TOKEN = env_str("FRONTLINE_SMS_INBOUND_TOKEN", "")
# Senders of abuse reports by mail whose word can justify acting before notice (emergency class):
# addresses, or "@domain" for a whole domain. Reports by mail from anyone else always get notice first.
FRONTLINE_TRUSTED_REPORTERS = env_list("FRONTLINE_TRUSTED_REPORTERS", [])
# What a free restore (goodwill beyond a plan) counts against the granting person's monthly allowance.
FRONTLINE_FREE_RESTORE_VALUE = env_str("FRONTLINE_FREE_RESTORE_VALUE", "40.00")
SMTPD_HOST = env_str("FRONTLINE_SMTPD_HOST", "127.0.0.1")
SMTPD_PORT = env_int("FRONTLINE_SMTPD_PORT", 2526)
# Back-pressure under a flood: sessions beyond the first SMTPD_MAX_SESSIONS are told 421 at once, and a new
# message is refused with 451 while SMTPD_MAX_WAITING wait to be stored; the sending servers try again
# later. Memory stays under about SMTPD_MAX_SESSIONS x FRONTLINE_MAX_MESSAGE_BYTES.
SMTPD_MAX_SESSIONS = env_int("FRONTLINE_SMTPD_MAX_SESSIONS", 32)
SMTPD_MAX_WAITING = env_int("FRONTLINE_SMTPD_MAX_WAITING", 64)
# Posts per client address per 10 minutes on the public web form and to start a chat.
FRONTLINE_PUBLIC_RATE = env_int("FRONTLINE_PUBLIC_RATE", 5)
# Shared with the provider's control panel, which embeds the chat widget for signed-in customers with their
# address and its HMAC-SHA256 under this secret (`identity`): such a chat is proven and may join their cases.
# Without it (or without a valid identity) a chat is held apart until the visitor presses an emailed link.
FRONTLINE_CHAT_IDENTITY_SECRET = env_str("FRONTLINE_CHAT_IDENTITY_SECRET", "")
# Sites that may embed the chat widget in a frame (CSP frame-ancestors), e.g. "https://panel.example.com";
# "*" lets any site embed it.
FRONTLINE_CHAT_FRAME_ANCESTORS = env_str("FRONTLINE_CHAT_FRAME_ANCESTORS", "*")
# Confirmation links the public pages may have us mail to one address per hour (whoever asks for them).
FRONTLINE_LINKS_PER_ADDRESS = env_int("FRONTLINE_LINKS_PER_ADDRESS", 5)
# Chat lines per chat per 10 minutes (a person types a few a minute); an address may send three times that.
FRONTLINE_CHAT_RATE = env_int("FRONTLINE_CHAT_RATE", 60)
# Unknown or revoked bearer tokens an address may present per 10 minutes before its API calls are refused.
FRONTLINE_BAD_TOKEN_RATE = env_int("FRONTLINE_BAD_TOKEN_RATE", 20)
SMTPD_HOSTNAME = env_str("FRONTLINE_SMTPD_HOSTNAME", "frontline.localhost")

# One cache that every process shares (the web form's rate limit counts across gunicorn workers): files
# under the data directory by default, Redis when FRONTLINE_REDIS_URL is set.
if env_str("FRONTLINE_REDIS_URL", ""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("FRONTLINE_REDIS_URL", ""),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# Django's tasks interface. The default backend is Frontline's own durable one: rows with a due time,
# claimed by `frontline worker` under a lease (see frontline/scheduling).
# Queues in the order a worker serves them (a ladder's rungs first): the worker role's list.
FRONTLINE_TASK_QUEUES = list(TASK_QUEUES)
TASKS = {
    "default": {
        "BACKEND": env_str("FRONTLINE_TASKS_BACKEND", "frontline.scheduling.backend.DurableBackend"),
        "QUEUES": FRONTLINE_TASK_QUEUES,
    }
}
# At scale the same tasks run on Redis-backed RQ workers: FRONTLINE_TASKS_BACKEND=django_tasks_rq.RQBackend
# with FRONTLINE_REDIS_URL, `frontline rqworker --with-scheduler --job-class django_tasks_rq.Job` for the
# jobs and one `frontline worker --periodic-only` for the recurring ones. Durability does not rest on
# Redis: a notification's rung is a claimed row that is claimed again when a worker dies mid-job.
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {
        name: {"URL": env_str("FRONTLINE_REDIS_URL", "redis://127.0.0.1:6379/0"), "DEFAULT_TIMEOUT": 900}
        for name in FRONTLINE_TASK_QUEUES
    }
# Job runners (`frontline rqworker`, `frontline worker`) lower their CPU priority to this niceness when they
# start (0: as started), so that on a machine they share with the web role a request someone waits on goes
# before a queued job. A trade, measured on two cores beside a 100,000-customer fan-out: at 10 the API took
# 110 messages/s instead of 82 and the fan-out sent 54,948 emails in 300 s instead of 97,148. Off by
# default: an outage notice is what the product is for. A supervisor's own Nice= is kept when higher.
FRONTLINE_WORKER_NICENESS = env_int("FRONTLINE_WORKER_NICENESS", 0)
# A web process asks a worker to send the acknowledgements due at most this often (seconds); a recurring job
# every 10 s takes any the last request did not cover (intake/acknowledgements.py).
FRONTLINE_ACK_BATCH_SECONDS = float(env_str("FRONTLINE_ACK_BATCH_SECONDS", "1"))
# How long a claimed job is held before another worker may take it over.
TASK_LEASE_SECONDS = env_int("FRONTLINE_TASK_LEASE_SECONDS", 300)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # One JSON object a line with the request's or job's id, secrets redacted (operations/logs.py).
        "json": {"()": "frontline.operations.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": env_str("FRONTLINE_LOG_FORMAT", "plain")}
    },
    "root": {"handlers": ["console"], "level": env_str("FRONTLINE_LOG_LEVEL", "INFO")},
    # aiosmtpd logs every SMTP command at INFO ("mail.log"): a line per command per message.
    # Apprise logs a line per send at INFO; the transport captures its log for the evidence record instead.
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "mail.log": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # a line per sign-in and sign-out otherwise
        "apprise": {"level": "WARNING", "handlers": [], "propagate": False},
    },
}
