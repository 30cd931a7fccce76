"""The flow kind: Farneback flow of a moving pattern, precomputed u/v images read back, the manifest's
flow columns, and a training run on video + flow."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from core.cli.main import main
from core.config import DataConfig
from core.data.decode import preprocess_sample, preprocessing_params
from core.data.kinds.flow_decoder import farneback, flow_image_pairs
from core.data.manifest import load_manifest
from core.data.prepare import prepare_dataset
from core.report.reader import open_report
from tests.data.helpers import write_manifest, write_video

SIZE = (48, 64)  # height, width
SQUARE = 20  # side of the moving textured square
STEP = 2  # pixels per frame, to the right


def _texture() -> np.ndarray:
    noise = np.random.default_rng(0).integers(0, 256, (SQUARE, SQUARE), dtype=np.uint8)
    return cv2.GaussianBlur(noise, (3, 3), 0)


def _frame(left: int) -> np.ndarray:
    frame = np.zeros(SIZE, np.uint8)
    frame[14 : 14 + SQUARE, left : left + SQUARE] = _texture()
    return frame


def _inside(left: int) -> tuple[slice, slice]:
    """The square's interior (4 pixels in from its edges) when its left edge is at ``left``."""
    return slice(18, 14 + SQUARE - 4), slice(left + 4, left + SQUARE - 4)


def _write_square_video(path: Path, frames: int = 12) -> Path:
    return write_video(path, [cv2.cvtColor(_frame(4 + STEP * i), cv2.COLOR_GRAY2BGR) for i in range(frames)])


def _config(frames: int = 3) -> DataConfig:
    config = DataConfig()
    config.video.frames, (config.video.height, config.video.width) = frames, SIZE
    return config


def test_farneback_of_a_square_moving_right_is_plus_two_pixels_in_x():
    flow = farneback(_frame(10), _frame(10 + STEP))
    rows, cols = _inside(10)
    assert flow.shape == (*SIZE, 2) and flow.dtype == np.float32
    assert flow[rows, cols, 0].mean() == pytest.approx(STEP, abs=0.1)
    assert abs(flow[rows, cols, 1].mean()) < 0.1
    backwards = farneback(_frame(10 + STEP), _frame(10))
    assert backwards[rows, slice(10 + STEP + 4, 10 + STEP + SQUARE - 4), 0].mean() == pytest.approx(-STEP, abs=0.1)


def test_flow_computed_from_a_video_at_evenly_spaced_frames(tmp_path):
    video = _write_square_video(tmp_path / "square.avi")
    flow = preprocess_sample("flow", video, _config(3))
    assert flow.shape == (3, 2, *SIZE) and flow.dtype == np.float32
    for t, position in enumerate((2, 6, 10)):  # centres of 3 equal segments of 12 frames
        rows, cols = _inside(4 + STEP * position)
        assert flow[t, 0, rows, cols].mean() == pytest.approx(STEP, abs=0.25)  # MJPG blurs the texture a bit
        assert abs(flow[t, 1, rows, cols].mean()) < 0.25
    tight = _config(3)
    tight.flow.bound = 1.0
    assert preprocess_sample("flow", video, tight).max() == pytest.approx(1.0)  # clipped at the bound
    assert preprocessing_params("flow", tight) == {"frames": 3, "height": 48, "width": 64, "bound": 1.0}


def _encode(values: np.ndarray, bound: float = 20.0) -> np.ndarray:
    """Flow in pixels as the extraction tools store it: round(255 (v + bound) / (2 bound))."""
    return np.round(255 * (np.clip(values, -bound, bound) + bound) / (2 * bound)).astype(np.uint8)


def _field(index: int) -> tuple[np.ndarray, np.ndarray]:
    """A smooth known flow: u a ramp from -15 to +15 across x, v = index - 3 everywhere."""
    u = np.tile(np.linspace(-15, 15, SIZE[1], dtype=np.float32), (SIZE[0], 1))
    return u, np.full(SIZE, index - 3.0, np.float32)


def _write_flow_images(x_paths: list[Path], y_paths: list[Path], bound: float = 20.0) -> None:
    for index, (x_path, y_path) in enumerate(zip(x_paths, y_paths)):
        u, v = _field(index)
        for path, values in ((x_path, u), (y_path, v)):
            path.parent.mkdir(parents=True, exist_ok=True)
            assert cv2.imwrite(str(path), _encode(values, bound), [cv2.IMWRITE_JPEG_QUALITY, 95])


@pytest.mark.parametrize("layout", ["xy", "uv"])
def test_precomputed_flow_images_are_read_back_in_pixels(tmp_path, layout):
    names = [f"{i:05d}" for i in range(1, 7)]
    if layout == "xy":
        folder = tmp_path / "v_clip"
        xs = [folder / f"flow_x_{n}.jpg" for n in names]
        ys = [folder / f"flow_y_{n}.jpg" for n in names]
    else:
        folder = tmp_path / "tvl1_flow" / "u" / "v_clip"
        xs = [folder / f"frame0{n}.jpg" for n in names]
        ys = [tmp_path / "tvl1_flow" / "v" / "v_clip" / f"frame0{n}.jpg" for n in names]
    _write_flow_images(xs, ys)
    if layout == "xy":
        (folder / "img_00001.jpg").write_bytes(b"")  # the RGB frames these tools write beside the flow
    assert flow_image_pairs(folder) == list(zip(xs, ys))
    flow = preprocess_sample("flow", folder, _config(3))
    assert flow.shape == (3, 2, *SIZE) and flow.dtype == np.float32
    for t, index in enumerate((1, 3, 5)):  # centres of 3 equal segments of 6 pairs
        u, v = _field(index)
        np.testing.assert_allclose(flow[t, 0], u, atol=0.4)  # a JPEG level is 40 / 255 = 0.16 px
        np.testing.assert_allclose(flow[t, 1], v, atol=0.4)


