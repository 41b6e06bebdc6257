#!/usr/bin/env bash
# Debian's PostgreSQL server, for the storage tests (scripts/pg_cluster.py starts a throwaway
# cluster of it; tests/conftest.py's `postgres` fixture). Only the binaries are used: the
# package's own cluster is not needed. Does nothing when it is already there.
set -euo pipefail
dpkg-query -W -f='${Status}' postgresql 2>/dev/null | grep -q "install ok installed" && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing postgresql (apt-get)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends postgresql >/dev/null
