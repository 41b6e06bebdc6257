#!/usr/bin/env bash
# Debian's Chromium and the fonts the browser tests need (Korean and emoji would otherwise
# be empty boxes in screenshots). Playwright drives this Chromium; it never downloads one.
# Does nothing when they are already there.
set -euo pipefail
packages=(chromium fonts-noto-cjk fonts-noto-color-emoji)
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