def test_another_bound_maps_the_same_images_to_other_pixels(tmp_path):
    folder = tmp_path / "c"
    _write_flow_images([folder / "flow_x_1.jpg"], [folder / "flow_y_1.jpg"], bound=10.0)
    config = _config(1)
    config.flow.bound = 10.0
    flow = preprocess_sample("flow", folder, config)
    u, v = _field(0)
    np.testing.assert_allclose(flow[0, 0], np.clip(u, -10, 10), atol=0.25)
    np.testing.assert_allclose(flow[0, 1], v, atol=0.25)


def _flow_dataset(root: Path, samples: int = 4) -> list[list[str]]:
    """Clips of a square moving right (label r) or left (label l): rgb video, flow folder or video."""
    rows = []
    for i in range(samples):
        clip = f"clips/c{i}.avi"
        _write_square_video(root / clip, 6)
        rows.append([f"c{i}", "rl"[i % 2], ("train", "train", "val", "test")[i % 4], clip])
    return rows


def test_the_manifest_takes_flow_columns_from_dataset_toml_or_the_header(tmp_path):
    rows = _flow_dataset(tmp_path)
    for i, row in enumerate(rows):
        folder = f"flows/u/c{i}"
        _write_flow_images([tmp_path / folder / "frame1.jpg"], [tmp_path / f"flows/v/c{i}/frame1.jpg"])
        row += [folder, row[3], row[3]]
    write_manifest(tmp_path, ["id", "label", "split", "rgb", "motion", "flow", "again"], rows)
    undeclared = load_manifest(tmp_path)
    assert undeclared.samples.modality_kinds == {"rgb": "video", "flow": "flow", "again": "video"}
    assert list(undeclared.samples.metadata) == ["motion"]  # a column of folders is media only when declared
    (tmp_path / "dataset.toml").write_text('[kinds]\nmotion = "flow"\n')
    manifest = load_manifest(tmp_path)
    assert manifest.samples.modality_kinds == {"rgb": "video", "motion": "flow", "flow": "flow", "again": "video"}
    assert manifest.excluded == []


def test_a_flow_folder_leading_outside_the_dataset_leaves_its_row_out(tmp_path):
    root, elsewhere = tmp_path / "d", tmp_path / "elsewhere"
    rows = _flow_dataset(root, 4)
    for i, row in enumerate(rows):
        _write_flow_images([root / f"f/u/c{i}/1.jpg"], [elsewhere / f"v/c{i}/1.jpg"])
        (root / "f" / "v").mkdir(exist_ok=True)
        row.append(f"f/u/c{i}")
    (root / "f" / "v" / "c0").symlink_to(elsewhere / "v" / "c0")  # v of c0 resolves outside
    (root / "f" / "v" / "c1").mkdir()  # c1 has a v folder, but no v images
    (root / "dataset.toml").write_text('[kinds]\nflow = "flow"\n')
    rows[2][4] = "f/u/missing"
    rows[3][4] = "sounds/c3.wav"
    write_manifest(root, ["id", "label", "split", "rgb", "flow"], rows)
    manifest = load_manifest(root)
    reasons = {e.sample_id: e.reason for e in manifest.excluded}
    assert set(reasons) == {"c0", "c2", "c3"}
    assert "f/v/c0" in reasons["c0"] and "leads outside the dataset" in reasons["c0"]
    assert reasons["c2"] == "folder 'f/u/missing' not found"
    assert reasons["c3"].endswith("is an audio file, column 'flow' holds video files or folders")
    data_config = DataConfig(path=str(root), modalities=["flow"])
    with pytest.raises(ValueError, match="no usable sample left"):
        prepare_dataset(data_config)  # c1 fails to decode: its u image has no v image


def test_train_one_epoch_on_video_and_flow(tmp_path, capsys):
    data = tmp_path / "data"
    rows = _flow_dataset(data, 8)
    for i, row in enumerate(rows):
        folder = f"flow/c{i}"
        names = [f"flow_{axis}_{n:05d}.jpg" for n in (1, 2) for axis in "xy"]
        _write_flow_images([data / folder / n for n in names[::2]], [data / folder / n for n in names[1::2]])
        row.append(folder if i % 2 else row[3])  # precomputed folders and videos mixed in one column
    write_manifest(data, ["id", "label", "split", "rgb", "flow"], rows)
    (data / "dataset.toml").write_text('[kinds]\nflow = "flow"\n')
    prepared = prepare_dataset(_config_for(data))
    assert prepared.samples.modality_kinds == {"rgb": "video", "flow": "flow"}
    assert prepared.arrays["flow"].shape == (8, 2, 2, 24, 24) and prepared.arrays["flow"].dtype == np.float32
    args = ["train", "--data", str(data), "--epochs", "1", "--out", str(tmp_path / "R"), "--device", "cpu"]
    settings = ["optim.batch_size=4", "data.video.frames=2", "data.video.height=24", "data.video.width=24"]
    code = main([*args, *(part for s in settings for part in ("--set", s))])
    assert code == 0, capsys.readouterr().err[-2000:]
    with open_report(tmp_path / "R" / "report.h5") as report:
        assert report.dataset.modality_kinds == {"rgb": "video", "flow": "flow"}


def _config_for(data: Path) -> DataConfig:
    config = DataConfig(path=str(data))
    config.video.frames, config.video.height, config.video.width = 2, 24, 24
    return config
