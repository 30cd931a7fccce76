"""``--recipe`` and ``--preset`` on the command line: listed in the help, stored in the run's config."""

from pathlib import Path

import pytest

from core.cli import train
from core.cli.main import build_parser, main
from core.config import RunConfig
from core.presets import PRESETS


def test_train_help_lists_recipes_and_presets(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    assert "--recipe" in text and "--preset" in text
    assert "ogm-ge-cremad" in text and "kinetics-fbank" in text and "ave-mcr" in text


def test_a_preset_sets_recipe_encoders_and_optimiser_and_flags_override_it():
    args = build_parser("train").parse_args(
        [
            "train",
            "--data",
            "D",
            "--preset",
            "ogm-ge-cremad",
            "--recipe",
            "vggsound",
            "--set",
            "data.video.frames=1",
        ]
    )
    config = train.build_config(args)
    assert config.preset == "ogm-ge-cremad" and config.data.recipe == "vggsound"
    assert config.data.audio.n_fft == 256 and config.data.video.frames == 1 and Path(config.data.path) == Path.cwd() / "D"
    assert config.model.kind_encoders == {"audio": "resnet18-audio", "video": "resnet18-video"}
    assert (config.optim.optimizer, config.optim.lr, config.optim.batch_size) == ("sgd", 1e-3, 64)
    assert (config.optim.lr_step_epochs, config.optim.lr_gamma, config.model.feature_dim) == (70, 0.1, 512)
    assert RunConfig.from_toml(config.to_toml()) == config
    mcr = PRESETS.get("ave-mcr").apply(RunConfig())
    assert (mcr.optim.optimizer, mcr.optim.batch_size, mcr.data.window_columns) == (
        "adam",
        32,
        ["start_s", "end_s"],
    )


def test_recipe_and_preset_land_in_the_saved_config(tmp_path):
    assert main(["demo", "--out", str(tmp_path / "D"), "--samples", "12"]) == 0
    code = main(
        [
            "train",
            "--data",
            str(tmp_path / "D"),
            "--preset",
            "ave-mcr",
            "--recipe",
            "small",
            "--epochs",
            "1",
            "--device",
            "cpu",
            "--out",
            str(tmp_path / "R"),
            "--set",
            "model.kind_encoders={}",
            "--set",
            "model.feature_dim=8",
        ]
    )
    assert code == 0
    saved = RunConfig.load(tmp_path / "R" / "config.toml")
    assert saved.preset == "ave-mcr" and saved.data.recipe == "small" and saved.optim.optimizer == "adam"
    assert 'recipe = "small"' in (tmp_path / "R" / "config.toml").read_text()
