import numpy as np
import pytest

from app.views.frame_worker import MediaThread
from core.data.media import open_video
from tests.app.views.helpers import frame_number, make_dataset, session_with, write_tone, write_video

FRAMES = 10  # frames per test clip at 10 fps: 1 s


@pytest.fixture
def media_session(tmp_path):
    """Sample 0: good video + audio; 1: files missing; 2: corrupt files; 3: another good clip."""
    dataset = make_dataset(4, root=tmp_path)
    for index in (0, 3):
        write_video(tmp_path / f"video/{index}.mp4", count=FRAMES)
        write_tone(tmp_path / f"audio/{index}.wav", seconds=0.8)
    (tmp_path / "video/2.mp4").write_bytes(b"not a video at all" * 50)
    (tmp_path / "audio/2.wav").write_bytes(b"RIFF....garbage")
    return session_with(dataset)


def decoded(path, index: int) -> np.ndarray:
    with open_video(path) as clip:
        return clip.read(index)


def test_shows_the_first_frame_of_the_current_sample(qtbot, make_player, media_session, tmp_path):
    player = make_player(media_session)
    with qtbot.waitSignal(player.frame_shown, timeout=30_000) as shown:
        media_session.set_current(0)
    assert shown.args == [0]
    assert np.array_equal(player.displayed_frame(), decoded(tmp_path / "video/0.mp4", 0))
    assert np.array_equal(player.image_item.image, player.displayed_frame())
    qtbot.waitUntil(lambda: player.duration_s > 0, timeout=30_000)
    assert player.duration_s == pytest.approx(1.0)
    assert player.message_text() == ""


def test_scrubbing_quickly_ends_on_the_last_requested_frame(qtbot, make_player, media_session, tmp_path):
    player = make_player(media_session)
    with qtbot.waitSignal(player.frame_shown, timeout=30_000):
        media_session.set_current(0)
    qtbot.waitUntil(lambda: player.duration_s > 0, timeout=30_000)
    for seconds in np.linspace(0.0, 0.95, 60):  # no event processing in between: a burst of requests
        player.seek(float(seconds))
    qtbot.waitUntil(lambda: player.shown_frame_index == 9, timeout=30_000)
    qtbot.wait(50)  # nothing older may arrive afterwards
    assert player.shown_frame_index == 9
    assert frame_number(player.displayed_frame()) == 9
    assert np.array_equal(player.displayed_frame(), decoded(tmp_path / "video/0.mp4", 9))
    assert player.position_s == pytest.approx(0.95)


def test_worker_serves_only_the_latest_of_queued_requests(qtbot, media_session, tmp_path):
    media = MediaThread()
    got = []
    media.worker.frame_ready.connect(lambda request, path, index, image: got.append(index))
    path = str(tmp_path / "video/0.mp4")
    for index in range(8):  # queued before the thread runs: all but the last are stale
        media.worker.request_frame(1, path, index)
    try:
        media.ensure_started()
        qtbot.waitUntil(lambda: got == [7], timeout=30_000)
        qtbot.wait(50)
        assert got == [7]
    finally:
        media.stop()


def test_missing_and_corrupt_media_show_messages(qtbot, make_player, media_session, tmp_path):
    player = make_player(media_session)
    media_session.set_current(1)
    qtbot.waitUntil(lambda: player.message_text().count("\n") == 1, timeout=30_000)
    assert f"video file not found: {tmp_path / 'video/1.mp4'}" in player.message_text()
    assert f"audio file not found: {tmp_path / 'audio/1.wav'}" in player.message_text()
    assert player.message.isVisible()
    assert not player.play_button.isEnabled()

    media_session.set_current(2)
    qtbot.waitUntil(lambda: player.message_text().count("\n") == 1, timeout=30_000)
    assert "video file cannot be played" in player.message_text()
    assert "audio file cannot be played" in player.message_text()
    player.play()  # nothing to play: must not start the clock
    assert not player.playing

    with qtbot.waitSignal(player.frame_shown, timeout=30_000):
        media_session.set_current(3)  # a good sample afterwards plays normally
    assert player.message_text() == "" and not player.message.isVisible()


def test_silent_clock_advances_without_an_audio_device(qtbot, make_player, media_session):
    player = make_player(media_session)
    media_session.set_current(0)
    qtbot.waitUntil(lambda: player.duration_s > 0 and player._waveform is not None, timeout=30_000)
    assert "no audio output — silent playback" in player.audio_note_text()
    player.play()
    assert player.playing
    qtbot.waitUntil(lambda: player.position_s > 0.3, timeout=30_000)
    qtbot.waitUntil(lambda: player.shown_frame_index >= 3, timeout=30_000)  # frames follow the clock
    assert player.slider.value() > 0
    player.pause()
    stopped_at = player.position_s
    qtbot.wait(100)
    assert not player.playing and player.position_s == stopped_at


