"""Settings for every environment, driven by environment variables.

With nothing set the service runs on its embedded default: SQLite under ./var/ and
an embedded redis-server on a unix socket (see alweb/embedded_redis.py). With
DATABASE_URL and REDIS_URL set it uses PostgreSQL and Redis.
"""

import os
from collections.abc import Mapping
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from alweb.redis_urls import celery_broker_url, channel_layers, embedded_redis_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("ALWEB_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("DEBUG", "0") == "1"
# The embedded default (no DATABASE_URL, no REDIS_URL: SQLite and a private redis-server) is for
# one machine; anything else is a deployment, which must set its own key unless it debugs.
EMBEDDED_DEFAULT = not os.environ.get("DATABASE_URL") and not os.environ.get("REDIS_URL")
if not os.environ.get("SECRET_KEY") and not DEBUG and not EMBEDDED_DEFAULT:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. A deployment (DATABASE_URL or REDIS_URL set, DEBUG off) needs its own key: "
        "set SECRET_KEY to a long random value, e.g. the output of `openssl rand -hex 32`."
    )
SECRET_KEY = os.environ.get("SECRET_KEY") or "insecure-embedded-default-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [
    origin
    for origin in os.environ.get("CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000").split(",")
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
    "alweb.content_security.ContentSecurityPolicyMiddleware",
]

# Behind a TLS-terminating proxy: trust its X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER=X-Forwarded-Proto),
# send cookies over HTTPS only and ask browsers to come back over HTTPS (HSTS). docker-compose.yml turns
# them on; the embedded default serves plain HTTP on 127.0.0.1 and leaves them off.
_proxy_ssl_header = os.environ.get("SECURE_PROXY_SSL_HEADER", "")
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https")
SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
CSRF_COOKIE_SECURE = os.environ.get("CSRF_COOKIE_SECURE", "0") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("SECURE_HSTS_INCLUDE_SUBDOMAINS", "0") == "1"
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "0") == "1"
# The pages load scripts and styles from their own origin only and run no inline script
# (json_script blocks are data). Swagger UI's page keeps an inline <style>; it gets CSP_DOCS.
# An empty CONTENT_SECURITY_POLICY sends none.
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY_DOCS = os.environ.get(
    "CONTENT_SECURITY_POLICY_DOCS",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)

ROOT_URLCONF = "alweb.urls"
ASGI_APPLICATION = "alweb.asgi.application"
# Threads per web-server process that run HTTP requests (alweb/asgi.py): at most this many
# requests are worked on at once in a process; the rest wait their turn.
WEB_REQUEST_THREADS = int(os.environ.get("WEB_REQUEST_THREADS", "16"))

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
    # queue for the lock instead of failing at once, and a process's own writers queue in
    # Python (alweb/sqlite_backend).
    DATABASES["default"]["ENGINE"] = "alweb.sqlite_backend"
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif os.environ.get("DATABASE_POOL_SIZE"):
    # Each of a web server's request threads keeps a connection of its own (WEB_REQUEST_THREADS
    # per process); a pool lends fewer connections among them, for a database that allows few.
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


