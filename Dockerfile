# cacheserver: a Redis- and memcached-compatible cache server.
#
#   docker build -t cacheserver .
#   docker run --rm -p 6379:6379 cacheserver
#
# The base image only needs Python 3.11+ with the venv module (and pip through
# ensurepip), so any Debian-like image with python3 and python3-venv works too:
#   docker build --build-arg PYTHON_IMAGE=my-bookworm-python -t cacheserver .
# With buildah, keep the Docker image format, which carries the HEALTHCHECK:
#   buildah bud --format docker -t cacheserver .
ARG PYTHON_IMAGE=python:3.11-slim

# Build stage: install the project and its wheels into a virtualenv.  The
# source tree, pip's cache and any build dependencies stay behind in this stage.
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
RUN python3 -m venv /opt/cacheserver
WORKDIR /src
COPY pyproject.toml README.md ./
COPY protocol ./protocol
COPY cacheserver ./cacheserver
# --only-binary: the dependencies must come as wheels (no compiler here);
# the project itself is pure Python and is built from this tree.
RUN /opt/cacheserver/bin/pip install --only-binary=:all: . \
    && /opt/cacheserver/bin/pip uninstall -y pip setuptools \
    && /opt/cacheserver/bin/cacheserver --help >/dev/null

# Run stage: the same base (the venv's interpreter links to it) plus the venv.
FROM ${PYTHON_IMAGE}
RUN groupadd --gid 10001 cacheserver \
    && useradd --uid 10001 --gid cacheserver --no-create-home --no-log-init \
       --home-dir /nonexistent --shell /usr/sbin/nologin cacheserver
COPY --from=build /opt/cacheserver /opt/cacheserver
ENV PATH=/opt/cacheserver/bin:$PATH \
    PYTHONUNBUFFERED=1
USER cacheserver
WORKDIR /tmp
# Redis protocol, memcached protocol
EXPOSE 6379 11211
# With the HTTP metrics on, name their port in METRICS_PORT and the check asks
# /healthz there:
#   docker run -e METRICS_PORT=9121 -p 9121:9121 cacheserver \
#       cacheserver --bind 0.0.0.0 --memcached-bind 0.0.0.0 --protected-mode no \
#       --metrics-port 9121 --metrics-bind 0.0.0.0
# (orchestrators probe /healthz and /readyz themselves).  Otherwise it sends
# PING over the Redis protocol with the standard library (no redis-cli here),
# on the default port: a server started with --port needs its own check.
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["python3", "-c", "import os, socket, sys, urllib.request\nport = os.environ.get('METRICS_PORT')\nif port:\n    sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=2).status == 200 else 1)\ns = socket.create_connection(('127.0.0.1', 6379), timeout=2)\ns.sendall(b'*1\\r\\n$4\\r\\nPING\\r\\n')\nsys.exit(0 if s.recv(64).startswith(b'+PONG') else 1)"]
STOPSIGNAL SIGTERM
# Clients reach a container through its network interface, never its loopback:
# protected mode (on by default, as in Redis) would refuse them all while the
# default user has no password, so the image turns it off, as the official
# Redis image does. Set a password (--requirepass or ACL users) for anything
# beyond a private network.
CMD ["cacheserver", "--bind", "0.0.0.0", "--memcached-bind", "0.0.0.0", "--protected-mode", "no"]
