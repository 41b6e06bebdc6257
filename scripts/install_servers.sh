#!/usr/bin/env bash
# Debian's PostgreSQL server and nginx: the storage tests run against a throwaway PostgreSQL
# cluster (scripts/pg_cluster.py), the multi-process tests and load test go through nginx
# (scripts/workers.py). Only the binaries are used: neither package's own service is needed.
# Does nothing when they are already there.
set -euo pipefail
packages=(postgresql nginx)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "installing ${missing[*]} (apt-get)"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
