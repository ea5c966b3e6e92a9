# One image for every role of an Affinity installation: `affinity serve` (the default
# command), `affinity worker`, `affinity inbox process --forever`, `affinity migrate`.
# docker-compose.yml runs the same topology as `make cluster` (docs/deploy.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    AFFINITY_HOST=0.0.0.0 \
    AFFINITY_PORT=8000 \
    AFFINITY_DATA_DIR=/data

WORKDIR /srv/affinity
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY webhooks ./webhooks
COPY migrations ./migrations
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /srv/affinity --shell /usr/sbin/nologin affinity \
    && mkdir -p /data && chown affinity:affinity /data && chmod 700 /data

USER affinity
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2).status != 200)"
CMD ["affinity", "serve"]
