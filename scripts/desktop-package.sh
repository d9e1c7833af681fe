#!/usr/bin/env bash
# Packages the desktop app into dist/:
#   dist/agentdesk-linux-amd64              the Linux binary
#   dist/agentdesk_<version>_amd64.deb      Debian package (dpkg-deb from a staging dir)
#   dist/agentdesk-windows-amd64.exe        the Windows binary (cross-built)
#   dist/agentdesk-<version>-windows-amd64-installer.exe   its NSIS installer
# Builds first (scripts/desktop-build.sh windows) unless SKIP_BUILD=1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf 'desktop-package: %s\n' "$*"; }

VERSION="${VERSION:-$(sed -n 's/.*"productVersion": *"\([^"]*\)".*/\1/p' desktop/wails.json)}"
VERSION="${VERSION:-0.0.0}"
export VERSION
[ "${SKIP_BUILD:-}" = 1 ] || scripts/desktop-build.sh windows

BIN=desktop/build/bin
for f in "$BIN/agentdesk" "$BIN/agentdesk.exe"; do
	[ -f "$f" ] || { echo "desktop-package: $f is missing" >&2; exit 1; }
done
installer="$(ls "$BIN"/*installer*.exe 2>/dev/null | head -1 || true)"
[ -n "$installer" ] || { echo "desktop-package: no NSIS installer in $BIN (is nsis installed?)" >&2; exit 1; }

mkdir -p dist
cp "$BIN/agentdesk" dist/agentdesk-linux-amd64
cp "$BIN/agentdesk.exe" dist/agentdesk-windows-amd64.exe
cp "$installer" "dist/agentdesk-$VERSION-windows-amd64-installer.exe"

# --- .deb --------------------------------------------------------------------
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/agentdesk"
install -D -m 0755 "$BIN/agentdesk" "$pkg/usr/bin/agentdesk"
icon=desktop/build/appicon.png
[ -f "$icon" ] || { echo "desktop-package: $icon is missing (the Wails CLI writes a default one on build)" >&2; exit 1; }
install -D -m 0644 "$icon" "$pkg/usr/share/pixmaps/agentdesk.png"
install -d "$pkg/usr/share/applications" "$pkg/DEBIAN"
cat >"$pkg/usr/share/applications/agentdesk.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Name=AgentDesk
Comment=AgentDesk agent desktop
Exec=/usr/bin/agentdesk
Icon=agentdesk
Terminal=false
Categories=Office;Network;
StartupWMClass=agentdesk
DESKTOP
size_kb="$(du -sk "$pkg/usr" | cut -f1)"
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: agentdesk
Version: $VERSION
Section: net
Priority: optional
Architecture: amd64
Depends: libgtk-3-0, libwebkit2gtk-4.1-0
Installed-Size: $size_kb
Maintainer: AgentDesk <support@agentdesk.invalid>
Description: AgentDesk agent desktop
 Sign in to AgentDesk (station, team) and work on the Tasks page.
CONTROL
deb="dist/agentdesk_${VERSION}_amd64.deb"
dpkg-deb --root-owner-group --build "$pkg" "$deb" >/dev/null
dpkg-deb --info "$deb" >/dev/null
say "ok:"
ls -l dist | sed 1d