def test_playback_stops_at_the_end_or_loops(qtbot, make_player, media_session):
    player = make_player(media_session)
    media_session.set_current(0)
    qtbot.waitUntil(lambda: player.duration_s > 0, timeout=30_000)
    player.seek(0.85)
    player.play()
    qtbot.waitUntil(lambda: not player.playing, timeout=30_000)
    assert player.position_s == pytest.approx(player.duration_s)

    player.loop_box.setChecked(True)
    player.seek(0.85)
    player.play()
    qtbot.waitUntil(lambda: player.position_s < 0.5, timeout=30_000)  # wrapped round to the start
    assert player.playing
    player.pause()


def test_vector_modality_is_drawn_as_bars(qtbot, make_player, tmp_path):
    dataset = make_dataset(2, root=tmp_path, modalities=["audio", "text"])
    vector = np.array([0.5, -1.0, 2.0, 0.25])
    (tmp_path / "text").mkdir()
    np.save(tmp_path / "text/0.npy", vector)
    write_tone(tmp_path / "audio/0.wav")
    session = session_with(dataset)
    player = make_player(session)
    session.set_current(0)
    plots = list(player.vector_view.ci.items)
    assert len(plots) == 1
    bars = [item for item in plots[0].items if type(item).__name__ == "BarGraphItem"]
    assert len(bars) == 1 and np.allclose(bars[0].opts["height"], vector)
    assert not player.video_view.isVisible()

    session.set_current(1)  # its vector file is missing
    assert "text vector file not found" in player.message_text()


def test_hidden_player_loads_nothing_until_shown(qtbot, media_session):
    from app.views.player import SamplePlayer

    player = SamplePlayer(media_session)
    qtbot.addWidget(player)
    try:
        media_session.set_current(0)
        qtbot.wait(50)
        assert not player._media.running and player.shown_frame_index == -1
        with qtbot.waitSignal(player.frame_shown, timeout=30_000):
            player.show()
        assert frame_number(player.displayed_frame()) == 0
    finally:
        player.shutdown()
    assert not player._media.running


def test_pointing_the_session_at_a_moved_media_folder_reloads(qtbot, make_player, media_session, tmp_path):
    player = make_player(media_session)
    media_session.set_current(1)  # its files are missing
    qtbot.waitUntil(lambda: "video file not found" in player.message_text(), timeout=30_000)
    moved = tmp_path / "moved"
    write_video(moved / "video/1.mp4", count=FRAMES)
    write_tone(moved / "audio/1.wav")
    with qtbot.waitSignal(player.frame_shown, timeout=30_000):
        media_session.set_media_root(moved)
    qtbot.waitUntil(lambda: player.duration_s > 0, timeout=30_000)
    assert player.message_text() == ""


def test_reselecting_the_same_sample_keeps_its_video_playable(qtbot, make_player, media_session):
    player = make_player(media_session)
    with qtbot.waitSignal(player.frame_shown, timeout=30_000):
        media_session.set_current(0)
    qtbot.waitUntil(lambda: player.duration_s == pytest.approx(1.0), timeout=30_000)
    media_session.set_current(-1)
    with qtbot.waitSignal(player.frame_shown, timeout=30_000):
        media_session.set_current(0)
    qtbot.waitUntil(lambda: player.duration_s == pytest.approx(1.0), timeout=30_000)  # video length known again
    player.seek(0.95)
    qtbot.waitUntil(lambda: player.shown_frame_index == 9, timeout=30_000)


def test_a_clip_shorter_than_it_claims_gets_its_real_length_when_played_into(qtbot, make_player, tmp_path):
    from tests.data import helpers as clips

    dataset = make_dataset(4, root=tmp_path, modalities=["video"])
    dataset.media["video"][0] = "video/0.mkv"
    path = clips.write_video(tmp_path / "video/0.mkv", clips.numbered_frames(12))  # Motion-JPEG, 10 fps
    clips.spoil_last_frames(path, 4)  # the container lists 12 frames, 8 decode
    player = make_player(session_with(dataset))
    with qtbot.waitSignal(player.frame_shown, timeout=30_000):
        player.session.set_current(0)
    assert player.duration_s == pytest.approx(1.2)  # what the container says: not decoded to the end yet
    player.seek(1.15)  # frame 11: does not decode
    qtbot.waitUntil(lambda: player.duration_s == pytest.approx(0.8), timeout=30_000)
    qtbot.waitUntil(lambda: player.shown_frame_index == 7, timeout=30_000)
    assert clips.frame_number(player.displayed_frame()) == 7 and player.message_text() == ""
    assert player.position_s == pytest.approx(0.8)  # the position moved back inside the clip
