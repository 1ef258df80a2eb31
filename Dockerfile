FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends fonts-ipaexfont-gothic libpango-1.0-0 \
      libpangoft2-1.0-0 gettext poppler-utils && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
ENV DJANGO_ENV=production JAIM_PRIVATE_ROOT=/var/lib/jaim/private
EXPOSE 8000
