"""The app controller without a window: background opening (latest wins), one error path, immediate
feedback on Start, the trust question before an old checkpoint, Stop before the engine has started."""

from __future__ import annotations

import shutil

import torch

from app.controller import Mode
from app.prompts import AutoPrompter
from core.training.checkpoint import LEGACY_FORMAT, load_checkpoint, save_checkpoint
from tests.app.helpers import open_dataset, wait_loaded, wait_run_ended


def logged(controller) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    controller.session.log_message.connect(lambda level, text: lines.append((level, text)))
    return lines


def test_a_dataset_is_read_in_the_background_and_the_latest_open_wins(qtbot, make_controller, vector_demo, av_demo):
    controller = make_controller()
    opened = []
    controller.dataset_opened.connect(opened.append)
    assert controller.open_dataset(av_demo)
    assert controller.loading and controller.session.dataset is None, "nothing read in the GUI thread yet"
    assert controller.activity().text == "Reading balanced/manifest.csv…"
    assert controller.open_dataset(vector_demo)  # cancels the first
    wait_loaded(qtbot, controller)
    qtbot.wait(20)
    assert [m.root for m in opened] == [vector_demo]
    assert controller.session.dataset.root == vector_demo and controller.mode == Mode.DATASET
    assert controller.activity() is None


def test_an_error_reaches_the_user_once_as_a_dialog_and_a_log_line(qtbot, make_controller, tmp_path):
    prompter = AutoPrompter()
    controller = make_controller(prompter)
    lines = logged(controller)
    assert not open_dataset(qtbot, controller, tmp_path / "nowhere")
    assert [m[:2] for m in prompter.messages] == [("error", "Cannot open dataset")]
    assert "nowhere" in prompter.messages[0][2] and "Traceback" not in prompter.messages[0][2]
    assert [level for level, _ in lines] == ["error"] and "nowhere" in lines[0][1]
    assert controller.mode == Mode.EMPTY


def test_start_shows_preparing_at_once_then_the_preparation_messages(qtbot, make_controller, vector_demo):
    from core.config import RunConfig

    controller = make_controller()
    assert open_dataset(qtbot, controller, vector_demo)
    activities = []
    controller.activity_changed.connect(activities.append)
    config = RunConfig()
    config.data.path = str(vector_demo)
    config.optim.epochs = 1
    assert controller.start_training(config)
    # before the engine exists, the phase and a busy indicator are already there
    assert not controller.runner.busy and controller.phase == "starting" and controller.mode == Mode.TRAINING
    assert controller.activity().text == "Preparing data…" and controller.activity().total == 0
    assert controller.status() == ("Preparing data…", "starting")
    assert controller.can("stop") and not controller.can("pause") and not controller.can("start")
    wait_run_ended(qtbot, controller)
    texts = [a.text for a in activities if a is not None]
    assert any(t.startswith("Preparing data… ") and "usable row(s)" in t for t in texts), texts
    assert controller.phase == "finished" and controller.activity() is None
    assert controller.can("start") and not controller.can("stop")


def test_stop_before_the_engine_started_ends_the_run(qtbot, make_controller, vector_demo):
    from core.config import RunConfig

    controller = make_controller()
    config = RunConfig()
    config.data.path = str(vector_demo)
    assert controller.start_training(config)
    controller.stop_training()
    assert controller.status()[0] == "Stopping…"
    qtbot.waitUntil(lambda: controller.phase == "stopped", timeout=30_000)
    assert controller.runner.engine is None and controller.activity() is None


def legacy_checkpoint(vector_run, tmp_path):
    """The recorded run's last checkpoint as release 0.1 wrote it, in a run folder of its own."""
    state = load_checkpoint(vector_run.run_dir / "checkpoints" / "last.pt")
    state["format"] = LEGACY_FORMAT
    for key in ("cuda_rng", "global_step", "partial_epoch"):
        state.pop(key, None)
    path = tmp_path / "run" / "checkpoints" / "last.pt"
    path.parent.mkdir(parents=True)
    torch.save(state, path)
    shutil.copy(vector_run.report, tmp_path / "run" / "report.h5")
    return path


def test_an_old_checkpoint_is_read_only_when_the_user_trusts_it(qtbot, make_controller, vector_run, tmp_path):
    prompter = AutoPrompter(answer=False)
    controller = make_controller(prompter)
    checkpoint = legacy_checkpoint(vector_run, tmp_path)
    assert controller.resume_training(checkpoint, epochs=3)
    qtbot.waitUntil(lambda: bool(prompter.messages), timeout=30_000)
    wait_loaded(qtbot, controller)
    assert prompter.messages == [("question", "Trust this checkpoint?", prompter.messages[0][2])]
    assert "older ModaLens 0.1 format" in prompter.messages[0][2]
    assert controller.phase == "idle" and controller.runner.engine is None
    prompter.answer = True
    assert controller.resume_training(checkpoint, epochs=3)
    wait_run_ended(qtbot, controller)
    assert controller.phase == "finished", prompter.messages
    assert sorted(controller.session.valuations["train"]) == [0, 1, 2], "the run's report, then its third epoch"


def test_resume_keeps_the_runs_own_epoch_target(qtbot, make_controller, vector_run, tmp_path):
    """A run meant for 3 epochs, stopped after 1, resumes to 3 — not to the Training pane's 10."""
    state = load_checkpoint(vector_run.run_dir / "checkpoints" / "last.pt")
    state["next_epoch"] = 1
    state["config_toml"] = state["config_toml"].replace("epochs = 2", "epochs = 3")
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    checkpoint = run / "checkpoints" / "last.pt"
    save_checkpoint(checkpoint, state)
    prompter = AutoPrompter()
    controller = make_controller(prompter)
    shown = []
    controller.config_shown.connect(shown.append)
    assert controller.resume_training(checkpoint, default_epochs=10)
    qtbot.waitUntil(lambda: bool(shown or prompter.messages), timeout=30_000)
    assert not prompter.messages
    controller.stop_training()
    wait_run_ended(qtbot, controller)
    assert shown[0].optim.epochs == 3


def test_a_finished_run_logs_its_best_epoch_and_test_accuracy(qtbot, make_controller, vector_demo):
    from core.config import RunConfig

    controller = make_controller()
    lines = logged(controller)
    config = RunConfig()
    config.data.path = str(vector_demo)
    config.optim.epochs = 2
    config.valuation.splits = ["train"]
    assert controller.start_training(config)
    wait_run_ended(qtbot, controller)
    best = controller.session.best_epoch()
    assert best is not None and best.chosen_by == "val/acc" and best.last_epoch == 2
    assert ("info", best.text()) in lines and "test acc" in best.text()
