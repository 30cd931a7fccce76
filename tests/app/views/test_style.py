import pytest
from PySide6.QtGui import QColor

from app.style import (
    AUDIO_COLOR,
    VIDEO_COLOR,
    correctness_color,
    modality_color,
    modality_colors,
)


def test_audio_and_video_have_fixed_colours_whatever_the_dataset():
    assert modality_color("audio") == QColor(AUDIO_COLOR)
    assert modality_color("Video", ["depth", "Video"]) == QColor(VIDEO_COLOR)
    assert modality_color("audio", ["text", "audio"]) == modality_color("audio", ["audio"])


def test_other_modalities_get_distinct_palette_colours_by_position():
    modalities = ["audio", "video", "text", "depth", "imu"]
    colours = [c.name() for c in modality_colors(modalities)]
    assert len(set(colours)) == len(colours)
    assert modality_color("text", modalities) == modality_color(0)
    assert modality_color("depth", modalities) == modality_color(1)
    assert modality_color("unlisted") == modality_color("unlisted")  # stable without a list


def test_index_wraps_and_bad_argument_is_rejected():
    assert modality_color(0) == modality_color(6)
    with pytest.raises(TypeError, match="modality name or index"):
        modality_color(1.5)


def test_right_and_wrong_colours_differ():
    assert correctness_color(True) != correctness_color(False)
