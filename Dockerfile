# Flare production image. Build: docker build -t flare .
# Run migrations once per release (`docker run --rm --env-file flare.env flare flare db upgrade`),
# then serve: docker run --env-file flare.env -p 8000:8000 flare
# Production needs FLARE_MASTER_KEYS, an https:// FLARE_PUBLIC_URL and (normally) a
# PostgreSQL FLARE_DATABASE_URL; a bad or missing setting stops start-up with one line.

ARG PYTHON_IMAGE=python:3.11-slim
ARG UV_VERSION=0.13.9

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /app
# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY README.md LICENSE manifest.yaml ./
COPY bot ./bot
COPY handlers ./handlers
COPY store ./store
RUN uv sync --frozen --no-dev --no-editable

FROM ${PYTHON_IMAGE}
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FLARE_ENV=production \
    FLARE_HOST=0.0.0.0 \
    FLARE_PORT=8000 \
    FLARE_VAR_DIR=/app/var
RUN groupadd --system --gid 10001 flare \
    && useradd --system --uid 10001 --gid flare --home-dir /app --shell /usr/sbin/nologin flare \
    && mkdir -p /app/var \
    && chown flare:flare /app/var
WORKDIR /app
# Only the virtual environment: the project is installed into it (not editable).
COPY --from=build --chown=root:root /app/.venv /app/.venv
USER flare
VOLUME ["/app/var"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('FLARE_PORT', '8000'), timeout=4)"]
CMD ["flare", "serve", "--host", "0.0.0.0"]
