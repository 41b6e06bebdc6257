#!/usr/bin/env bash
# Debian's Chromium and the fonts the browser tests need (Korean and emoji would otherwise
# be empty boxes in screenshots). Playwright drives this Chromium; it never downloads one.
# Does nothing when they are already there.
set -euo pipefail
exec bash "$(dirname "$0")/apt_install.sh" chromium fonts-noto-cjk fonts-noto-color-emoji
