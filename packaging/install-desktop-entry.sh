#!/usr/bin/env bash
# Add ModaLens to the current user's application menu, or take it out again with --uninstall.
#
# Inside the built app folder (dist/ModaLens/install-desktop-entry.sh) the menu entry starts that folder's
# executable; from a source checkout (packaging/install-desktop-entry.sh) it starts the `modalens` command
# that `pip install` put on the PATH. Files go under ${XDG_DATA_HOME:-~/.local/share}.
set -euo pipefail

app_id=io.modalens.ModaLens
here=$(cd "$(dirname "$0")" && pwd)
if [ -d "$here/_internal/resources" ]; then
  resources="$here/_internal/resources"
  command="$here/modalens"
else
  resources="$here/../resources"
  command=modalens
fi
data="${XDG_DATA_HOME:-$HOME/.local/share}"
sizes=(16 24 32 48 64 128 256 512)

case "${1:-}" in
  "") action=install ;;
  --uninstall) action=uninstall ;;
  *) echo "install-desktop-entry.sh: unknown argument '$1' (expected nothing or --uninstall)" >&2; exit 2 ;;
esac

refresh_caches() {
  if command -v update-desktop-database >/dev/null; then update-desktop-database -q "$data/applications" || true; fi
  if command -v gtk-update-icon-cache >/dev/null && [ -f "$data/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
  fi
}

if [ "$action" = uninstall ]; then
  rm -f "$data/applications/$app_id.desktop" "$data/metainfo/$app_id.metainfo.xml" \
        "$data/icons/hicolor/scalable/apps/$app_id.svg"
  for size in "${sizes[@]}"; do rm -f "$data/icons/hicolor/${size}x${size}/apps/$app_id.png"; done
  refresh_caches
  echo "removed the ModaLens menu entry from $data"
  exit 0
fi

if [[ "$command" == *[\"\`\$\\]* ]]; then
  echo "install-desktop-entry.sh: the app folder path '$here' contains \", \`, \$ or \\; move it elsewhere" >&2
  exit 1
fi
[ -f "$resources/$app_id.desktop" ] || { echo "install-desktop-entry.sh: $resources/$app_id.desktop not found" >&2; exit 1; }

for size in "${sizes[@]}"; do
  install -D -m 644 "$resources/icons/hicolor/${size}x${size}/apps/$app_id.png" \
    "$data/icons/hicolor/${size}x${size}/apps/$app_id.png"
done
install -D -m 644 "$resources/icons/hicolor/scalable/apps/$app_id.svg" "$data/icons/hicolor/scalable/apps/$app_id.svg"
install -D -m 644 "$resources/$app_id.metainfo.xml" "$data/metainfo/$app_id.metainfo.xml"

# The desktop entry, with Exec/TryExec pointing at this installation's executable.
mkdir -p "$data/applications"
target="$data/applications/$app_id.desktop"
while IFS= read -r line; do
  case "$line" in
    Exec=modalens*) printf 'Exec="%s"%s\n' "$command" "${line#Exec=modalens}" ;;
    TryExec=modalens) printf 'TryExec=%s\n' "$command" ;;
    *) printf '%s\n' "$line" ;;
  esac
done < "$resources/$app_id.desktop" > "$target.tmp"
mv "$target.tmp" "$target"
refresh_caches
echo "installed the ModaLens menu entry in $data (starts: $command)"
