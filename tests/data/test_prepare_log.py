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
