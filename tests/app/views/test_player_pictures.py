"""Image and flow modalities (kinds shown as a picture) in the player, and play controls only for clips."""

import cv2
import numpy as np

from tests.app.views.helpers import make_dataset, session_with


def write_moving_square(path, count: int = 4, size: int = 96) -> None:
    """A clip of a bright square moving 3 pixels right per frame on black."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (size, size))
    for i in range(count):
        frame = np.zeros((size, size, 3), np.uint8)
        frame[16:32, 8 + 3 * i : 24 + 3 * i] = 255
        writer.write(frame)
    writer.release()


def test_image_and_flow_samples_are_shown_as_pictures(qtbot, make_player, tmp_path):
    dataset = make_dataset(2, root=tmp_path, modalities=["photo", "motion"],
                           kinds={"photo": "image", "motion": "flow"})
    rgb = np.zeros((30, 40, 3), np.uint8)
    rgb[:, :20] = (255, 0, 0)  # left half red, right half blue
    rgb[:, 20:] = (0, 0, 255)
    (tmp_path / "photo").mkdir()
    cv2.imwrite(str(tmp_path / "photo/0.png"), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    write_moving_square(tmp_path / "motion/0.mp4")
    session = session_with(dataset)
    player = make_player(session)

    session.set_current(0)
    qtbot.waitUntil(lambda: player.displayed_frame() is not None, timeout=30_000)
    assert player.video_choice.count() == 2 and player.video_choice.currentText() == "photo"
    assert np.array_equal(player.displayed_frame(), rgb)
    assert np.array_equal(player.image_item.image, rgb)
    assert not player.transport.isVisible()  # a still picture has nothing to play
    assert player.message_text() == ""

    player.video_choice.setCurrentText("motion")
    qtbot.waitUntil(lambda: player.displayed_frame() is not None, timeout=30_000)
    flow = player.displayed_frame()
    assert flow.shape == (96, 96, 3)
    assert flow[16:32, 8:28].max() > 100  # the moving square shows as motion
    assert flow[70:, 60:].max() < 30  # the still background far from it stays dark
    assert player.message_text() == ""


def test_a_missing_image_says_so(qtbot, make_player, tmp_path):
    dataset = make_dataset(1, root=tmp_path, modalities=["photo"], kinds={"photo": "image"})
    session = session_with(dataset)
    player = make_player(session)
    session.set_current(0)
    qtbot.waitUntil(lambda: player.message_text() != "", timeout=30_000)
    assert "photo/0.png" in player.message_text()


def test_vector_samples_show_no_play_controls(qtbot, make_player, tmp_path):
    dataset = make_dataset(1, root=tmp_path, modalities=["a", "b"])
    for m in ("a", "b"):
        (tmp_path / m).mkdir()
        np.save(tmp_path / f"{m}/0.npy", np.arange(5, dtype=np.float32))
    session = session_with(dataset)
    player = make_player(session)
    session.set_current(0)
    qtbot.waitUntil(lambda: player.vector_view.isVisible(), timeout=30_000)
    assert not player.transport.isVisible()


def test_every_player_a_kind_may_declare_has_a_display():
    from app.views.player import DISPLAYS
    from core.data.kinds.base import PLAYERS

    assert set(PLAYERS) == set(DISPLAYS)  # no display that no kind can reach


def test_the_display_comes_from_the_table(qtbot, make_player, tmp_path, monkeypatch):
    """A player the table lacks is a message, not a silent blank (the table decides, not the code)."""
    from app.views.player import DISPLAYS

    monkeypatch.delitem(DISPLAYS, "vector")
    dataset = make_dataset(1, root=tmp_path, modalities=["a"])
    (tmp_path / "a").mkdir()
    np.save(tmp_path / "a/0.npy", np.arange(5, dtype=np.float32))
    player = make_player(session_with(dataset))
    player.session.set_current(0)
    qtbot.waitUntil(lambda: player.message_text() != "", timeout=30_000)
    assert "no display for 'vector'" in player.message_text()
    assert not player.vector_view.isVisible()
