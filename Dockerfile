# The herokufly GitHub Action: Python 3.13, pg_dump 17 (dumps every Heroku Postgres version),
# flyctl and git on Debian 13. Layers go from least to most often changed: a code edit
# rebuilds only the last layer.

# Every version below comes from herokufly/data/pins.json and is rewritten by scripts/update-pins
# (base images by digest where a source records it, apt packages by version).

# flyctl comes from the official image of a pinned version; the binary is /flyctl there.
FROM flyio/flyctl:v0.4.87 AS flyctl

# git and the PostgreSQL 17 client tools are installed here and only their files copied on:
# their Debian packages pull in Perl (~50 MB) for wrappers and scripts herokufly never runs.
# Of the PostgreSQL tools only pg_dump and psql go on: the copy runs nothing else (pg/tools.py).
# Everything is gathered under /out so the final stage copies it in one step.
FROM debian:trixie-slim@sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132 AS tools
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      git=1:2.47.3-0+deb13u1 \
      postgresql-client-17=17.12-0+deb13u1 \
 && cd /usr/lib/git-core \
 && rm -rf git-daemon git-http-backend git-http-fetch git-http-push git-imap-send git-shell scalar \
      mergetools git-instaweb git-web--browse git-svn git-send-email git-cvs* git-archimport \
 && mkdir -p /out/usr/bin /out/usr/lib /out/usr/share /out/usr/lib/postgresql/17/bin \
 && cp -a /usr/bin/git /out/usr/bin/ \
 && cp -a /usr/lib/git-core /out/usr/lib/ \
 && cp -a /usr/share/git-core /out/usr/share/ \
 && cp -a /usr/lib/postgresql/17/bin/pg_dump /usr/lib/postgresql/17/bin/psql /out/usr/lib/postgresql/17/bin/ \
 && if cmp -s /out/usr/bin/git /out/usr/lib/git-core/git; then ln -sf ../../bin/git /out/usr/lib/git-core/git; fi

FROM debian:trixie-slim@sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132

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
      ca-certificates=20250419+deb13u1 \
      libcurl3t64-gnutls=8.14.1-2+deb13u7 \
      libexpat1=2.9.0-1~deb13u1 \
      libpcre2-8-0=10.46-1~deb13u3 \
      zlib1g=1:1.3.dfsg+really1.3.1-1+deb13u1 \
      libpq5=17.12-0+deb13u1 \
      liblz4-1=1.10.0-4 \
      libreadline8t64=8.2-6 \
      libssl3t64=3.5.9-1~deb13u1 \
      libzstd1=1.5.7+dfsg-1 \
      python3=3.13.5-1 \
      python3-click=8.2.0+0.really.8.1.8-1 \
      python3-github=2.6.1-1 \
      python3-psycopg=3.2.6-1 \
      python3-requests=2.32.3+dfsg-5+deb13u1 \
      python3-tomlkit=0.13.2-1 \
      python3-yaml=6.0.2-1+b2 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log

COPY --from=tools /out/ /
COPY --from=flyctl /flyctl /usr/local/bin/flyctl

# Fail the build, not a migration, if a copied binary misses a library.
RUN ! ldd /usr/bin/git /usr/lib/git-core/git-remote-http /usr/lib/postgresql/17/bin/* 2>&1 | grep 'not found' \
 && for tool in pg_dump psql; do ln -s /usr/lib/postgresql/17/bin/$tool /usr/local/bin/$tool; done \
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
