# zoomorch: `zoomorch serve` (cue scheduler, Zoom webhook receiver, cue board, JSON API).
# The same image runs the sandbox for rehearsals (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    ZOOMORCH_STATE_DIR=/var/lib/zoomorch

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
# psycopg lets ZOOMORCH_STATE_URL point at PostgreSQL (postgresql+psycopg://…).
RUN pip install ".[postgres]"
COPY config ./config

RUN useradd --system --uid 10001 --home-dir /var/lib/zoomorch zoomorch \
    && mkdir -p /var/lib/zoomorch && chown zoomorch /var/lib/zoomorch
USER zoomorch
VOLUME ["/var/lib/zoomorch"]
EXPOSE 8400

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8400/healthz', timeout=4)"]

ENTRYPOINT ["zoomorch"]
# The service binds 127.0.0.1 by default; inside the container it listens on all interfaces
# so that the reverse proxy can reach it (docker-compose.yml publishes no port of it).
CMD ["serve", "config", "--host", "0.0.0.0", "--port", "8400"]
