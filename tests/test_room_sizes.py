"""No source file of core/ or app/ grows past MAX_LINES: a module that does is split along its seams."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 600


def oversized(root: Path, limit: int = MAX_LINES) -> list[str]:
    """'path: N lines' for each .py file under core/ and app/ of ``root`` longer than ``limit`` lines."""
    found = []
    for package in ("core", "app"):
        for path in sorted((root / package).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > limit:
                found.append(f"{path.relative_to(root)}: {lines} lines")
    return found


def test_no_source_file_exceeds_the_limit():
    assert oversized(ROOT) == [], f"split these (over {MAX_LINES} lines)"


def test_an_oversized_file_is_reported(tmp_path):
    (tmp_path / "core" / "deep").mkdir(parents=True)
    (tmp_path / "app").mkdir()
    (tmp_path / "core" / "deep" / "big.py").write_text("x = 1\n" * (MAX_LINES + 1), encoding="utf-8")
    (tmp_path / "app" / "small.py").write_text("x = 1\n" * MAX_LINES, encoding="utf-8")
    assert oversized(tmp_path) == [f"{Path('core/deep/big.py')}: {MAX_LINES + 1} lines"]
