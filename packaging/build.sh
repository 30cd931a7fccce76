#!/usr/bin/env bash
# Build the self-contained one-folder Linux app dist/ModaLens/ with PyInstaller.
#
#   packaging/build.sh          CPU-only torch (the default: smaller, runs on any x86-64 Linux)
#   packaging/build.sh --cuda   torch with CUDA (several GB larger; uses an NVIDIA GPU when present)
#
# Environment:
#   PYTHON         interpreter for the build venv (default: python3; 3.11+ built with --enable-shared)
#   TORCH_SPEC     torch requirement (default: torch==2.13.0)
#   TORCH_INDEX    extra package index for torch (default: the PyTorch CPU index; with --cuda: none,
#                  so PyPI's CUDA wheel; set e.g. https://download.pytorch.org/whl/cu128 for another CUDA;
#                  set it empty where pip already finds a CPU wheel, e.g. on a local mirror)
#   PYINSTALLER    PyInstaller requirement (default: pyinstaller==6.22.0)
#
# The build venv lives in build/packaging-venv-<cpu|cuda>/ and is reused by later builds.
set -euo pipefail
cd "$(dirname "$0")/.."

variant=cpu
for arg in "$@"; do
  case "$arg" in
    --cuda) variant=cuda ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument '$arg' (expected --cuda or --help)" >&2; exit 2 ;;
  esac
done

PYTHON=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
PYINSTALLER=${PYINSTALLER:-pyinstaller==6.22.0}
if [ "$variant" = cpu ]; then
  TORCH_INDEX=${TORCH_INDEX-https://download.pytorch.org/whl/cpu}
else
  TORCH_INDEX=${TORCH_INDEX-}
fi

started=$(date +%s)
mkdir -p build
exec 9> build/.packaging.lock
if ! flock -n 9; then
  echo "build.sh: another packaging build is running in this checkout (build/.packaging.lock)" >&2
  exit 1
fi
venv="build/packaging-venv-$variant"
if [ ! -x "$venv/bin/python" ]; then
  echo "== creating build venv $venv"
  "$PYTHON" -m venv --upgrade-deps "$venv"
fi
pip=("$venv/bin/python" -m pip --quiet)

echo "== installing $TORCH_SPEC ($variant)"
index_args=()
[ -n "$TORCH_INDEX" ] && index_args=(--extra-index-url "$TORCH_INDEX")
"${pip[@]}" install "${index_args[@]}" "$TORCH_SPEC"
cuda=$("$venv/bin/python" -W ignore -c 'import torch; print(torch.version.cuda or "")')
if [ "$variant" = cpu ] && [ -n "$cuda" ]; then
  echo "build.sh: a CUDA build of torch (CUDA $cuda) was installed for a CPU build; point TORCH_INDEX at an" \
       "index with CPU wheels, or pass --cuda" >&2
  exit 1
fi
if [ "$variant" = cuda ] && [ -z "$cuda" ]; then
  echo "build.sh: --cuda asked for, but a CPU-only torch was installed; set TORCH_SPEC/TORCH_INDEX to a CUDA" \
       "wheel, e.g. TORCH_SPEC='torch==2.13.0+cu128' TORCH_INDEX=https://download.pytorch.org/whl/cu128" >&2
  exit 1
fi

echo "== installing ModaLens and $PYINSTALLER"
"${pip[@]}" install "$PYINSTALLER" .

echo "== running PyInstaller"
rm -rf dist/ModaLens
"$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath dist --workpath "build/pyinstaller-$variant" packaging/modalens.spec
cp packaging/install-desktop-entry.sh dist/ModaLens/

echo "== checking the result"
QT_QPA_PLATFORM=offscreen dist/ModaLens/modalens --version
plugin=$(find dist/ModaLens/_internal -path '*plugins/multimedia/*' -name '*.so' | head -n 1)
if [ -z "$plugin" ]; then
  echo "build.sh: Qt's multimedia plugin is missing from dist/ModaLens" >&2
  exit 1
fi
echo "multimedia plugin: ${plugin#dist/ModaLens/}"
elapsed=$(( $(date +%s) - started ))
echo "== built dist/ModaLens ($(du -sh dist/ModaLens | cut -f1), torch $variant) in $((elapsed / 60)) min $((elapsed % 60)) s"
