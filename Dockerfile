# One image for the API and the workers: `daihuo serve` or `daihuo worker` (see docker-compose.yml).
FROM python:3.11-slim-bookworm
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      ffmpeg espeak-ng fonts-noto-cjk fonts-noto-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY generator ./generator
COPY workers ./workers
COPY assets ./assets
COPY prompts ./prompts
COPY examples ./examples
RUN pip install --no-cache-dir . && useradd --create-home --uid 1000 daihuo && mkdir -p /data/out \
 && chown daihuo /data/out
USER daihuo
ENV DAIHUO_OUT=/data/out PYTHONUNBUFFERED=1
EXPOSE 8000
CMD ["daihuo", "serve", "--host", "0.0.0.0", "--port", "8000"]
