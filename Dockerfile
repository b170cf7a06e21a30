# Lugang: the stream worker and the lugang command (simulate, replay, record, report).
# Installs the same package the tests install (`pip install .` of this repository), at the
# versions pinned in requirements/prod.lock.
#   docker build -t lugang .
#   docker run --rm lugang --help
# docker-compose.yml builds it for the worker and simulator services.

# An exact Python release on Debian 12 (bookworm), as on the machines the tests run on.
FROM python:3.11.16-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PATH=/opt/lugang/bin:$PATH
# Every compiled dependency (rocksdict, orjson, lz4, cramjam, pydantic-core, aiohttp, ...)
# comes as a manylinux wheel: no compiler is needed.
RUN python -m venv /opt/lugang
WORKDIR /src
COPY pyproject.toml README.md ./
# The pinned versions first (requirements/update.sh writes them), then Lugang alone.
COPY requirements/prod.lock ./requirements/prod.lock
COPY lugang ./lugang
COPY streams ./streams
COPY producers ./producers
COPY dashboards ./dashboards
COPY entrypoints ./entrypoints
# The venv's own pip (bundled with this Python), not the newest: the build stays repeatable.
RUN pip install -r requirements/prod.lock && pip install --no-deps .

FROM python:3.11.16-slim-bookworm
ENV PATH=/opt/lugang/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    LUGANG_WEB_HOST=0.0.0.0 \
    LUGANG_DATA_DIR=/var/lib/lugang
RUN groupadd --system --gid 10001 lugang \
    && useradd --system --uid 10001 --gid lugang --home-dir /var/lib/lugang --no-create-home lugang \
    && mkdir -p /var/lib/lugang \
    && chown lugang:lugang /var/lib/lugang
COPY --from=build /opt/lugang /opt/lugang
WORKDIR /var/lib/lugang
USER lugang
# The worker's /status page (LUGANG_WEB_PORT).
EXPOSE 6066
ENTRYPOINT ["lugang"]
CMD ["worker"]