def stored_files_storage(environ: Mapping[str, str]) -> dict:
    """The storage of images, models, checkpoints and features that ALWEB_STORAGE names.

    "local" (the default): the folder MEDIA_ROOT, for one machine or a volume they all mount.
    "s3": a bucket of an S3-compatible object store that the web servers and the workers of
    several machines share (the `[s3]` extra). Its credentials come from boto3's usual chain
    (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, an instance role), never from here.
    """
    kind = environ.get("ALWEB_STORAGE", "local")
    if kind == "local":
        return {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != "s3":
        raise ImproperlyConfigured(f"ALWEB_STORAGE is {kind!r}; use 'local' or 's3'.")
    if not environ.get("AWS_STORAGE_BUCKET_NAME"):
        raise ImproperlyConfigured("ALWEB_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME, the bucket that holds the files.")
    return {
        "BACKEND": "alweb.object_storage.ObjectStorage",
        "OPTIONS": {
            "bucket_name": environ["AWS_STORAGE_BUCKET_NAME"],
            "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": environ.get("AWS_S3_REGION_NAME") or None,
            # As on a disk, a new file gets a name of its own and never replaces another: an upload that
            # rolls back deletes the files it wrote, which must not be another request's copy of the same
            # content. Artefacts that are meant to be replaced go through cycles.artefacts.replace_stored_file.
            "file_overwrite": False,
            # Objects stay private (no ACL is sent, so the bucket's own policy applies): images are
            # served through the API after its access checks, never by a URL into the bucket.
            "default_acl": None,
        },
    }


STORAGES = {
    "default": stored_files_storage(os.environ),
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
# Request bodies: a JSON body may be this large; uploads and COCO imports have their own limits
# (alweb/request_limits.py), checked before the body is read.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", 1024 * 1024))
# A COCO import's annotations file: its size and how many images and annotations it may list.
COCO_IMPORT_MAX_BYTES = int(os.environ.get("COCO_IMPORT_MAX_BYTES", 256 * 1024 * 1024))
COCO_IMPORT_MAX_IMAGES = int(os.environ.get("COCO_IMPORT_MAX_IMAGES", 200_000))
COCO_IMPORT_MAX_ANNOTATIONS = int(os.environ.get("COCO_IMPORT_MAX_ANNOTATIONS", 300_000))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# How long an annotator holds a queued image without renewing; then it returns to the queue.
QUEUE_LEASE_SECONDS = int(os.environ.get("QUEUE_LEASE_SECONDS", 600))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so that an anonymous request gets 401 with WWW-Authenticate. The token's
        # user comes from the cache, invalidated on every revocation (alweb/auth_cache.py).
        "alweb.auth_cache.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "alweb.api_schema.ApiAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Bodies are JSON; the views that take files name their multipart parser. A form's empty
    # field would otherwise read as "absent" and pass where JSON's "" is refused.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "alweb.api_errors.exception_handler",
    # Proxies in front of the server whose X-Forwarded-For the throttles trust; 0 uses the peer's address.
    "NUM_PROXIES": int(os.environ.get("THROTTLE_NUM_PROXIES", 0)),
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
    # Ids are 64-bit database keys (alweb/url_converters.py); a larger number matches no route.
    # The health check's states, shared by each thing it checks.
    "ENUM_NAME_OVERRIDES": {"CheckStateEnum": ["ok", "unavailable"]},
    "PATH_CONVERTER_OVERRIDES": {"id": {"type": "integer", "format": "int64", "minimum": 0, "maximum": 2**63 - 1}},
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
# The periodic recovery of stalled cycles; health says "beat": "stale" (503) when its last run is
# older than a few periods, so that a dead beat process is noticed.
CYCLE_RECOVER_EVERY_S = float(os.environ.get("CYCLE_RECOVER_EVERY", 15))
HEALTH_BEAT_STALE_S = float(os.environ.get("HEALTH_BEAT_STALE_S", 4 * CYCLE_RECOVER_EVERY_S))
CELERY_BEAT_SCHEDULE = {
    "recover-cycles": {"task": "cycles.cycles_recover", "schedule": CYCLE_RECOVER_EVERY_S},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]

CHANNEL_LAYERS = channel_layers(REDIS_URL)

# The throttles' counters (alweb/throttles.py). The embedded default runs the web server and the
# worker as separate processes, so its cache is a folder they share, not one process's memory.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "alweb",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }
# Requests per period ("10/min", "100/hour"; empty: no limit). Sign-in (the token endpoint and the
# login pages) per username and per client address; /predict/ and uploads per user.
THROTTLE_RATES = {
    "login": os.environ.get("THROTTLE_LOGIN", "10/min"),
    "login_ip": os.environ.get("THROTTLE_LOGIN_IP", "30/min"),
    "predict": os.environ.get("THROTTLE_PREDICT", "60/min"),
    "upload": os.environ.get("THROTTLE_UPLOAD", "120/min"),
}

# Who may create projects: "staff" (users with is_staff) or "all" signed-in users.
ALWEB_PROJECT_CREATORS = os.environ.get("ALWEB_PROJECT_CREATORS", "staff")
if ALWEB_PROJECT_CREATORS not in ("staff", "all"):
    raise ImproperlyConfigured(f"ALWEB_PROJECT_CREATORS is {ALWEB_PROJECT_CREATORS!r}; use 'staff' or 'all'.")

# The active-learning loop.
ML_DEVICE = os.environ.get("ML_DEVICE", "auto")
ML_WORK_DIR = Path(os.environ.get("ML_WORK_DIR", VAR_DIR / "ml-work"))
# With an object store (ALWEB_STORAGE=s3): the most a machine keeps of its own copies of the stored
# images it reads, in ML_WORK_DIR (alweb/cycles/stored_image_copies.py); 0 keeps none.
STORED_IMAGE_COPIES_BYTES = int(os.environ.get("STORED_IMAGE_COPIES_BYTES", 4 * 1024**3))
# A local file of torchvision's ImageNet state dict for the ResNet presets (resnet18-simple,
# resnet50-simple), e.g. saved from torchvision.models.resnet18(weights="IMAGENET1K_V1"). Nothing
# is downloaded at run time; without it a ResNet backbone starts from random values.
BACKBONE_WEIGHTS = os.environ.get("BACKBONE_WEIGHTS") or None
DEFAULT_MODEL = os.environ.get("DEFAULT_MODEL", "hg-tiny")
TRAIN_BATCH_SIZE = int(os.environ.get("TRAIN_BATCH_SIZE", 16))
# The pose network's initial rate, decayed by a cosine over the cycle's epochs; the loss head keeps
# ml.train's constant 3e-4. 2e-3 learned fastest on 2 cores (docs/results/demo_preset.md).
TRAIN_LR = float(os.environ.get("TRAIN_LR", 2e-3))
SCORING_CHUNK_SIZE = int(os.environ.get("SCORING_CHUNK_SIZE", 500))
SCORING_BATCH_SIZE = int(os.environ.get("SCORING_BATCH_SIZE", 32))
# How web servers and workers share the cores (alweb/process_roles.py): torch threads for
# /predict/ in a web server, torch threads in a worker (0: one per core), and the worker's nice
# value, so that a prediction is never queued behind a training step.
WEB_TORCH_THREADS = int(os.environ.get("WEB_TORCH_THREADS", 1))
WORKER_TORCH_THREADS = int(os.environ.get("WORKER_TORCH_THREADS", 0))
WORKER_NICE = int(os.environ.get("WORKER_NICE", 10))
CYCLE_MIN_LABELLED = int(os.environ.get("CYCLE_MIN_LABELLED", 8))
CYCLE_MAX_ATTEMPTS = int(os.environ.get("CYCLE_MAX_ATTEMPTS", 3))
# The most a cycle may ask for: epochs (each of `epochs` and `head_epochs`) and selection budget.
CYCLE_MAX_EPOCHS = int(os.environ.get("CYCLE_MAX_EPOCHS", 500))
CYCLE_MAX_BUDGET = int(os.environ.get("CYCLE_MAX_BUDGET", 100_000))
# Core-set selection keeps every pool image's features in a worker's memory and passes over all of
# them once per pick: a cycle with that strategy is refused over a larger unlabelled pool.
CYCLE_CORESET_MAX_POOL = int(os.environ.get("CYCLE_CORESET_MAX_POOL", 100_000))
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
