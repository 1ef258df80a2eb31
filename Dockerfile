# The portal's image: gunicorn (jaim/gunicorn.py) by default; the same image runs the migrations (one-off), the
# Celery worker and beat (docker-compose.yml). Settings come from the environment (.env.example lists them all).
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends fonts-ipaexfont-gothic libpango-1.0-0 \
      libpangoft2-1.0-0 gettext curl poppler-utils && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
ENV DJANGO_ENV=production JAIM_PRIVATE_ROOT=/var/lib/jaim/private JAIM_STATIC_ROOT=/app/staticfiles
# Static files are part of the image: hashed, compressed (WhiteNoise), served by gunicorn. The values below exist
# only for this build step; the container gets the real ones from the environment (.env).
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=build JAIM_SITE_URL=https://build.invalid \
      EMAIL_URL=smtp://build.invalid:25 python manage.py collectstatic --noinput
# Not root: the processes may write only the private directory (a volume: uploads when there is no bucket, beat's
# schedule).
RUN useradd --system --create-home --uid 10001 jaim && mkdir -p /var/lib/jaim/private \
      && chown jaim:jaim /var/lib/jaim/private
USER jaim
EXPOSE 8000
CMD ["gunicorn", "-c", "python:jaim.gunicorn", "jaim.wsgi"]
