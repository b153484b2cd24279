# jiaokan service image: the API, the review page and the `jiaokan` command.
#   docker build -t jiaokan .
#   docker run -e JIAOKAN_ACCESS_TOKENS="$(openssl rand -hex 24)" -p 127.0.0.1:8000:8000 jiaokan   # SQLite in /data
# The server listens on all of the container's addresses, so it needs an access token for changes
# (JIAOKAN_ACCESS_TOKENS; `jiaokan serve` refuses to start without one). It answers the Host names in
# JIAOKAN_ALLOWED_HOSTS: add the name clients use (e.g. -e JIAOKAN_ALLOWED_HOSTS=localhost,127.0.0.1,review.example.org).
# With PostgreSQL: see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    JIAOKAN_LEXICON_DIR=/app/lexicons \
    JIAOKAN_DATABASE_URL=sqlite:////data/jiaokan.db \
    JIAOKAN_ALLOWED_HOSTS=localhost,127.0.0.1,::1 \
    PYCORRECTOR_DATA_DIR=/tmp/pycorrector \
    HOME=/tmp

WORKDIR /app
# only what the package needs (no .venv, no tests): the context stays small
COPY pyproject.toml README.md LICENSE ./
COPY service ./service
# with the `cluster` extra: the same image runs a Dask scheduler and workers (docker-compose.yml, profile cluster)
RUN pip install '.[cluster]' && rm -rf build service/*.egg-info
COPY lexicons ./lexicons
COPY seeds ./seeds

RUN useradd --system --uid 10001 --home-dir /data jiaokan && mkdir -p /data && chown jiaokan /data
USER jiaokan
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=5 \
  CMD python -c "import urllib.request, sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"

CMD ["jiaokan", "serve", "--host", "0.0.0.0", "--port", "8000"]
