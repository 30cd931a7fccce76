"""Typed run configuration that round-trips to TOML and is stored with every run and report."""

from __future__ import annotations

import dataclasses
import math
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from core.recipes import RECIPES, under_recipe


class ConfigError(ValueError):
    """A configuration value or file is invalid; the message names the key."""


SPLITS = ("train", "val", "test")
OPTIMIZERS = ("adam", "adamw", "sgd")
LR_SCHEDULES = ("cosine", "constant")
NONFINITE_LOSS = ("stop", "skip")
ABSENCE = ("feature", "input")
MAX_SEED = 2**32 - 1
PATH_KEYS = (("data", "path"), ("data", "cache_dir"), ("model", "init_encoders_from"))
"""Keys holding a file or folder; in a config file, a relative one is relative to the file's folder
(elsewhere a relative ``data.cache_dir`` is relative to the dataset folder, see ``cache_folder``)."""
PRETRAINED_ENCODERS = {"resnet18-video", "resnet18-flow"}
"""The encoders ``model.pretrained`` loads weights into (core.models.encoders.pretrained)."""
FRAME_NORMS = ("unit", "imagenet")
"""The values of ``VideoConfig.normalize`` (and of the visual encoders' ``frame_norm``)."""


@dataclass
class VideoConfig:
    """How video clips are decoded: ``frames`` evenly spaced frames, resized to height × width, RGB.

    ``normalize`` is applied to the cached frames when batches are built: ``"unit"`` leaves the uint8
    frames to the encoders (which scale them to [-1, 1]), ``"imagenet"`` gives float frames
    ``(x / 255 - mean) / std`` with the ImageNet channel statistics (see docs/recipes.md).
    """

    frames: int = 4
    height: int = 48
    width: int = 48
    normalize: str = "unit"


@dataclass
class AudioConfig:
    """How audio is decoded and turned into a time-frequency array ``[F, S]`` (see docs/recipes.md).

    The waveform is mono, resampled to ``sample_rate``, repeated end to end (``tile``) or only cut to
    ``duration_s``, optionally clipped to [-1, 1] (``clip``) and centred (``remove_mean``). ``transform``:
    ``"stft"`` log(|STFT| + log_offset) with centred frames padded by ``pad_mode``; ``"spectrogram"``
    log(periodogram + log_offset) of Tukey-windowed segments of ``n_fft`` samples every ``hop_length``
    (scipy's ``signal.spectrogram`` defaults); ``"fbank"`` Kaldi log-mel filterbank of ``n_mels`` bins over
    windows of ``n_fft`` samples every ``hop_length``. ``frames > 0`` pads (zeros) or cuts the time axis
    to that many frames; the result is then ``(x - norm_mean) / norm_scale``. ``crop_s > 0`` feeds the model
    a crop of that length: random in training when augmentation is on, centred otherwise.
    """

    sample_rate: int = 8000
    duration_s: float = 2.0
    n_fft: int = 254
    hop_length: int = 250
    log_offset: float = 1e-6
    transform: str = "stft"
    pad_mode: str = "reflect"
    tile: bool = True
    clip: bool = False
    remove_mean: bool = False
    n_mels: int = 128
    frames: int = 0
    norm_mean: float = 0.0
    norm_scale: float = 1.0
    crop_s: float = 0.0


@dataclass
class FlowConfig:
    """Optical flow (the ``flow`` kind): ``bound`` in pixels per frame. Computed flow is clipped to
    ±bound; precomputed u/v images map 0..255 linearly onto -bound..+bound, as the extraction tools
    write them (denseflow, mmaction: bound 20). Frame count and size come from ``data.video``."""

    bound: float = 20.0


@dataclass
class DataConfig:
    """Which dataset folder to read and how to preprocess its media."""

    path: str = ""
    cache_dir: str = ""
    modalities: list[str] = field(default_factory=list)
    recipe: str = "small"
    """The preprocessing recipe the video and audio settings come from (see docs/recipes.md)."""
    augment: bool = False
    """Random frame crops and flips (and audio time crops) in training; evaluation is always deterministic."""
    window_columns: list[str] = field(default_factory=list)
    """Two metadata columns (start, end in seconds) whose window of each clip is used, when present."""
    workers: int = 0
    """Processes decoding media into the store (0: one per available core)."""
    video: VideoConfig = field(default_factory=VideoConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)

    def with_recipe(self, name: str) -> DataConfig:
        """A copy with the recipe ``name``'s settings (what ``--recipe NAME`` does): the dataset path, cache,
        modalities and flow settings are kept, every other key takes the recipe's value or its default."""
        kept = {"path": self.path, "cache_dir": self.cache_dir, "modalities": list(self.modalities)}
        return _build(DataConfig, {**kept, "recipe": name, "flow": dataclasses.asdict(self.flow)}, "data")


