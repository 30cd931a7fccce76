"""The browser filters samples on their pair interactions: a range per modality pair typed into the filter
bar, and "synergy" / "redundancy" (some pair's interaction above / below 0); samples without one never pass."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QLabel

from app.views.browser import SampleBrowser
from app.views.filters import SampleFilter
from core.valuation.interaction import pair_interactions
from core.valuation.result import ValuationResult, coalition_members
from tests.app.views.helpers import make_dataset, session_with

MODALITIES = ["audio", "video", "text"]
VALUED = np.array([0, 2, 3, 5, 6, 7])
DIVIDENDS = np.array([[0.5, 0.2, 0.1], [-0.4, -0.1, -0.3], [0.3, -0.2, 0], [0, 0, 0], [0.05, 0.6, -0.7], [-0.2, 0, 0.4]])
"""Per valued sample, a dividend per pair (audio×video, audio×text, video×text)."""


@pytest.fixture
def browser(qtbot):
    dataset = make_dataset(10, modalities=MODALITIES)
    session = session_with(dataset)
    # pair dividends plus an additive part: v(S) = Σ of the dividends of the pairs inside S + Σ of φ over S,
    # so each pair's interaction is its dividend (up to float32 rounding residues)
    members = coalition_members(3)
    inside = np.stack([members[:, i] * members[:, j] for i, j in ((0, 1), (0, 2), (1, 2))], axis=1)
    phi = np.random.default_rng(0).normal(size=(len(VALUED), 3))
    values = (DIVIDENDS @ inside.T.astype(np.float64) + phi @ members.T).astype(np.float32)
    session.add_valuation(ValuationResult(
        epoch=0, split="train", value_fn="probability", modalities=MODALITIES, sample_index=VALUED,
        phi=phi.astype(np.float32), coalition_values=values, prediction=dataset.labels[VALUED],
        correct=np.ones(len(VALUED), bool)))
    view = SampleBrowser(session)
    qtbot.addWidget(view)
    view.resize(1200, 600)
    view.show()
    view.filtered_indices()  # the table and the filter bar are built
    view.expected = pair_interactions(values)  # [sample, pair]: audio×video, audio×text, video×text
    return view


def shown(browser) -> list[int]:
    return sorted(browser.filtered_indices().tolist())


def test_a_typed_interaction_range_keeps_the_samples_inside_it(qtbot, browser):
    bar = browser.filters
    captions = [label.text() for label in bar.findChildren(QLabel) if label.text().startswith("I ")]
    assert captions == ["I audio×video", "I audio×text", "I video×text"]
    lo, _ = bar._pair_edits[2]
    qtbot.keyClicks(lo, "0.05")  # video×text >= 0.05
    assert shown(browser) == [0, 7]
    bar.set_interaction_range(0, None, 0.0)  # and audio×video <= 0
    assert shown(browser) == [7]
    bar.clear()
    assert len(shown(browser)) == 10
    with pytest.raises(ValueError, match="no modality pair at position 3"):
        bar.set_interaction_range(3, 0, 1)


def test_synergy_and_redundancy(browser):
    bar = browser.filters
    synergy = VALUED[(DIVIDENDS > 0).any(axis=1)].tolist()
    redundancy = VALUED[(DIVIDENDS < 0).any(axis=1)].tolist()
    assert np.abs(browser.expected[3]).max() > 0  # sample 5 reads back small residues, not exact zeros
    np.testing.assert_allclose(browser.expected, DIVIDENDS, atol=1e-6)
    assert synergy == [0, 3, 6, 7] and redundancy == [2, 3, 6, 7]  # sample 5: none beyond rounding
    bar.set_interaction("synergy")
    assert shown(browser) == synergy  # never-valued samples (no interaction) are left out
    bar.interaction_combo.setCurrentText("redundancy")  # as a user's choice in the combo box
    assert shown(browser) == redundancy
    bar.set_interaction("any")
    assert len(shown(browser)) == 10
    with pytest.raises(ValueError, match="interaction filter must be one of"):
        SampleFilter(interaction="both")
