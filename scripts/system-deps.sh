#!/usr/bin/env bash
# Install the Debian/Ubuntu libraries Qt (offscreen and desktop), QtMultimedia and the tests need, when missing.
set -euo pipefail
packages=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3 libglib2.0-0 libpulse0
          libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
          libxcb-render-util0 libxcb-image0 hdf5-tools desktop-file-utils appstream xvfb)
command -v dpkg-query >/dev/null || { echo "not a Debian-like system: install the equivalents of: ${packages[*]}"; exit 0; }
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo="sudo"
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq || true
for p in "${missing[@]}"; do
  $sudo apt-get install -y -qq --no-install-recommends "$p" >/dev/null || echo "warning: could not install $p (tests that need it are skipped)"
done