@dataclass
class ModelConfig:
    """Encoders per modality (empty: the default for the modality's kind) and feature width."""

    encoders: dict[str, str] = field(default_factory=dict)
    feature_dim: int = 64
    channels_last: bool = False
    init_encoders_from: str = ""
    """A checkpoint whose encoders start this run (e.g. MCR from unimodally pre-trained encoders)."""
    kind_encoders: dict[str, str] = field(default_factory=dict)
    """Encoders per modality kind (video, audio, ...), used where ``encoders`` names none for a modality."""
    pretrained: str = ""
    """``"imagenet"`` (torch hub cache) or a file of torchvision ResNet-18 weights for the visual encoders."""


@dataclass
class OptimConfig:
    """Optimiser and learning-rate schedule (see ``core.training.schedule``).

    The learning rate rises linearly from 0 over the first ``lr_warmup_epochs`` epochs (fractions
    count), then follows ``lr_schedule``: ``"cosine"`` falls to 0 by the end of the run, ``"constant"``
    stays at ``lr``. ``lr_step_epochs > 0`` replaces either by a step schedule: ``lr × lr_gamma`` every
    that many epochs. The schedule is a function of the step, so a resumed run continues it exactly.
    """

    optimizer: str = "adamw"
    lr: float = 2e-3
    weight_decay: float = 0.05
    momentum: float = 0.9
    batch_size: int = 32
    epochs: int = 10
    lr_step_epochs: int = 0
    lr_gamma: float = 0.1
    lr_schedule: str = "cosine"
    lr_warmup_epochs: float = 1.0
    nonfinite_loss: str = "stop"
    """What a non-finite (NaN or infinite) loss does: "stop" the run with an error naming the step, or
    "skip" the step (no update) and count it in ``train/skipped_steps``."""


@dataclass
class ValuationConfig:
    """Per-epoch Shapley valuation: value function, splits, absence semantics, Monte-Carlo limits."""

    value_fn: str = "benefit"
    splits: list[str] = field(default_factory=lambda: ["train", "val", "test"])
    """Splits valued after every epoch (those a dataset lacks are skipped). Held-out splits cost one head
    pass per coalition on already encoded features (see benchmarks/valuation_overhead.py)."""
    absence: str = "feature"
    exact_max_modalities: int = 10
    mc_permutations: int = 256
    batch_size: int = 0
    """Samples per valuation batch; 0 chooses by device (64 on CPU, 256 on CUDA, see docs/methods.md)."""


@dataclass
class RuntimeConfig:
    """Device, precision, seed and logging cadence."""

    device: str = "auto"
    precision: str = "auto"
    tensorboard: bool = False
    """Also write TensorBoard event files beside the report (RUN/tensorboard/); the report stays the
    source of truth."""
    seed: int = 0
    num_workers: int = 0
    pin_memory: bool = True
    log_every_steps: int = 1
    mi_every_steps: int = 1


