import numpy as np

from app.views.queries import epoch_values, sample_history, sample_valuation, valued_epochs
from tests.app.views.helpers import make_dataset, make_result, session_with


def test_epoch_values_merge_splits_and_leave_unvalued_rows_blank(valued_session):
    values = epoch_values(valued_session)
    splits = valued_session.dataset.splits
    assert values.epoch == 0
    assert np.isnan(values.phi[splits == "test"]).all()
    assert (values.correct[splits == "test"] == -1).all()
    assert np.allclose(values.phi[splits == "val"], 0.5)
    train = np.flatnonzero(splits == "train")
    assert np.allclose(values.phi[train, 0], np.linspace(-1, 1, len(train)))
    assert values.correct[train[0]] == 0 and values.correct[train[1]] == 1


def test_latest_epoch_and_sample_history():
    dataset = make_dataset(6)
    session = session_with(dataset)
    index = np.array([0, 2, 4])
    for epoch in (0, 1, 2):
        session.add_valuation(make_result(epoch, "train", index, np.full((3, 2), epoch), dataset.labels))
    assert valued_epochs(session) == [0, 1, 2]
    assert epoch_values(session).epoch == 2
    assert np.allclose(epoch_values(session, 1).phi[index], 1)
    found = sample_valuation(session, 2)
    assert found.result.epoch == 2 and np.allclose(found.phi, 2)
    assert sample_valuation(session, 1) is None
    epochs, phi = sample_history(session, 4)
    assert epochs.tolist() == [0, 1, 2]
    assert np.allclose(phi[:, 1], [0, 1, 2])
