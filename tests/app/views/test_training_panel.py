"""The training pane: a form per strategy generated from its Params, and the run config it builds."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QSpinBox

from app.views.training import TrainingPanel
from app.widgets.params_form import FloatSpinBox, ParamsForm, field_choices
from core.config import RunConfig
from core.strategies import STRATEGIES, describe_params
from core.strategies.base import build_params


@pytest.mark.parametrize("name", STRATEGIES.names())
def test_every_strategy_gets_a_form_at_its_defaults(qtbot, name):
    form = ParamsForm()
    qtbot.addWidget(form)
    cls = STRATEGIES.get(name)
    form.set_strategy(cls)
    described = describe_params(cls)
    assert list(form.values()) == [param for param, _, _ in described]
    assert form.values() == {param: default for param, default, _ in described}
    assert build_params(cls, form.values()) == (cls.Params() if described else None)
    assert form.problem() == ""
    for param, default, help_text in described:
        editor = form.editor(param)
        assert help_text in editor.toolTip() and repr(default) in editor.toolTip()


def test_editor_kinds_follow_field_types(qtbot):
    form = ParamsForm()
    qtbot.addWidget(form)
    form.set_strategy(STRATEGIES.get("ogm-ge"))
    assert isinstance(form.editor("alpha"), FloatSpinBox)
    assert isinstance(form.editor("ge"), QCheckBox)
    assert isinstance(form.editor("start_epoch"), QSpinBox)
    coefficient = form.editor("coefficient")
    assert isinstance(coefficient, QComboBox)
    assert [coefficient.itemText(i) for i in range(coefficient.count())] == ["paper", "shifted"]
    form.set_strategy(STRATEGIES.get("unimodal"))
    assert isinstance(form.editor("modality"), QLineEdit)


def test_choices_come_from_metadata_or_quoted_help():
    @dataclasses.dataclass
    class Params:
        mode: str = dataclasses.field(default="b", metadata={"choices": ("a", "b")})
        game: str = dataclasses.field(default="x", metadata={"help": "'x' (one) or 'y' (two)"})
        name: str = dataclasses.field(default="", metadata={"help": "a name like 'bob'"})

    fields = {f.name: f for f in dataclasses.fields(Params)}
    assert field_choices(fields["mode"], "b") == ["a", "b"]
    assert field_choices(fields["game"], "x") == ["x", "y"]
    assert field_choices(fields["name"], "") == []


def test_edited_values_are_typed_and_checked(qtbot):
    form = ParamsForm()
    qtbot.addWidget(form)
    form.set_strategy(STRATEGIES.get("mcr"))
    form.set_values({"lambda_m": 0.0001, "game": "collaborative", "permutations": 8})
    values = form.values()
    assert values["lambda_m"] == pytest.approx(1e-4) and isinstance(values["lambda_m"], float)
    assert values["game"] == "collaborative" and values["permutations"] == 8
    assert form.editor("lambda_m").text() == "0.0001"
    form.set_values({"permutations": 0})
    assert "permutations" in form.problem() and "integer >= 1" in form.problem()
    with pytest.raises(ValueError, match="unknown parameter"):
        form.set_values({"nope": 1})
    form.reset()
    assert form.values()["permutations"] == 32 and form.problem() == ""


def test_float_spin_box_reads_scientific_text(qtbot):
    box = FloatSpinBox()
    qtbot.addWidget(box)
    box.lineEdit().setText("3e-05")
    box.interpretText()
    assert box.value() == pytest.approx(3e-5)
    assert box.textFromValue(0.25) == "0.25"
    box.setValue(0.002)
    box.stepBy(1)
    assert box.value() == pytest.approx(0.003)


def test_panel_builds_the_run_config(qtbot, vector_demo):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    with pytest.raises(ValueError, match="dataset folder"):
        panel.config()
    panel.data_folder.setText(str(vector_demo.parent))
    with pytest.raises(ValueError, match="no manifest.csv"):
        panel.config()
    panel.data_folder.setText(str(vector_demo))
    panel.strategy.setCurrentText("ogm-ge")
    panel.params.set_values({"alpha": 0.5})
    panel.epochs.setValue(3)
    panel.batch_size.setValue(16)
    panel.seed.setValue(7)
    assert not panel.config().runtime.tensorboard
    panel.tensorboard.setChecked(True)
    panel.device.setCurrentText("cpu")
    config = panel.config()
    assert config.data.path == str(vector_demo)
    assert (config.strategy.name, config.strategy.params["alpha"]) == ("ogm-ge", 0.5)
    assert (config.optim.epochs, config.optim.batch_size, config.runtime.seed, config.runtime.device) == (3, 16, 7, "cpu")
    assert RunConfig.from_toml(config.to_toml()).strategy.params == config.strategy.params
    assert config.runtime.tensorboard

    other = RunConfig()
    other.data.path = "/somewhere"
    other.valuation.mc_permutations = 17
    other.runtime.tensorboard = False
    other.strategy.name, other.strategy.params = "mcr", {"game": "independent"}
    panel.set_config(other)
    assert panel.strategy.currentText() == "mcr" and panel.params.values()["game"] == "independent"
    assert not panel.tensorboard.isChecked()
    panel.data_folder.setText(str(vector_demo))
    assert panel.config().valuation.mc_permutations == 17, "fields the pane does not show are kept"


def test_encoders_can_start_from_a_checkpoint(qtbot, vector_demo, tmp_path):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.data_folder.setText(str(vector_demo))
    assert panel.config().model.init_encoders_from == ""
    panel.init_encoders.setText(str(tmp_path / "missing.pt"))
    with pytest.raises(ValueError, match="no such checkpoint"):
        panel.config()
    checkpoint = tmp_path / "best.pt"
    checkpoint.write_bytes(b"")
    panel.init_encoders.setText(str(checkpoint))
    assert panel.config().model.init_encoders_from == str(checkpoint)
    other = RunConfig()
    other.model.init_encoders_from = "/runs/unimodal/checkpoints/best.pt"
    panel.set_config(other)
    assert panel.init_encoders.text() == "/runs/unimodal/checkpoints/best.pt"
    panel.set_state("running")
    assert not panel.init_encoders.isEnabled()


def test_buttons_follow_the_run_state(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    assert panel.start_button.isEnabled() and not panel.stop_button.isEnabled()
    panel.set_state("running")
    assert not panel.start_button.isEnabled() and panel.pause_button.isEnabled() and panel.stop_button.isEnabled()
    assert not panel.strategy.isEnabled()
    panel.set_state("paused")
    assert panel.pause_button.text() == "Resume"
    panel.set_state("finished")
    assert panel.start_button.isEnabled() and panel.resume_button.isEnabled() and not panel.pause_button.isEnabled()
    panel.set_can_train(False, "showing a live report")
    assert not panel.start_button.isEnabled() and panel.start_button.toolTip() == "showing a live report"
    panel.set_can_train(True)
    panel.strategy.setCurrentText("mcr")
    panel.params.set_values({"temperature": 0.0})
    assert not panel.start_button.isEnabled() and "temperature" in panel.problem.text()
