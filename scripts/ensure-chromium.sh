#!/bin/sh
# Makes sure headless Chromium is installed for the customer-center page's
# end-to-end test (cmd/api), with a Korean font so that its screenshot
# shows Hangul. Quiet when both are there; otherwise, as root, installs
# Debian's chromium and fonts-nanum packages. No browser is ever fetched
# from anywhere but the distribution's package archive.
set -eu

CHROMIUM=${TSHOP_CHROMIUM:-/usr/bin/chromium}
have_font() { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=ko family 2>/dev/null)" ]; }
if [ -x "$CHROMIUM" ] && have_font; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "ensure-chromium: $CHROMIUM or a Korean font is missing; as root, run: apt-get install chromium fonts-nanum" >&2
	exit 1
fi
echo "ensure-chromium: installing chromium and fonts-nanum with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium fonts-nanum >/dev/null
if [ ! -x "$CHROMIUM" ]; then
	echo "ensure-chromium: chromium is installed but $CHROMIUM is still missing" >&2
	exit 1
fi
