# The monitor daemon as an image; docker-compose.yml runs it beside PostgreSQL and a mail catcher.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# Dependencies first, so code edits do not reinstall them.
COPY pyproject.toml README.md ./
COPY monitor/__init__.py monitor/__init__.py
RUN pip install --upgrade pip && pip install .

COPY monitor monitor
COPY migrations migrations
COPY config config
COPY alembic.ini ./
RUN pip install --no-deps -e . && useradd --system --home /app monitor && mkdir -p /app/data \
    && chown monitor /app/data
USER monitor

EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"
ENTRYPOINT ["monitor"]
CMD ["run", "--host", "0.0.0.0", "--port", "8080"]
