"""What a report records about the run's software, machine and configuration."""

from __future__ import annotations

import importlib.metadata
import platform
import socket
import tomllib
from typing import Any

import h5py

from core.config import ConfigError, RunConfig

DISTRIBUTIONS = {
    "torch": ("torch",),
    "pyside6": ("PySide6", "PySide6-Essentials"),
    "numpy": ("numpy",),
    "h5py": ("h5py",),
    "opencv": ("opencv-python-headless", "opencv-python", "opencv-contrib-python-headless", "opencv-contrib-python"),
}


def package_version(names: tuple[str, ...]) -> str:
    """Installed version of the first distribution found among ``names`` ("" if none), without importing it."""
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return ""


def collect_environment(device: str, git_commit: str | None) -> dict[str, str]:
    """Python and library versions, device, git commit (if given), host name and platform."""
    info = {"python": platform.python_version()}
    info.update({key: package_version(names) for key, names in DISTRIBUTIONS.items()})
    info["hdf5"] = h5py.version.hdf5_version
    info["device"] = device
    info["git_commit"] = git_commit or ""
    info["hostname"] = socket.gethostname()
    info["platform"] = platform.platform()
    return info


def config_values(toml_text: str) -> dict[str, Any]:
    """Flat ``section.key`` -> value of a run config, defaults included when it parses as a RunConfig."""
    try:
        data = RunConfig.from_toml(toml_text).to_dict()
    except ConfigError:
        try:
            data = tomllib.loads(toml_text)
        except tomllib.TOMLDecodeError:
            return {}
    flat: dict[str, Any] = {}
    _flatten(data, "", flat)
    return flat


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(item, f"{prefix}{key}.", out)
    elif value is not None:
        out[prefix[:-1]] = value
