"""packaging/render_icons.py renders every size, and the committed PNGs are current with the SVG."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from resources import APP_ID, ICON_SIZES, icon_path
from tests.packaging.conftest import REPO

pytest.importorskip("PySide6.QtSvg", reason="PySide6 with QtSvg is needed to render the icon")


def load_script():
    spec = importlib.util.spec_from_file_location("render_icons", REPO / "packaging" / "render_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pixels(path) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGBA8888)
    assert not image.isNull(), f"{path} could not be read"
    return np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.width(), 4).astype(int)


def test_rendered_icons_match_the_committed_pngs(tmp_path):
    written = load_script().render_icons(icon_path(), tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [
        f"{size}x{size}/apps/{APP_ID}.png" for size in ICON_SIZES
    ]
    for size, path in zip(ICON_SIZES, written, strict=True):
        fresh, committed = pixels(path), pixels(icon_path(size))
        assert fresh.shape == committed.shape == (size, size, 4)
        # Qt versions may anti-alias a little differently; an edited SVG changes far more than this.
        assert np.abs(fresh - committed).mean() < 2.0, f"{size} px icon is stale: run packaging/render_icons.py"
        assert committed[..., 3].max() == 255 and committed[0, 0, 3] == 0  # opaque tile, transparent corner


def test_render_refuses_a_file_that_is_not_svg(tmp_path):
    bogus = tmp_path / "icon.svg"
    bogus.write_text("not svg at all")
    with pytest.raises(ValueError, match="not a valid SVG"):
        load_script().render_icons(bogus, tmp_path / "out", sizes=(16,))