@dataclass
class StrategyConfig:
    """The training strategy by registered name, and its parameters (see ``modalens strategies``)."""

    name: str = "joint"
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunConfig:
    """Everything that defines a run."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    valuation: ValuationConfig = field(default_factory=ValuationConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    preset: str = ""
    """The preset the run's settings started from (informational; see docs/recipes.md)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_toml(self) -> str:
        return tomli_w.dumps(_drop_none(self.to_dict()))

    def save(self, path: str | Path) -> None:
        """Write the TOML atomically (a symlink at ``path`` is replaced, never written through)."""
        from core.atomic import atomic_write

        with atomic_write(path, "w", encoding="utf-8") as handle:
            handle.write(self.to_toml())

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> RunConfig:
        """Build and :meth:`validate` a config; ``ConfigError`` names the first wrong key."""
        return _build(cls, data, source).validate(source)

    @classmethod
    def from_toml(cls, text: str, source: str = "config") -> RunConfig:
        return cls.from_dict(parse_toml(text, source), source)

    @classmethod
    def load(cls, path: str | Path) -> RunConfig:
        """Read a TOML file; relative paths in it (:data:`PATH_KEYS`) are taken from the file's folder."""
        path = Path(path)
        return cls.from_toml(read_toml_text(path, "config file"), str(path)).resolve_paths(path.resolve().parent)

    def resolve_paths(self, folder: str | Path, keys: tuple[tuple[str, str], ...] = PATH_KEYS) -> RunConfig:
        """Make the relative paths of ``keys`` absolute, taken from ``folder``; return self."""
        for section, key in keys:
            value = getattr(getattr(self, section), key)
            if value:
                setattr(getattr(self, section), key, str(Path(folder, Path(value).expanduser()).absolute()))
        return self

    def validate(self, source: str = "config") -> RunConfig:
        """Raise ``ConfigError`` naming the first key whose value is outside its domain; return self."""
        for key, valid, expected in self._rules():
            if not valid:
                section, _, name = key.rpartition(".")
                value = getattr(_section(self, section), name)
                raise ConfigError(f"{source}.{key}: expected {expected}, got {value!r}")
        return self

    def _rules(self) -> list[tuple[str, bool, str]]:
        """(key, value is valid, what is expected) for every key with a restricted domain."""
        d, m, o, v, r = self.data, self.model, self.optim, self.valuation, self.runtime
        at_least_one, not_negative = "an integer >= 1", "an integer >= 0"
        positive = "a finite number > 0"
        return [
            ("data.video.frames", d.video.frames >= 1, at_least_one),
            ("data.video.height", d.video.height >= 1, at_least_one),
            ("data.video.width", d.video.width >= 1, at_least_one),
            ("data.audio.sample_rate", d.audio.sample_rate >= 1, at_least_one),
            ("data.audio.duration_s", _positive(d.audio.duration_s), positive),
            ("data.audio.n_fft", d.audio.n_fft >= 1, at_least_one),
            ("data.audio.hop_length", d.audio.hop_length >= 1, at_least_one),
            ("data.audio.log_offset", _positive(d.audio.log_offset), positive),
            ("data.flow.bound", _positive(d.flow.bound), positive),
            ("model.feature_dim", m.feature_dim >= 1, at_least_one),
            (
                "model.pretrained",
                not m.pretrained or bool(PRETRAINED_ENCODERS & {*m.encoders.values(), *m.kind_encoders.values()}),
                "an encoder that takes pretrained weights to be chosen ("
                + " or ".join(sorted(PRETRAINED_ENCODERS))
                + ", in model.encoders or model.kind_encoders; e.g. --preset ogm-ge-cremad)",
            ),
            ("optim.optimizer", o.optimizer in OPTIMIZERS, _one_of(OPTIMIZERS)),
            ("optim.lr", _positive(o.lr), positive),
            ("optim.weight_decay", math.isfinite(o.weight_decay) and o.weight_decay >= 0, "a number >= 0"),
            ("optim.momentum", 0 <= o.momentum <= 1, "a number from 0 to 1"),
            ("optim.batch_size", o.batch_size >= 1, at_least_one),
            ("optim.epochs", o.epochs >= 1, at_least_one),
            ("optim.lr_step_epochs", o.lr_step_epochs >= 0, not_negative + " (0: no schedule)"),
            ("optim.lr_gamma", _positive(o.lr_gamma), positive),
            ("optim.lr_schedule", o.lr_schedule in LR_SCHEDULES, _one_of(LR_SCHEDULES)),
            (
                "optim.lr_warmup_epochs",
                math.isfinite(o.lr_warmup_epochs) and o.lr_warmup_epochs >= 0,
                "a number >= 0 (0: no warm-up)",
            ),
            ("optim.nonfinite_loss", o.nonfinite_loss in NONFINITE_LOSS, _one_of(NONFINITE_LOSS)),
            (
                "valuation.splits",
                all(s in SPLITS for s in v.splits) and len(set(v.splits)) == len(v.splits),
                f"a list of distinct split names from {', '.join(SPLITS)}",
            ),
            ("valuation.absence", v.absence in ABSENCE, _one_of(ABSENCE)),
            ("valuation.exact_max_modalities", v.exact_max_modalities >= 0, not_negative),
            ("valuation.mc_permutations", v.mc_permutations >= 1, at_least_one),
            ("valuation.batch_size", v.batch_size >= 0, not_negative + " (0: chosen for the device)"),
            ("runtime.seed", 0 <= r.seed <= MAX_SEED, f"an integer from 0 to {MAX_SEED}"),
            ("runtime.num_workers", r.num_workers >= 0, not_negative),
            ("runtime.log_every_steps", r.log_every_steps >= 0, not_negative + " (0: off)"),
            ("runtime.mi_every_steps", r.mi_every_steps >= 0, not_negative + " (0: off)"),
        ]

    def with_overrides(self, assignments: list[str]) -> RunConfig:
        """Apply ``section.key=value`` assignments (value parsed as TOML, else as a string)."""
        data = self.to_dict()
        typed: dict[str, str] = {}  # dotted key -> the assignment as the user typed it
        for assignment in assignments:
            key, sep, raw = assignment.partition("=")
            if not sep or not key.strip():
                raise ConfigError(f"--set {assignment!r}: expected KEY=VALUE, e.g. optim.lr=0.001")
            target = data
            parts = key.strip().split(".")
            _check_key(parts, assignment)
            typed[".".join(parts)] = assignment
            for part in parts[:-1]:
                target = target.setdefault(part, {})
                if not isinstance(target, dict):
                    raise ConfigError(f"--set {assignment!r}: {part!r} is not a section")
            if parts == ["data", "recipe"]:
                target.update(recipe_settings(parse_value(raw), f"--set {assignment!r}"))
            target[parts[-1]] = parse_value(raw)
        try:
            return RunConfig.from_dict(data)
        except ConfigError as exc:
            raise _typed_by_user(exc, typed) from None


