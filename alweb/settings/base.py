"""Settings for every environment, driven by environment variables.

With nothing set the service runs on its embedded default: SQLite under ./var/ and
an embedded redis-server on a unix socket (see alweb/embedded_redis.py). With
DATABASE_URL and REDIS_URL set it uses PostgreSQL and Redis.
"""
import os
from pathlib import Path

import dj_database_url

from alweb.redis_urls import celery_broker_url, channel_layers, embedded_redis_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("ALWEB_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("DEBUG", "0") == "1"
# The embedded default is for one machine; production sets its own key.
SECRET_KEY = os.environ.get("SECRET_KEY", "insecure-embedded-default-set-SECRET_KEY-in-production")
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [
    origin for origin in os.environ.get("CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000").split(",")
    if origin
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "alweb.projects",
    "alweb.images",
    "alweb.annotations",
    "alweb.cycles",
    "alweb.queue",
    "alweb.realtime",
    "alweb.interchange",
    "alweb.health",
    "alweb.insights",
    "alweb.demo",
    "alweb.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "alweb.urls"
ASGI_APPLICATION = "alweb.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "frontend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'alweb.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; the timeout makes writers
    # queue for the lock instead of failing at once.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif os.environ.get("DATABASE_POOL_SIZE"):
    # Under ASGI each request runs in a thread of its own, so a persistent connection is
    # never reused and every request connects anew; a web server on PostgreSQL sets
    # DATABASE_POOL_SIZE to lend requests warm connections from a pool instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {"pool": {"min_size": 1, "max_size": int(os.environ["DATABASE_POOL_SIZE"])}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "frontend" / "static"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Uploads: limits that keep one request from exhausting memory or disk.
UPLOAD_MAX_FILE_BYTES = int(os.environ.get("UPLOAD_MAX_FILE_BYTES", 25 * 1024 * 1024))
UPLOAD_MAX_FILES = int(os.environ.get("UPLOAD_MAX_FILES", 1000))
UPLOAD_MAX_PIXELS = int(os.environ.get("UPLOAD_MAX_PIXELS", 40_000_000))
DATA_UPLOAD_MAX_NUMBER_FILES = UPLOAD_MAX_FILES
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# How long an annotator holds a queued image without renewing; then it returns to the queue.
QUEUE_LEASE_SECONDS = int(os.environ.get("QUEUE_LEASE_SECONDS", 600))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so that an anonymous request gets 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "alweb.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Keypoint active-learning API",
    "DESCRIPTION": "Projects, image pools, keypoint labels and active-learning cycles.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema documents the API, not the data: readable without signing in.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # Swagger UI's files ship with the package; the docs work without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

REDIS_URL = os.environ.get("REDIS_URL") or embedded_redis_url(VAR_DIR)
CELERY_BROKER_URL = celery_broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = celery_broker_url(REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Routing lives here only: alweb/cycles/dispatch.py enqueues by task name and names no queue.
CELERY_TASK_ROUTES = {
    "cycles.cycle_train": {"queue": "gpu"},
    "cycles.cycle_score_chunk": {"queue": "gpu"},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", 3600))}
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_MAX_TASKS_PER_CHILD = 50
CELERY_TASK_SOFT_TIME_LIMIT = int(os.environ.get("CELERY_TASK_SOFT_TIME_LIMIT", 6 * 3600))
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 300
CELERY_BEAT_SCHEDULE = {
    "recover-cycles": {"task": "cycles.cycles_recover", "schedule": float(os.environ.get("CYCLE_RECOVER_EVERY", 15))},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

CHANNEL_LAYERS = channel_layers(REDIS_URL)

# The active-learning loop.
ML_DEVICE = os.environ.get("ML_DEVICE", "auto")
ML_WORK_DIR = Path(os.environ.get("ML_WORK_DIR", VAR_DIR / "ml-work"))
DEFAULT_MODEL = os.environ.get("DEFAULT_MODEL", "hg-tiny")
TRAIN_BATCH_SIZE = int(os.environ.get("TRAIN_BATCH_SIZE", 16))
SCORING_CHUNK_SIZE = int(os.environ.get("SCORING_CHUNK_SIZE", 500))
SCORING_BATCH_SIZE = int(os.environ.get("SCORING_BATCH_SIZE", 32))
CYCLE_MIN_LABELLED = int(os.environ.get("CYCLE_MIN_LABELLED", 8))
CYCLE_MAX_ATTEMPTS = int(os.environ.get("CYCLE_MAX_ATTEMPTS", 3))
# Defaults of a new cycle: the authors train the head alone for a while on the converged network,
# and a tenth of the budget as a random audit sample gives each cycle an honest baseline.
CYCLE_DEFAULT_HEAD_EPOCHS = int(os.environ.get("CYCLE_DEFAULT_HEAD_EPOCHS", 3))
CYCLE_DEFAULT_AUDIT_FRACTION = float(os.environ.get("CYCLE_DEFAULT_AUDIT_FRACTION", 0.1))
# A worker renews its lease every heartbeat; a lease that runs out means the worker died.
CYCLE_LEASE_SECONDS = int(os.environ.get("CYCLE_LEASE_SECONDS", 60))
CYCLE_HEARTBEAT_SECONDS = float(os.environ.get("CYCLE_HEARTBEAT_SECONDS", 10))
CYCLE_REDISPATCH_SECONDS = int(os.environ.get("CYCLE_REDISPATCH_SECONDS", 120))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
