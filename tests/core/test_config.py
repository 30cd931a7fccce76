import re

import pytest

from core.config import ConfigError, RunConfig


def test_round_trip_through_toml(tmp_path):
    config = RunConfig()
    config.optim.lr = 3e-4
    config.strategy.name = "mcr"
    config.strategy.params = {"game": "greedy", "permutations": 16}
    config.data.modalities = ["audio", "video"]
    path = tmp_path / "run.toml"
    config.save(path)
    assert RunConfig.load(path) == config


def test_overrides_parse_types():
    config = RunConfig().with_overrides(["optim.lr=0.01", "strategy.params.alpha=0.5", "runtime.device=cpu"])
    assert (
        config.optim.lr == 0.01
        and config.strategy.params == {"alpha": 0.5}
        and config.runtime.device == "cpu"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("[optim]\nlrr = 1\n", "config.optim: unknown key(s) lrr"),
        ("[optim]\nepochs = 'ten'\n", "config.optim.epochs: expected int"),
        ("optim = 3\n", "config.optim: expected a table"),
        ("[optim\n", "not valid TOML"),
    ],
)
def test_bad_config_names_the_key(text, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        RunConfig.from_toml(text)


@pytest.mark.parametrize(
    "assignment, key",
    [
        ("optim.epochs=0", "optim.epochs"),
        ("optim.epochs=-1", "optim.epochs"),
        ("optim.batch_size=0", "optim.batch_size"),
        ("optim.lr=0", "optim.lr"),
        ("optim.lr=-1e-3", "optim.lr"),
        ("optim.lr=inf", "optim.lr"),
        ("optim.lr=nan", "optim.lr"),
        ("optim.optimizer='adagrad'", "optim.optimizer"),
        ("optim.nonfinite_loss='ignore'", "optim.nonfinite_loss"),
        ("runtime.num_workers=-1", "runtime.num_workers"),
        ("runtime.seed=-1", "runtime.seed"),
        (f"runtime.seed={2**32}", "runtime.seed"),
        ("model.feature_dim=0", "model.feature_dim"),
        ("valuation.splits=['train', 'validation']", "valuation.splits"),
        ("valuation.splits=['train', 'train']", "valuation.splits"),
        ("valuation.absence='zero'", "valuation.absence"),
        ("data.video.frames=0", "data.video.frames"),
    ],
)
def test_values_outside_their_domain_name_the_key(assignment, key):
    typed = re.escape(f"(from --set {assignment})")  # the key as the user typed it, no "config." before it
    with pytest.raises(ConfigError, match=rf"^{key}: expected .*, got .* {typed}$"):
        RunConfig().with_overrides([assignment])
    section, _, name = key.rpartition(".")
    text = f"[{section}]\n{name} = {assignment.partition('=')[2]}\n"
    with pytest.raises(ConfigError, match=rf"^run\.toml\.{key}: expected "):
        RunConfig.from_toml(text, "run.toml")


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("optim.lrr=1", "--set optim.lrr=1: unknown key optim.lrr (did you mean 'optim.lr'?); keys of optim: "),
        ("optimm.lr=1", "--set optimm.lr=1: unknown key optimm (did you mean 'optim'?); keys at the top: data, "),
        ("data.video.frams=2", "unknown key data.video.frams (did you mean 'data.video.frames'?)"),
        ("optim.lr.x=1", "--set 'optim.lr.x=1': 'lr' is not a section"),
    ],
)
def test_unknown_override_keys_name_the_key_typed_and_the_closest(assignment, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        RunConfig().with_overrides([assignment])
    assert RunConfig().with_overrides(["model.encoders.anything='mlp'"]).model.encoders == {"anything": "mlp"}


def test_pretrained_weights_need_an_encoder_that_takes_them():
    with pytest.raises(ConfigError, match=r"^model\.pretrained: .*\(resnet18-flow or resnet18-video, in model\.enc"):
        RunConfig().with_overrides(["model.pretrained='imagenet'"])
    config = RunConfig().with_overrides(["model.kind_encoders.video='resnet18-video'", "model.pretrained='imagenet'"])
    assert config.model.pretrained == "imagenet"


def test_values_at_the_edges_of_their_domain_are_accepted():
    config = RunConfig().with_overrides(
        [
            "optim.epochs=1",
            "optim.lr=1e-12",
            f"runtime.seed={2**32 - 1}",
            "runtime.num_workers=0",
            "runtime.log_every_steps=0",
            "optim.nonfinite_loss='skip'",
            "valuation.splits=['train', 'val', 'test']",
            "valuation.splits=[]",
        ]
    )
    assert config.runtime.seed == 2**32 - 1 and config.valuation.splits == []


def test_validate_checks_a_config_changed_in_place():
    config = RunConfig()
    assert config.validate() is config
    config.optim.epochs = 0  # as a form or a script would set it
    with pytest.raises(ConfigError, match=r"^config\.optim\.epochs: expected an integer >= 1, got 0$"):
        config.validate()


def test_load_takes_relative_paths_from_the_files_folder(tmp_path):
    folder = tmp_path / "configs"
    folder.mkdir()
    path = folder / "run.toml"
    path.write_text('[data]\npath = "data/x"\ncache_dir = ""\n[model]\ninit_encoders_from = "/abs/best.pt"\n')
    config = RunConfig.load(path)
    assert config.data.path == str((folder / "data" / "x").resolve())
    assert config.data.cache_dir == ""  # empty means unset, not the folder
    assert config.model.init_encoders_from == "/abs/best.pt"
