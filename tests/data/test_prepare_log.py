"""What data preparation says: the data described once per process, even when a rank first builds its share."""

from core.config import DataConfig
from core.data.prepare import build_store, prepare_dataset
from core.demo import generate_demo


def test_a_rank_describes_the_data_once(tmp_path):
    data = generate_demo(tmp_path / "vectors", preset="vectors", samples=40, seed=0)
    config = DataConfig(path=str(data), workers=1)
    lines: list[str] = []
    build_store(config, (0, 2), log=lines.append)
    prepare_dataset(config, log=lines.append)
    assert sum("usable row" in line for line in lines) == 1, lines


def test_the_time_left_is_said_after_the_first_files(tmp_path, monkeypatch):
    import core.data.prepare as prepare

    monkeypatch.setattr(prepare, "PROGRESS_INTERVAL_S", 1e9)  # only the first estimate and the end
    data = generate_demo(tmp_path / "vectors", preset="vectors", samples=40, seed=0)
    lines: list[str] = []
    prepare_dataset(DataConfig(path=str(data), workers=1), log=lines.append)
    estimates = [line for line in lines if line.startswith("decoded ") and " left" in line]
    assert estimates[0].startswith("decoded 2/80 file(s)"), lines
    assert estimates[-1].startswith("decoded 80/80 file(s)") and len(estimates) == 2
