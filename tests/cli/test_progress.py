"""The terminal progress lines: which split chose the best epoch."""

import io

from core import events as ev
from core.cli.progress import TerminalProgress


def started(num_val: int) -> ev.RunStarted:
    return ev.RunStarted(run_dir="run", config_toml="", device="cpu (fp32)", modalities=["a", "b"],
                         class_names=["x", "y"], num_train=8, num_val=num_val, start_epoch=0,
                         total_epochs=2, steps_per_epoch=1, dataset=None)


def printed(num_val: int) -> str:
    stream = io.StringIO()
    progress = TerminalProgress(stream)
    progress(started(num_val))
    progress(ev.RunFinished(epochs_done=2, stopped=False, best_epoch=1, best_val_accuracy=0.75))
    return stream.getvalue()


def test_the_best_epoch_is_named_after_the_split_that_chose_it():
    assert "best val acc 0.7500 (epoch 2)" in printed(num_val=3)
    assert "no val samples" not in printed(num_val=3)
    without_val = printed(num_val=0)
    assert "best train acc 0.7500 (epoch 2)" in without_val and "best val acc" not in without_val
    assert "warning: the dataset has no val samples" in without_val


def test_a_stopped_run_says_how_to_continue_it_and_counts_epochs_in_words():
    stream = io.StringIO()
    progress = TerminalProgress(stream)
    progress(started(num_val=3))
    progress(ev.RunFinished(epochs_done=1, stopped=True, best_epoch=0, best_val_accuracy=0.5))
    text = stream.getvalue()
    assert "run stopped after 1 epoch, best val acc" in text
    assert "to continue it: modalens train --resume run\n" in text
    assert "--resume" not in printed(num_val=3), "a finished run needs no hint"
    assert "run finished after 2 epochs" in printed(num_val=3)


def test_the_closing_line_gives_test_accuracy_at_the_best_and_the_last_epoch():
    stream = io.StringIO()
    progress = TerminalProgress(stream)
    progress(started(num_val=3))
    for epoch, (val, test) in enumerate([(0.5, 0.4), (0.75, 0.7), (0.6, 0.55)]):
        progress(ev.EpochMetrics(epoch, 0.0, {"val/acc": val, "test/acc": test}))
    progress(ev.RunFinished(epochs_done=3, stopped=False, best_epoch=1, best_val_accuracy=0.75))
    assert (
        "best val acc 0.7500 (epoch 2); test acc 0.7000 at the best epoch, 0.5500 at the last (epoch 3)"
        in stream.getvalue()
    )
