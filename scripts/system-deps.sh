#!/usr/bin/env bash
# Installs the Debian tools the pipeline drives, only those that are missing, so a
# second `make` does no apt work: gettext (msgfmt, msgmerge for the comparison
# tests), Chromium (pa11y-ci's browser; never downloaded by puppeteer), a Java
# runtime (the Nu Html Checker), and Noto fonts (Arabic and Chinese glyphs in
# screenshots and in the browser's layout).
set -euo pipefail
need=()
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
command -v msgmerge >/dev/null 2>&1 || need+=(gettext)
[ -x "${PIPELINE_CHROMIUM:-/usr/bin/chromium}" ] || command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
[ -d /usr/share/fonts/truetype/noto ] || need+=(fonts-noto-core)
[ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "system-deps: missing ${need[*]}; run as root or install them: apt-get install ${need[*]}" >&2
  exit 1
fi
echo "system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
