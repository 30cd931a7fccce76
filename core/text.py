"""Small wording helpers shared by the command line, the report tools and the window."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """"1 epoch", "2 epochs", "0 epochs" (``many``: the plural when it is not ``noun`` + "s")."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"


def format_seconds(seconds: float | None) -> str:
    """A duration as "mm:ss" or "h:mm:ss" ("--:--" when unknown)."""
    if seconds is None:
        return "--:--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"
