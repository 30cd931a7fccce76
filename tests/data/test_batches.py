import numpy as np
import torch

from core.data.batches import iterate_batches
from tests.synthetic import vector_data


def test_worker_processes_yield_the_same_batches():
    data = vector_data(n=50)
    index = np.random.default_rng(0).permutation(50)
    keep = np.ones((50, 2), np.float32)
    keep[::3, 1] = 0
    device = torch.device("cpu")
    local = list(iterate_batches(data, index, 16, device, keep))
    workers = list(iterate_batches(data, index, 16, device, keep, num_workers=1))
    assert [len(b.labels) for b in local] == [16, 16, 16, 2]
    for a, b in zip(local, workers, strict=True):
        assert (
            torch.equal(a.labels, b.labels) and torch.equal(a.keep, b.keep) and torch.equal(a.index, b.index)
        )
        for m in data.samples.modalities:
            assert torch.equal(a.inputs[m], b.inputs[m])
    np.testing.assert_array_equal(torch.cat([b.index for b in local]).numpy(), index)
