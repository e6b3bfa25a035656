# The herokufly GitHub Action: Python 3.13, pg_dump 17 (dumps every Heroku Postgres version),
# flyctl and git on Debian 13. Layers go from least to most often changed: a code edit
# rebuilds only the last layer.

# flyctl comes from the official image of a pinned version; the binary is /flyctl there.
FROM flyio/flyctl:v0.4.101 AS flyctl

# git and the PostgreSQL 17 client tools are installed here and only their files copied on:
# their Debian packages pull in Perl (~50 MB) for wrappers and scripts herokufly never runs.
# Everything is gathered under /out so the final stage copies it in one step.
FROM debian:trixie-slim AS tools
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git postgresql-client-17 \
 && cd /usr/lib/git-core \
 && rm -rf git-daemon git-http-backend git-http-fetch git-http-push git-imap-send git-shell scalar \
      mergetools git-instaweb git-web--browse git-svn git-send-email git-cvs* git-archimport \
 && mkdir -p /out/usr/bin /out/usr/lib /out/usr/share /out/usr/lib/postgresql \
 && cp -a /usr/bin/git /out/usr/bin/ \
 && cp -a /usr/lib/git-core /out/usr/lib/ \
 && cp -a /usr/share/git-core /out/usr/share/ \
 && cp -a /usr/lib/postgresql/17 /out/usr/lib/postgresql/

FROM debian:trixie-slim

# Keep docs, man pages and translations out of every package installed below. The libraries
# are the run-time needs of the git and PostgreSQL binaries copied from the tools stage.
RUN printf '%s\n' \
      'path-exclude /usr/share/doc/*' \
      'path-include /usr/share/doc/*/copyright' \
      'path-exclude /usr/share/man/*' \
      'path-exclude /usr/share/info/*' \
      'path-exclude /usr/share/locale/*' \
      'path-exclude /usr/share/lintian/*' \
      >/etc/dpkg/dpkg.cfg.d/herokufly-slim \
 && apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      libcurl3t64-gnutls libexpat1 libpcre2-8-0 zlib1g \
      libpq5 liblz4-1 libreadline8t64 libssl3t64 libzstd1 \
      python3 \
      python3-click \
      python3-github \
      python3-psycopg \
      python3-requests \
      python3-tomlkit \
      python3-yaml \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log

COPY --from=tools /out/ /
COPY --from=flyctl /flyctl /usr/local/bin/flyctl

# Fail the build, not a migration, if a copied binary misses a library.
RUN ! ldd /usr/bin/git /usr/lib/git-core/git-remote-http /usr/lib/postgresql/17/bin/* 2>&1 | grep 'not found' \
 && for tool in pg_dump pg_dumpall pg_restore psql; do ln -s /usr/lib/postgresql/17/bin/$tool /usr/local/bin/$tool; done \
 && git config --system --add safe.directory '*' \
 && printf '#!/bin/sh\nexec python3 -m herokufly "$@"\n' >/usr/local/bin/herokufly \
 && chmod 0755 /usr/local/bin/herokufly

ENV PYTHONPATH=/opt/herokufly \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FLYCTL=/usr/local/bin/flyctl
ENTRYPOINT ["python3", "/opt/herokufly/entrypoint.py"]

# The package last, in one layer: .dockerignore lets only herokufly/ and entrypoint.py in.
COPY . /opt/herokufly/
