"""Configuration defaults (配置) for every installation; never a secret.

`create_app` loads this module first, then ``instance/config.py``, then the
``SELECTION_*`` environment variables (``SELECTION_PRODUCTION=true`` sets
``PRODUCTION``). Keys and the secret key are never defaulted: see
``selection/keys.py`` for where they come from.
"""

#: True on a real installation: keys and SECRET_KEY must then be supplied (environment
#: or ``instance/keys.json``) and are never generated; debug mode is refused.
PRODUCTION = False

#: None means ``sqlite:///<instance path>/selection.db``; the DATABASE_URL environment
#: variable overrides whatever is set here or anywhere else.
SQLALCHEMY_DATABASE_URI = None
#: hide_parameters keeps bound values (names, ciphertexts) out of error messages and logs
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
#: SQLite has one writer at a time: how long a save waits for the others before the reader is
#: told the system is busy (503). Below gunicorn's default 30 s worker timeout, so a waiting
#: request is answered rather than its worker killed (docs/decisions.md, P50).
SQLITE_BUSY_TIMEOUT_SECONDS = 20

#: How many rounds' computed states (statuses, scores, lists) each worker keeps in memory
#: (selection/record/cache.py); 0 turns the cache off. A 100,000-candidate round weighs
#: several hundred MB as a computed state: lower this where workers are short of memory.
ROUND_CACHE_SIZE = 8

BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
#: Each package keeps its own catalog (relative to selection/); Flask-Babel merges them.
BABEL_TRANSLATION_DIRECTORIES = "translations;../exams/translations;../vetting/translations;../publicity/translations"

#: An ISO date that pins `selection.clock.today()`, for tests and demos only (refused in production).
TODAY = None

#: How many reverse proxies stand in front of the app and set X-Forwarded-For / -Proto (nginx: 1).
#: 0 trusts no such header: a client could otherwise name any address and escape the per-client
#: limits. Behind a proxy, leaving it 0 makes every client the proxy's address, one shared limit.
TRUSTED_PROXIES = 0

#: memory:// keeps limits per process; several workers need a shared store (redis://host:6379)
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
#: a moving window: no burst of twice the limit across a window boundary
RATELIMIT_STRATEGY = "moving-window"
#: failed logins per username, and login attempts per client address (SECURITY.md P02)
LOGIN_LIMIT_PER_USERNAME = "5 per 15 minutes"
LOGIN_LIMIT_PER_CLIENT = "30 per 15 minutes"
#: candidate accounts created from one client address (selection/signup.py)
SIGNUP_LIMIT_PER_CLIENT = "10 per hour"
#: POSTs of the self-registration form (check and submit steps) from one client address
#: (exams/candidates.py): a few per candidate, for the candidates of an office sharing one address
REGISTRATION_LIMIT_PER_CLIENT = "120 per 10 minutes"

#: the largest upload accepted, e.g. a unit's endorsement letter (selection/files.py)
UPLOAD_MAX_BYTES = 5 * 1024 * 1024
#: the largest request body read at all: a bigger one is refused (413) before it is spooled
#: to disk, so no upload can fill a host's disk or memory; room for the letter and the form
MAX_CONTENT_LENGTH = UPLOAD_MAX_BYTES + 1024 * 1024

#: Sessions end after this long without a request, and this long after login (P11).
SESSION_IDLE_MINUTES = 30
SESSION_ABSOLUTE_HOURS = 12
#: A sensitive action (revealing a complainant, full ID numbers, opening or closing a vote)
#: needs the password typed within this many minutes, at login or on /reauth (P12).
REAUTH_MINUTES = 5
#: Secure is added whenever PRODUCTION is on (selection/auth.py); there is no remember-me.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"

#: The four keys of ``selection/crypto.py``, each 32 bytes in base64. FIELD_KEYS maps
#: a key version (1–255) to its key; FIELD_KEY_VERSION names the one new data uses.
FIELD_KEYS = None
FIELD_KEY_VERSION = None
BLIND_INDEX_KEY = None
AUDIT_KEY = None
RECEIPT_PEPPER = None

#: The public score query (成绩查询, exams/publication.py): queries per client address, and
#: failed queries per ticket number (so guessing the ID number of one ticket soon stops).
SCORE_QUERY_LIMIT_PER_CLIENT = "20 per 15 minutes"
SCORE_QUERY_LIMIT_PER_TICKET = "5 per hour"

#: The outbox's back-end per channel (selection/notify.py): "log" marks a message sent and
#: logs its id only; "smtp" sends email, "http" sends SMS through a gateway.
NOTIFY_EMAIL_BACKEND = "log"
NOTIFY_SMS_BACKEND = "log"
NOTIFY_TIMEOUT_SECONDS = 30
SMTP_HOST = None
SMTP_PORT = 587
#: "starttls", "ssl" (port 465) or "none"
SMTP_SECURITY = "starttls"
SMTP_USERNAME = None
#: a secret: set it in instance/config.py or SELECTION_SMTP_PASSWORD, never here
SMTP_PASSWORD = None
SMTP_SENDER = None
SMS_GATEWAY_URL = None
#: a secret: set it in instance/config.py or SELECTION_SMS_GATEWAY_TOKEN, never here
SMS_GATEWAY_TOKEN = None

#: POSTs to the voter's pages of the online ballots per client address (vetting/ballot_views.py):
#: a meeting's phones often share the venue's one address, so room for a few hundred voters
BALLOT_LIMIT_PER_CLIENT = "600 per 10 minutes"

#: The public complaint form (举报, publicity/complaint_views.py): complaints filed per client
#: address (only stored complaints count), every POST of the form per client, and failed
#: receipt-code lookups per client (SECURITY.md P43, P46). The limiter keys on a keyed hash
#: of the address, never the address itself.
COMPLAINT_LIMIT_PER_CLIENT = "5 per hour;20 per day"
COMPLAINT_ATTEMPT_LIMIT_PER_CLIENT = "30 per hour"
COMPLAINT_LOOKUP_LIMIT_PER_CLIENT = "10 per hour"
#: the largest evidence file sent with a complaint (PDF, PNG or JPEG, up to 5 per complaint);
#: the complaint form's request body may hold five of them (MAX_CONTENT_LENGTH is raised for it)
COMPLAINT_EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
