#!/usr/bin/env bash
# Renders a report.html in headless Chromium and checks it: the screenshot must not be blank and must show chart
# bars, and the rendered DOM must hold the inline <svg> charts. Exit 0 when both hold, 1 when not, 2 on bad usage.
#
#   scripts/check-report-html.sh REPORT.html [SCREENSHOT.png]    (screenshot default: next to the report)
#
# Installs Debian's chromium (and python3-pil for the pixel check) with apt-get when missing; that needs root.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 REPORT.html [SCREENSHOT.png]" >&2
  exit 2
fi
if [[ ! -f $1 ]]; then
  echo "check-report-html: no such file: $1" >&2
  exit 2
fi
html=$(realpath "$1")
shot=$(realpath -m "${2:-${html%.html}.png}")
# Debian's python with Debian's packages, not whichever python3 comes first on PATH.
PY=/usr/bin/python3

missing=()
command -v chromium >/dev/null || missing+=(chromium fonts-dejavu-core)
"$PY" -c 'import PIL' 2>/dev/null || missing+=(python3-pil)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "check-report-html: installing ${missing[*]} ..." >&2
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

profile=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$profile" "$log"' EXIT
# No network, no updates, a throwaway profile: the page must render from the file alone.
chrome=(chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
  --disable-sync --no-first-run --user-data-dir="$profile" --hide-scrollbars --window-size=1400,1800)

if ! "${chrome[@]}" --screenshot="$shot" "file://$html" >"$log" 2>&1 || [[ ! -s $shot ]]; then
  echo "check-report-html: chromium wrote no screenshot; its output:" >&2
  cat "$log" >&2
  exit 1
fi
dom=$("${chrome[@]}" --dump-dom "file://$html" 2>"$log") || { cat "$log" >&2; exit 1; }

svgs=$(grep -o '<svg ' <<<"$dom" | wc -l)
bars=$(grep -o '<rect ' <<<"$dom" | wc -l)
if [[ $svgs -lt 1 || $bars -lt 1 ]]; then
  echo "check-report-html: the rendered DOM has $svgs <svg> charts and $bars bars; expected charts" >&2
  exit 1
fi

# Not blank: enough non-white pixels, and some in the bar colour (#4e79a7), i.e. the SVG was painted.
"$PY" - "$shot" "$svgs" <<'PYEOF'
import sys
from PIL import Image

image = Image.open(sys.argv[1]).convert("RGB")
width, height = image.size
pixels = list(image.getdata())
ink = sum(1 for r, g, b in pixels if min(r, g, b) < 235)
bar = sum(1 for r, g, b in pixels if abs(r - 0x4E) < 24 and abs(g - 0x79) < 24 and abs(b - 0xA7) < 24)
share = ink / len(pixels)
print(f"check-report-html: {sys.argv[1]}: {width}x{height}, {share:.1%} non-white, {bar} bar-coloured pixels, "
      f"{sys.argv[2]} <svg> charts in the DOM")
if share < 0.01 or bar < 200:
    sys.exit("check-report-html: the screenshot looks blank (or has no chart bars)")
PYEOF