def _check_key(parts: list[str], assignment: str) -> None:
    """ConfigError naming the first key of ``parts`` that no config section has (tables such as
    ``model.encoders`` and ``strategy.params`` take any key), with the closest known key."""
    from core.registry import did_you_mean

    section: Any = RunConfig
    for depth, part in enumerate(parts):
        if not dataclasses.is_dataclass(section):
            return
        known = [f.name for f in dataclasses.fields(section)]
        if part not in known:
            prefix = ".".join(parts[:depth] + [""])
            hint = did_you_mean(part, known, prefix)
            where = f"of {prefix[:-1]}" if prefix else "at the top"
            raise ConfigError(
                f"--set {assignment}: unknown key {'.'.join(parts[: depth + 1])}{hint}; keys {where}: "
                + ", ".join(known)
            )
        section = typing.get_type_hints(section)[part]


def _typed_by_user(exc: ConfigError, typed: dict[str, str]) -> ConfigError:
    """``exc`` naming the ``--set`` assignment its key came from, as the user typed it; else as it is."""
    message = str(exc)
    key = message.removeprefix("config.").partition(":")[0]
    for dotted, assignment in typed.items():
        if message.startswith("config.") and (key == dotted or key.startswith((dotted + ".", dotted + "["))):
            return ConfigError(f"{message.removeprefix('config.')} (from --set {assignment})")
    return exc


def _section(config: RunConfig, dotted: str) -> Any:
    target: Any = config
    for part in dotted.split("."):
        target = getattr(target, part)
    return target


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


def _one_of(names: tuple[str, ...]) -> str:
    return "one of " + ", ".join(f'"{name}"' for name in names)


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """The TOML table in ``text``; ``ConfigError`` naming ``source`` when it is not valid TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from None


def read_toml_text(path: Path, what: str) -> str:
    """The text of the TOML file ``path`` (a ``what``, for the message when it is missing or unreadable)."""
    if not path.is_file():
        raise ConfigError(f"{path}: {what} not found")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None


def parse_value(raw: str) -> Any:
    """Parse a command-line value as a TOML value, falling back to a plain string."""
    try:
        return tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return raw.strip()


def recipe_settings(name: Any, where: str) -> dict[str, Any]:
    """The data settings (``augment``, ``window_columns``, ``video``, ``audio``) of the recipe ``name``."""
    _check_recipe(name, where)
    return RECIPES.get(name).settings()


def _check_recipe(name: Any, where: str) -> None:
    if not isinstance(name, str) or name not in RECIPES:
        raise ConfigError(f"{where}: unknown recipe {name!r}; known: {', '.join(RECIPES.names())}")


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a table, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    if cls is DataConfig and "recipe" in data:
        _check_recipe(data["recipe"], f"{where}.recipe")
        data = under_recipe(data)
    kwargs = {name: _coerce(hints[name], value, f"{where}.{name}") for name, value in data.items()}
    return cls(**kwargs)


def _coerce(hint: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _build(hint, value, where)
    if origin in (typing.Union, types.UnionType):
        return value
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        (item,) = typing.get_args(hint)
        return [_coerce(item, v, f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a table, got {value!r}")
        return dict(value)
    if hint is Any:
        return value
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (int, float, str, bool):
        if not isinstance(value, hint) or (hint is int and isinstance(value, bool)):
            raise ConfigError(f"{where}: expected {hint.__name__}, got {value!r}")
        return value
    return value
