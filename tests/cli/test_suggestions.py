"""A mistyped name gets the closest known one: commands, sub-commands, strategies."""

from __future__ import annotations

import pytest

from core.cli.main import main
from core.registry import did_you_mean


@pytest.mark.parametrize(
    "argv, message",
    [
        (["trian"], "invalid choice: 'trian' (did you mean 'train'?) (choose from 'demo',"),
        (["report", "sumary", "x.h5"], "invalid choice: 'sumary' (did you mean 'summary'?) (choose from"),
    ],
)
def test_mistyped_commands_get_the_closest_one(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_did_you_mean():
    names = ["joint", "ogm-ge", "opm", "mla"]
    assert did_you_mean("jiont", names) == " (did you mean 'joint'?)"
    assert did_you_mean("OGM", names) == " (did you mean 'ogm-ge' or 'opm'?)"  # prefixes first, any case
    assert did_you_mean("lr", ["lr", "momentum"], "optim.") == " (did you mean 'optim.lr'?)"
    assert did_you_mean("zzz", names) == ""
