# Callboard's image: the wheel (with its front-end files) installed in a slim Python, run as a user of its own.
#
#   docker build -t callboard .            (or: podman build / buildah bud)
#   docker run -p 7007:7007 -v ./app-config.yaml:/etc/callboard/app-config.yaml -v callboard-data:/var/lib/callboard callboard
#
# Plugins: build FROM this image and `pip install` them, or pass PLUGINS="callboard-org callboard-change-events"
# as a build argument (wheels from dist/ are found first, then the package index).
ARG PYTHON=python:3.12-slim-bookworm

# -- 1: build the wheels (front-end files from the npm registry, version from the git tag) -------------------
FROM ${PYTHON} AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm git make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN python -m venv /opt/build && /opt/build/bin/pip install --quiet uv==0.13.9 \
    && make src/callboard/web/static/vendor/.installed \
    && /opt/build/bin/uv build --quiet --wheel --out-dir /dist . \
    && for plugin in plugins/*/; do /opt/build/bin/uv build --quiet --wheel --out-dir /dist "$plugin"; done

# -- 2: the image: no compiler, no Node.js, no source ---------------------------------------------------------
FROM ${PYTHON}
ARG PLUGINS=""
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/callboard/bin:$PATH
RUN apt-get update && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 callboard \
    && useradd --system --uid 10001 --gid callboard --home-dir /var/lib/callboard --shell /usr/sbin/nologin callboard
COPY --from=build /dist /dist
RUN python -m venv /opt/callboard \
    && /opt/callboard/bin/pip install --no-cache-dir --find-links /dist callboard $PLUGINS \
    && /opt/callboard/bin/python -m compileall -q /opt/callboard/lib \
    && rm -rf /dist \
    && mkdir -p /etc/callboard /var/lib/callboard \
    && chown callboard:callboard /var/lib/callboard
# app-config.yaml (and any files it includes) is mounted here; the data directory keeps TechDocs sites, git
# caches and, with SQLite, the database. Secrets come from the environment (${VAR} in app-config).
VOLUME ["/etc/callboard", "/var/lib/callboard"]
WORKDIR /var/lib/callboard
USER callboard
EXPOSE 7007
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:7007/.backstage/health/v1/liveness', timeout=4); sys.exit(0)"]
ENTRYPOINT ["callboard", "serve", "--config", "/etc/callboard/app-config.yaml", "--host", "0.0.0.0", "--port", "7007"]
