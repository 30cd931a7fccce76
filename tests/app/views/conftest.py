"""Fixtures for the view tests: a hand-built session and a player that is always shut down."""

from __future__ import annotations

import numpy as np
import pytest

from app.views.player import SamplePlayer
from tests.app.views.helpers import make_dataset, make_result, session_with


@pytest.fixture
def valued_session():
    """12 samples; epoch 0 values the train rows, epoch 0 also the val rows; test rows are never valued."""
    dataset = make_dataset(12)
    session = session_with(dataset)
    train = np.flatnonzero(dataset.splits == "train")
    val = np.flatnonzero(dataset.splits == "val")
    phi_train = np.stack([np.linspace(-1, 1, len(train)), np.linspace(2, 0, len(train))], axis=1)
    prediction = dataset.labels[train].copy()
    prediction[::3] = (prediction[::3] + 1) % 3  # every third train sample predicted wrong
    session.add_valuation(make_result(0, "train", train, phi_train, dataset.labels, prediction))
    session.add_valuation(make_result(0, "val", val, np.full((len(val), 2), 0.5), dataset.labels))
    return session


@pytest.fixture
def make_player(qtbot):
    """Builds shown players and shuts their decoding threads down after the test."""
    players: list[SamplePlayer] = []

    def build(session) -> SamplePlayer:
        player = SamplePlayer(session)
        qtbot.addWidget(player)
        player.resize(640, 520)
        player.show()
        players.append(player)
        return player

    yield build
    for player in players:
        player.shutdown()
        assert not player.playing
        assert not player._media.running
