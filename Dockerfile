# The helpdesk portal: one image for the web server (gunicorn), the Celery worker and beat.
# docker-compose.yml shows how they run together.

# Compile translations (.po -> .mo) with GNU gettext, kept out of the final image.
FROM python:3.11-slim AS messages
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN find . -path '*/LC_MESSAGES/*.po' -execdir sh -c 'msgfmt --check-format -o "${1%.po}.mo" "$1"' _ {} \;

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/var/lib/helpdesk \
    MEDIA_ROOT=/var/lib/helpdesk/media \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app
# Dependencies first, so that a code change does not reinstall them. The project
# installs no package of its own (pyproject: packages = []), only its dependencies;
# psycopg2-binary comes as a wheel, so no compiler is needed.
COPY pyproject.toml ./
RUN pip install .

COPY --from=messages /src /app
# Static files are collected into the image (owned by the app user, so the compose
# stack can refresh its shared copy at start); the key is a throwaway for this step.
RUN SECRET_KEY=collectstatic-at-build-time-only python manage.py collectstatic --noinput -v0

RUN groupadd --system helpdesk \
    && useradd --system --gid helpdesk --home-dir /var/lib/helpdesk helpdesk \
    && mkdir -p /var/lib/helpdesk/media \
    && chown -R helpdesk:helpdesk /var/lib/helpdesk /app/staticfiles
USER helpdesk

EXPOSE 8000
# Workers: WEB_CONCURRENCY (gunicorn reads it), 1 by default.
CMD ["gunicorn", "helpdesk.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
