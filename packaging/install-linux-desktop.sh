#!/usr/bin/env bash
# Adds zdce to the Linux desktop menu for the current user: the .desktop entry and the icon.
# Usage: packaging/install-linux-desktop.sh [PATH-TO-zdce-gui]
# (default: dist/zdce/zdce-gui if built with PyInstaller, else zdce-gui on PATH)
set -euo pipefail
cd "$(dirname "$0")/.."
exe="${1:-}"
if [ -z "$exe" ]; then
    if [ -x dist/zdce/zdce-gui ]; then exe="$(pwd)/dist/zdce/zdce-gui"; else exe="$(command -v zdce-gui)"; fi
fi
[ -x "$exe" ] || { echo "zdce-gui not found; pass its path" >&2; exit 1; }
data="${XDG_DATA_HOME:-$HOME/.local/share}"
install -D -m 644 resources/icons/zdce.png "$data/icons/hicolor/256x256/apps/zdce.png"
install -d "$data/applications"
sed "s|^Exec=.*|Exec=\"$exe\" %F|" resources/linux/zdce.desktop > "$data/applications/zdce.desktop"
chmod 644 "$data/applications/zdce.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
echo "installed $data/applications/zdce.desktop (runs $exe)"
