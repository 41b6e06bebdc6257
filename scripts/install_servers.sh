#!/usr/bin/env bash
# Debian's PostgreSQL server and nginx: the storage tests run against a throwaway PostgreSQL
# cluster (scripts/pg_cluster.py), the multi-process tests and load test go through nginx
# (scripts/workers.py). Only the binaries are used: neither package's own service is needed.
# Does nothing when they are already there.
set -euo pipefail
exec bash "$(dirname "$0")/apt_install.sh" postgresql nginx
