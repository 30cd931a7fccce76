"""What this user's installation trusts, kept in the user's config folder (never in a dataset folder):

- ``store.key``: a random per-user secret; every record of the decoded-tensor store carries a keyed
  checksum made with it, so records written by anyone else (a cache shipped with a dataset) are ignored;
- ``media-roots.json``: per dataset folder, the folders outside it that the user approved reading media
  from (recorded by ``modalens import`` and by ``--media-root DIR``).

The config folder is ``$MODALENS_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/modalens``, else
``~/.config/modalens``. A media root is never ``/``, the home folder itself or a system folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path

from core.atomic import atomic_write

KEY_NAME = "store.key"
APPROVALS_NAME = "media-roots.json"
KEY_BYTES = 32
SYSTEM_FOLDERS = (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/root", "/sbin",
    "/sys", "/usr", "/var/lib", "/var/log", "/System", "/private/etc",
)
_PRIVATE_HOME_FOLDERS = (".ssh", ".gnupg", ".config", ".local/share/keyrings", ".aws", ".kube")

_key_cache: dict[Path, bytes] = {}


class MediaRootError(ValueError):
    """A folder that can never be a media root (``/``, a system folder); the message says which."""


def config_home() -> Path:
    """ModaLens's per-user config folder (see the module docstring)."""
    explicit = os.environ.get("MODALENS_CONFIG_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg and Path(xdg).expanduser().is_absolute() else Path.home() / ".config"
    return base / "modalens"


def store_key() -> bytes:
    """This user's store secret, created (mode 0600) on first use; ``OSError`` if it cannot be made."""
    folder = config_home()
    cached = _key_cache.get(folder)
    if cached is not None:
        return cached
    path = folder / KEY_NAME
    key = _read_key(path)
    if key is None:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{KEY_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, secrets.token_bytes(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            with contextlib.suppress(FileExistsError):  # another process made it first: use theirs
                os.link(temporary, path)
        finally:
            temporary.unlink(missing_ok=True)
        key = _read_key(path)
        if key is None:
            raise OSError(f"{path}: not a {KEY_BYTES}-byte key file; delete it to make a new one")
    _key_cache[folder] = key
    return key


def _read_key(path: Path) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    try:
        data = os.read(fd, KEY_BYTES + 1)
    finally:
        os.close(fd)
    return data if len(data) == KEY_BYTES else None


def check_media_root(folder: str | Path) -> Path:
    """``folder`` resolved, or ``MediaRootError`` when it is ``/``, the home folder, a system folder or
    a private folder of the home (``~/.ssh``, ``~/.config``, ...)."""
    resolved = Path(folder).expanduser().resolve()
    home = Path.home().resolve()
    forbidden = [Path(p) for p in SYSTEM_FOLDERS] + [home / p for p in _PRIVATE_HOME_FOLDERS]
    if resolved == Path(resolved.anchor) or resolved == home:
        raise MediaRootError(f"{resolved} cannot be a media root: choose the folder that holds the media")
    for system in forbidden:
        if resolved == system or resolved.is_relative_to(system):
            raise MediaRootError(f"{resolved} cannot be a media root: it is inside {system}, a system or "
                                 "private folder")
    return resolved


def approved_media_roots(dataset: str | Path) -> list[Path]:
    """The media roots the user approved for the dataset folder (resolved), in approval order."""
    key = str(Path(dataset).resolve())
    roots = []
    for raw in _read_approvals().get(key, []):
        with contextlib.suppress(MediaRootError):
            roots.append(check_media_root(raw))
    return roots


def approve_media_root(dataset: str | Path, folder: str | Path) -> Path:
    """Remember that the dataset folder may read media below ``folder`` (``MediaRootError`` for a
    folder that can never be one); returns the resolved folder."""
    root = check_media_root(folder)
    if not root.is_dir():
        raise ValueError(f"--media-root {folder}: not a folder")
    key = str(Path(dataset).resolve())
    approvals = _read_approvals()
    known = approvals.setdefault(key, [])
    if str(root) not in known:
        known.append(str(root))
        path = config_home() / APPROVALS_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path, "w", encoding="utf-8") as handle:
            json.dump(approvals, handle, indent=1, sort_keys=True)
    return root


def _read_approvals() -> dict[str, list[str]]:
    path = config_home() / APPROVALS_NAME
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read the approved media roots ({exc}); delete the file to start "
                         "again") from None
    if not isinstance(table, dict):
        return {}
    return {str(k): [str(v) for v in vs] for k, vs in table.items() if isinstance(vs, list)}
