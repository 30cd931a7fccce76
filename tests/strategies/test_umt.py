"""umt: teachers first (or from a checkpoint), then fused CE + scaling · feature MSE to frozen teachers."""

import pytest
import torch
import torch.nn.functional as F

from core.strategies import create_strategy
from core.training.checkpoint import CheckpointError, load_encoders, save_checkpoint
from tests.strategies.end_to_end import train_briefly
from tests.strategies.helpers import step_context, tiny_batch, tiny_model, train_step


def optimiser(model, strategy):
    extras = torch.nn.ModuleDict(strategy.extra_modules())
    return torch.optim.Adam(list(model.parameters()) + list(extras.parameters()), lr=1e-2)


def test_teacher_phase_trains_only_the_teachers_on_their_own_heads():
    model = tiny_model()
    strategy = create_strategy("umt", {"teacher_epochs": 1}, model)
    batch = tiny_batch(model)
    ctx = step_context(model, batch, epoch=0)
    terms = strategy.loss_terms(ctx)
    teachers = strategy.teachers
    expected = sum(
        F.cross_entropy(teachers.heads[m](teachers.encoders[m](batch.inputs[m])), batch.labels) for m in "ab"
    )
    torch.testing.assert_close(terms["loss"], expected)
    student = {k: v.clone() for k, v in model.state_dict().items()}
    train_step(strategy, model, batch, optimiser(model, strategy), epoch=0)
    assert all(torch.equal(v, student[k]) for k, v in model.state_dict().items())
    assert not strategy.trains_fused_head(0) and strategy.trains_fused_head(1)


def test_student_phase_is_fused_ce_plus_scaled_feature_mse_and_leaves_the_teachers_alone():
    model = tiny_model()
    strategy = create_strategy("umt", {"teacher_epochs": 1, "scaling": 10.0}, model)
    with torch.no_grad():  # teachers that differ from the student
        for p in strategy.teachers.parameters():
            p.add_(0.3)
    batch = tiny_batch(model)
    ctx = step_context(model, batch, epoch=1)
    terms = strategy.loss_terms(ctx)
    with torch.no_grad():
        targets = [strategy.teachers.encoders[m](batch.inputs[m]) for m in "ab"]
    mse = [F.mse_loss(ctx.output.features[:, j], targets[j]) for j in range(2)]
    expected = F.cross_entropy(ctx.output.logits, batch.labels) + 10.0 * (mse[0] + mse[1])
    torch.testing.assert_close(terms["loss"], expected)
    torch.testing.assert_close(terms["umt/mse/a"], mse[0].detach())
    teachers = {k: v.clone() for k, v in strategy.teachers.state_dict().items()}
    train_step(strategy, model, batch, optimiser(model, strategy), epoch=1)
    assert all(torch.equal(v, teachers[k]) for k, v in strategy.teachers.state_dict().items())


def test_teachers_can_come_from_a_checkpoint_and_then_there_is_no_teacher_phase(tmp_path):
    source = tiny_model(seed=5)
    save_checkpoint(tmp_path / "teachers.pt", {"model": source.state_dict()})
    model = tiny_model()
    strategy = create_strategy("umt", {"teachers_from": str(tmp_path / "teachers.pt")}, model, load_encoders)
    for key, value in source.encoders.state_dict().items():
        assert torch.equal(strategy.teachers.encoders.state_dict()[key], value)
    assert not strategy.teaching(0)
    assert "umt/mse/a" in strategy.loss_terms(step_context(model, tiny_batch(model), epoch=0))
    with pytest.raises(CheckpointError, match="not found"):
        create_strategy("umt", {"teachers_from": str(tmp_path / "missing.pt")}, model, load_encoders)
    unread = create_strategy("umt", {"teachers_from": str(tmp_path / "teachers.pt")}, model)
    with pytest.raises(RuntimeError, match="never read"):
        unread.loss_terms(step_context(model, tiny_batch(model), epoch=0))


def test_umt_trains_end_to_end_teachers_then_student(tmp_path):
    train_briefly(tmp_path, "umt", {"teacher_epochs": 1}, modalities=("a", "b", "c"))
