# The service image; the web server and both Celery workers run from it (docker-compose.yml).
#
# torch is pinned in pyproject.toml (torch==2.13.0); the extra index decides which build of that
# version pip installs. The default is the CPU build. The GPU image installs the CUDA build of the
# same version by passing the CUDA index as a build argument, e.g.
#   docker build --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu130 .
FROM python:3.11-slim

ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu

# PYTHONPATH: run the source tree in /app (templates and static files live beside it),
# not the copy pip puts in site-packages.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    ALWEB_VAR_DIR=/app/var \
    MEDIA_ROOT=/data/media \
    ML_WORK_DIR=/data/checkpoints

WORKDIR /app
COPY pyproject.toml README.md manage.py ./
COPY alweb ./alweb
COPY ml ./ml
COPY frontend ./frontend

RUN pip install --extra-index-url "$TORCH_INDEX_URL" .[s3] \
    && python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --system --uid 10001 --home-dir /app alweb \
    && mkdir -p /data/media /data/checkpoints \
    && chown -R alweb /app/var /data

USER alweb
EXPOSE 8000
CMD ["uvicorn", "alweb.asgi:application", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--lifespan", "off"]
