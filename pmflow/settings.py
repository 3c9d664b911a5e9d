"""pmflow settings, read from the environment (twelve-factor) with safe laptop defaults.

See README.md "Configuration" for every variable.
"""

import ipaddress
import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PMFLOW_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if not raw:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # A development key that survives restarts, so sessions stay valid while you work.
    key_file = VAR_DIR / "dev-secret-key"
    try:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(50))
        return key_file.read_text().strip()
    except OSError:
        return secrets.token_urlsafe(50)


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "django_htmx",
    "pmflow",
    "products",
    "roadmap",
    "gtm",
    "kpis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",  # above WhiteNoise: static files get it too
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: a board move answers with the board, not a page
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a lockout on any sign-in form into a 429
]

ROOT_URLCONF = "pmflow.urls"
WSGI_APPLICATION = "pmflow.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "products.context_processors.portfolio_switcher",
                "products.context_processors.notification_bell",
            ],
        },
    },
]

_default_db = f"sqlite:///{VAR_DIR / 'pmflow.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or _default_db,
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Waiting a little for a lock beats "database is locked" when the in-process tasks write.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# django-axes first: a locked-out account or address is refused before the password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]

# One cache for every process and host (the token throttle counts per client across gunicorn workers):
# a table in the database (`manage.py createcachetable`), not Redis, which may be down while we serve.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "pmflow_cache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},  # culling at Django's 300 would let many addresses reset others
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

if os.environ.get("EMAIL_URL"):
    # smtp://user:password@host:port ; the console backend otherwise.
    from urllib.parse import unquote, urlparse

    _email = urlparse(os.environ["EMAIL_URL"])
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or 25
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_TLS = _email.scheme == "smtp+tls"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "pmflow@localhost")
# Notification e-mails link back to the app at this address; the daily digest goes from this hour (UTC).
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000")
NOTIFICATION_DIGEST_HOUR_UTC = int(os.environ.get("NOTIFICATION_DIGEST_HOUR_UTC", 7))

# --- Security when DEBUG is off (manage.py check --deploy is clean) ---
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS = ["security.W021"] if not env_bool("SECURE_HSTS_PRELOAD", False) else []

# --- Content-Security-Policy (django-csp 4) ---
# Strict: no inline script or style anywhere, no eval; our own files only (data: images for the CSS
# icons). Pages keep behaviour in static/js/pmflow.js and looks in static/css/pmflow.css; the Swagger UI
# page loads its init script as a file (SpectacularSwaggerSplitView). Tests: tests/test_security.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Permissions-Policy (django-permissions-policy) ---
# pmflow uses no powerful browser feature: every one is off for our pages and any frame, on every
# response (static files and errors included). Tests: tests/test_security.py.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "ambient-light-sensor",
        "autoplay",
        "bluetooth",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# --- REST API ---
REST_FRAMEWORK = {
    # Token first: an anonymous or bad-token request gets 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "pmflow.pagination.PagePagination",
    "PAGE_SIZE": 50,
    # JSON bodies only (DRF's parser, refusing lone surrogates: pmflow/parsers.py): the schema then
    # advertises what each endpoint really takes. An upload endpoint sets `parser_classes` on its view.
    "DEFAULT_PARSER_CLASSES": ["pmflow.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "pmflow.exceptions.exception_handler",
    "COERCE_DECIMAL_TO_STRING": False,
    "DATETIME_FORMAT": "iso-8601",
    # Keyed on pmflow.clientip (X-Forwarded-For only from TRUSTED_PROXIES), counted in the shared cache.
    "DEFAULT_THROTTLE_CLASSES": ["pmflow.clientip.ClientScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": os.environ.get("TOKEN_THROTTLE_RATE", "20/minute")},
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
_token_ttl_hours = os.environ.get("API_TOKEN_TTL_HOURS", "")
REST_KNOX = {
    # REST clients that pull KPI data run unattended: tokens live until revoked unless a TTL is set.
    "TOKEN_TTL": None if not _token_ttl_hours else __import__("datetime").timedelta(hours=int(_token_ttl_hours)),
    "AUTH_HEADER_PREFIX": "Token",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "pmflow API",
    "DESCRIPTION": "Products, lifecycle stages, lifecycle rules, KPIs, measurements and rollups.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",  # tags endpoints by resource in the docs
    # A choice field that can be blank or null says so (`oneOf: [StageEnum, BlankEnum]`): the ledger's
    # first row has `from_stage: ""`, and a client generated from a schema that hides it fails on it.
    "ENUM_ADD_EXPLICIT_BLANK_NULL_CHOICE": True,
    "ENUM_NAME_OVERRIDES": {
        "StageEnum": "products.models.Stage",
        "RoleEnum": "products.models.Role",
        "ModeEnum": "products.models.LifecycleRule.Mode",
        "GranularityEnum": "kpis.models.Granularity",
        "AggregationEnum": "kpis.models.Aggregation",
        "DirectionEnum": "kpis.models.Direction",
        "HealthEnum": "kpis.models.Health",
        "ImportStatusEnum": "kpis.models.Import.Status",
        "AssetKindEnum": "gtm.models.Asset.Kind",
        "AudienceEnum": "gtm.models.Asset.Audience",
        "MarketingEventKindEnum": "gtm.models.MarketingEvent.Kind",
        "PressItemKindEnum": "gtm.models.PressItem.Kind",
        "PressItemStatusEnum": "gtm.models.PressItem.Status",
        # Named here, not by chance: the API's filters refer to these components by name.
        "RoadmapItemKindEnum": "roadmap.models.RoadmapItem.Kind",
        "RoadmapItemStatusEnum": "roadmap.models.RoadmapItem.Status",
        "HorizonEnum": "roadmap.models.RoadmapItem.Horizon",
        "MoscowEnum": "roadmap.models.RoadmapItem.MoSCoW",
        "ReleaseStatusEnum": "roadmap.models.Release.Status",
        "RoadmapDependencyKindEnum": "roadmap.models.RoadmapDependency.Kind",
        "MessagingStatusEnum": "gtm.models.Messaging.Status",
        "TierEnum": "gtm.models.Tier",
        "FunctionEnum": "gtm.models.Function",
        "LaunchPlanStatusEnum": "gtm.models.LaunchPlan.Status",
        "LaunchTaskStatusEnum": "gtm.models.LaunchTask.Status",
        "CampaignChannelEnum": "gtm.models.Campaign.Channel",
        "CampaignStatusEnum": "gtm.models.Campaign.Status",
        "ImpactEnum": "products.models.Impact",
        "MarketInsightKindEnum": "products.models.MarketInsight.Kind",
        "NotificationKindEnum": "products.models.Notification.Kind",
        "StageSuggestionStatusEnum": "products.models.StageSuggestion.Status",
        "CompetitorMoveKindEnum": "products.models.CompetitorMove.Kind",
        "ResponseStatusEnum": "products.models.CompetitorMove.ResponseStatus",
        "FeedbackSourceEnum": "products.models.Feedback.Source",
        "IdeaStatusEnum": "products.models.Idea.Status",
        "StatusBookCategoryEnum": "products.models.StatusBookEntry.Category",
        "AnalysisFlagKindEnum": "kpis.analysis.KIND_CHOICES",
        "AnalysisFlagBasisEnum": "kpis.analysis.BASIS_CHOICES",
        "DocumentKindEnum": "products.models.Document.Kind",
        "DocumentStatusEnum": "products.models.Document.Status",
        "WebhookDeliveryStatusEnum": "products.models.WebhookDelivery.Status",
    },
    # Error statuses and bodies on every operation (pmflow/openapi.py), after the enum components.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "pmflow.openapi.document_errors"],
}

# --- Sign-in protection ---
# django-axes counts failed sign-ins (the page, the API token, the admin) in the database, so every
# worker and host sees the same counts. An account and a client address are counted apart; either one
# reaching the limit is refused, even with the right password, until the cool-off ends (pmflow/signin.py
# tells the user how long). Tests: tests/test_lockout.py.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])  # addresses or networks whose X-Forwarded-For we believe
try:
    [ipaddress.ip_network(proxy, strict=False) for proxy in TRUSTED_PROXIES]
except ValueError as error:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from None
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = max(1, int(os.environ.get("LOGIN_FAILURE_LIMIT", "5")))
AXES_COOLOFF_TIME = timedelta(minutes=max(1, int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "pmflow.clientip.client_ip"
AXES_USERNAME_CALLABLE = "pmflow.signin.attempted_username"
AXES_LOCKOUT_CALLABLE = "pmflow.signin.lockout_response"
# Attempts while locked out do not move the end of the lockout: "try again in N minutes" stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A success resets that account's failures only (pmflow/signin.py); axes' own reset would also clear
# the address's, and one valid account would then buy an attacker fresh guesses at the others.
AXES_RESET_ON_SUCCESS = False
AXES_DISABLE_ACCESS_LOG = True  # no table of every successful sign-in (and no session made per token)
# Never in logs or attempt rows: passwords (always masked), tokens, and typed usernames (often a password
# typed into the wrong field). The client address stays visible to operators.
AXES_SENSITIVE_PARAMETERS = ["username", "password", "token"]

# A batch of 10,000 measurements with 200-character external ids is about 2.9 MB of JSON (the v1
# contract says it fits); CSV files are uploads and have their own limit (kpis/imports.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("MAX_REQUEST_BYTES", 8 * 1024 * 1024))

# --- Celery ---
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or None
CELERY_RESULT_BACKEND = None
# No broker: tasks run in-process. They are enqueued with transaction.on_commit, so they still
# run only after the transaction commits.
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# Queues: "rollups" (imports, recomputes, rebuilds) and "default" (stage changes, rules, health);
# each task names its own, so a large import never delays a stage change.
# A task a killed worker left unacknowledged is delivered again after the visibility timeout. It must be
# longer than the longest task's hard time limit (a rollup rebuild of one portfolio: 10 min, kpis/tasks.py),
# or a running task would be handed to a second worker; rollup work does not wait for it anyway: the
# pending rows are swept (ROLLUP_SWEEP_*). Short socket timeouts: a request whose broker is unreachable
# gives up in seconds (its work is recorded in the database, pmflow.celery.enqueue).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("BROKER_VISIBILITY_TIMEOUT", 15 * 60)),
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# The worker keeps reconnecting to a broker that went away (Redis restarted) instead of exiting.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Rollup work waiting longer than this (broker down, worker killed) is handed to the worker again.
ROLLUP_SWEEP_AFTER_SECONDS = int(os.environ.get("ROLLUP_SWEEP_AFTER_SECONDS", 120))
# How many KPIs the periodic verification compares with their measurements each time.
# CSV imports (kpis.services.imports): the largest file accepted, and how long an import may stop
# moving (broker down, worker killed) before the sweep hands it to a worker again.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 100 * 1024 * 1024))
IMPORT_SWEEP_AFTER_SECONDS = int(os.environ.get("IMPORT_SWEEP_AFTER_SECONDS", 300))
# Uploaded files (sales enablement assets) live under the var dir and are never served as files (no
# MEDIA_URL): downloads go through a permission-checked view (gtm.enablement_views.asset_file). A
# multipart upload's file data is not counted in DATA_UPLOAD_MAX_MEMORY_SIZE; ASSET_MAX_BYTES bounds it.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
ASSET_MAX_BYTES = int(float(os.environ.get("PMFLOW_ASSET_MAX_MB", "25")) * 1024 * 1024)
ROLLUP_VERIFY_SAMPLE = int(os.environ.get("ROLLUP_VERIFY_SAMPLE", 50))
# Webhooks (products.webhook_delivery): a hook's address may resolve to a loopback, private or link-local
# address only with WEBHOOK_ALLOW_PRIVATE (on while DEBUG, for a receiver on your laptop); a delivery is
# tried at most WEBHOOK_MAX_ATTEMPTS times, waiting base × 2^n seconds (with jitter, at most the limit)
# between tries; each try may take WEBHOOK_TIMEOUT_SECONDS to connect and as long again to answer.
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", DEBUG)
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", 8))
WEBHOOK_BACKOFF_BASE_SECONDS = float(os.environ.get("WEBHOOK_BACKOFF_BASE_SECONDS", 60))
WEBHOOK_BACKOFF_MAX_SECONDS = float(os.environ.get("WEBHOOK_BACKOFF_MAX_SECONDS", 3600))
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", 10))
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    # Notifications: e-mails a broker outage or a mail server failure left; the daily digest (hourly: each
    # person gets one a day from NOTIFICATION_DIGEST_HOUR_UTC); launch tasks due and overdue (hourly: each
    # portfolio's day starts in its time zone; one notice per task and day).
    "notification-emails": {
        "task": "products.tasks.notifications_email_sweep",
        "schedule": float(os.environ.get("NOTIFICATION_EMAIL_SWEEP_SECONDS", 5 * 60)),
    },
    "notification-digest": {
        "task": "products.tasks.notifications_digest_send",
        "schedule": float(os.environ.get("NOTIFICATION_DIGEST_SECONDS", 60 * 60)),
    },
    "launch-task-reminders": {
        "task": "gtm.tasks.launch_task_reminders",
        "schedule": float(os.environ.get("LAUNCH_TASK_REMINDERS_SECONDS", 60 * 60)),
    },
    "evaluate-lifecycle-rules": {
        "task": "products.tasks.lifecycle_rules_evaluate_all",
        "schedule": float(os.environ.get("RULES_EVALUATE_SECONDS", 15 * 60)),
    },
    # Cross-functional signals: opened and resolved as weeks end and launches age, even without new data.
    "detect-signals": {
        "task": "kpis.tasks.signals_detect_all",
        "schedule": float(os.environ.get("SIGNALS_DETECT_SECONDS", 60 * 60)),
    },
    "refresh-kpi-health": {
        "task": "kpis.tasks.kpi_health_refresh_all",
        "schedule": float(os.environ.get("HEALTH_REFRESH_SECONDS", 60 * 60)),
    },
    # Webhook deliveries due (a retry whose wait is over, one a broker outage or a killed worker left).
    "send-webhook-deliveries": {
        "task": "products.tasks.webhook_deliveries_sweep",
        "schedule": float(os.environ.get("WEBHOOK_SWEEP_SECONDS", 60)),
    },
    # Domain events whose handlers did not run (a crash between commit and dispatch) are found again.
    "relay-domain-events": {
        "task": "products.tasks.events_relay",
        "schedule": float(os.environ.get("EVENTS_RELAY_SECONDS", 60)),
    },
    # Rollup work recorded but not done (broker down, worker killed) goes to the worker again.
    "sweep-pending-rollups": {
        "task": "kpis.tasks.rollups_sweep",
        "schedule": float(os.environ.get("ROLLUP_SWEEP_SECONDS", 60)),
    },
    # A sample of KPIs: stored rollups compared with their measurements, differences repaired and logged.
    "verify-rollups": {
        "task": "kpis.tasks.rollups_verify",
        "schedule": float(os.environ.get("ROLLUP_VERIFY_SECONDS", 60 * 60)),
    },
    # Safety net: rebuilding gives the rows the incremental updates should have given.
    "rebuild-rollups": {
        "task": "kpis.tasks.rebuild_rollups",
        "schedule": float(os.environ.get("ROLLUP_REBUILD_SECONDS", 24 * 3600)),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "celery.app.trace": {"level": os.environ.get("TASK_LOG_LEVEL", "WARNING")},
    },
}
