"""mcr: one encoder pass, greedy game with forward value 0, the earlier routing (clean side routed, game
normalised) kept behind its switches, L_Con in both forms, L_CEB. The released-code defaults are checked
term by term in test_mcr_fidelity.py."""

import math

import pytest
import torch
import torch.nn.functional as F

from core.mi.estimators import jensen_shannon, nt_xent, permutation_indices, supervised_nt_xent
from core.strategies import create_strategy
from core.strategies.mcr import mipd_game
from tests.strategies.helpers import step_context, tiny_batch, tiny_model, train_step


def plain_jsd(model, features, permutations, permuted_modalities):
    """J(T): JSD between f(Z) and f(Z with the modalities in T row-permuted), nothing detached."""
    k, b = permutations.shape
    mixed = features.expand(k, *features.shape).clone()
    for j in permuted_modalities:
        mixed[:, :, j] = features[permutations, j]
    perturbed = model.fuse(mixed.flatten(0, 1)).view(k, b, -1)
    return jensen_shannon(model.fuse(features), perturbed).mean()


def encoder_grads(model, loss, modality):
    params = list(model.encoders[modality].parameters())
    return torch.cat([g.flatten() for g in torch.autograd.grad(loss, params, retain_graph=True)])


def setting(modalities=("a", "b"), seed=0):
    model = tiny_model(modalities, seed=seed)
    batch = tiny_batch(model, seed=seed + 1)
    features = model.encode(batch.inputs)
    permutations = permutation_indices(len(batch.labels), 8, "cpu", torch.Generator().manual_seed(seed))
    return model, features, permutations


@pytest.mark.parametrize("detach_mode", ["summand", "features"])
def test_greedy_game_is_zero_forward_and_routes_own_and_other_terms(detach_mode):
    model, z, perms = setting()
    game, own = mipd_game(model, z, perms, "greedy", detach_mode, route_clean_side=True)
    assert game.item() == 0.0
    j_a, j_b = plain_jsd(model, z, perms, [0]), plain_jsd(model, z, perms, [1])
    torch.testing.assert_close(own, torch.stack([j_a, j_b]).detach())
    # encoder 1 gets the gradient of −J(a1) + J(v1), encoder 2 that of −J(v2) + J(a2)
    grad_a = encoder_grads(model, game, "a")
    grad_b = encoder_grads(model, game, "b")
    torch.testing.assert_close(grad_a, encoder_grads(model, -j_a + j_b, "a"))
    torch.testing.assert_close(grad_b, encoder_grads(model, -j_b + j_a, "b"))
    assert grad_a.norm() > 0 and grad_b.norm() > 0
    # the sign structure: each player pushes its own unique term up, the other's down
    assert torch.dot(grad_a, encoder_grads(model, j_a, "a") - encoder_grads(model, j_b, "a")) < 0


@pytest.mark.parametrize("detach_mode", ["summand", "features"])
def test_independent_and_collaborative_games(detach_mode):
    model, z, perms = setting(seed=2)
    j_a, j_b = plain_jsd(model, z, perms, [0]), plain_jsd(model, z, perms, [1])
    independent, _ = mipd_game(model, z, perms, "independent", detach_mode, route_clean_side=True)
    torch.testing.assert_close(independent, -(j_a + j_b))
    torch.testing.assert_close(encoder_grads(model, independent, "a"), encoder_grads(model, -j_a, "a"))
    torch.testing.assert_close(encoder_grads(model, independent, "b"), encoder_grads(model, -j_b, "b"))
    collaborative, _ = mipd_game(model, z, perms, "collaborative", detach_mode, route_clean_side=True)
    torch.testing.assert_close(collaborative, -(j_a + j_b))
    for m in ("a", "b"):
        torch.testing.assert_close(
            encoder_grads(model, collaborative, m), encoder_grads(model, -(j_a + j_b), m)
        )


@pytest.mark.parametrize("detach_mode", ["summand", "features"])
def test_three_modalities_play_over_subsets(detach_mode):
    model, z, perms = setting(("a", "b", "c"), seed=4)
    game, unique = mipd_game(model, z, perms, "greedy", detach_mode, route_clean_side=True, normalise=True)
    jsd = {t: plain_jsd(model, z, perms, t) for t in [(0,), (1,), (2,), (0, 1), (0, 2), (1, 2)]}
    # Σ_i (−own_i + other_i): a singleton is "other" for two players, a pair is "own" for two
    singles, pairs = jsd[(0,)] + jsd[(1,)] + jsd[(2,)], jsd[(0, 1)] + jsd[(0, 2)] + jsd[(1, 2)]
    torch.testing.assert_close(game, (singles - pairs) / 3)
    own = jsd[(0,)] + jsd[(0, 1)] + jsd[(0, 2)]
    other = jsd[(1,)] + jsd[(2,)] + jsd[(1, 2)]
    torch.testing.assert_close(encoder_grads(model, game, "a"), encoder_grads(model, (other - own) / 3, "a"))
    torch.testing.assert_close(unique, torch.stack([jsd[(0,)], jsd[(1,)], jsd[(2,)]]).detach())


def test_one_encoder_pass_per_step():
    model = tiny_model()
    calls = {m: 0 for m in model.modalities}
    for m, encoder in model.encoders.items():
        encoder.register_forward_hook(lambda *_, m=m: calls.__setitem__(m, calls[m] + 1))
    strategy = create_strategy("mcr", {"lambda_ceb": 1.0}, model)
    extras = torch.nn.ModuleDict(strategy.extra_modules())
    optimizer = torch.optim.Adam(list(model.parameters()) + list(extras.parameters()), lr=1e-3)
    train_step(strategy, model, tiny_batch(model), optimizer)
    assert calls == {"a": 1, "b": 1}


@pytest.mark.parametrize(
    ("values", "contrastive"), [({}, nt_xent), ({"contrastive": "supcon"}, supervised_nt_xent)]
)
def test_total_loss_and_logged_terms(values, contrastive):
    model = tiny_model()
    batch = tiny_batch(model)
    strategy = create_strategy("mcr", {"lambda_uni": 0.5, "lambda_con": 0.25, **values}, model)
    ctx = step_context(model, batch)
    terms = strategy.loss_terms(ctx)
    uni = sum(F.cross_entropy(ctx.output.unimodal_logits[:, j], batch.labels) for j in range(2))
    con = contrastive(ctx.output.features, batch.labels, 0.5)
    assert not torch.allclose(
        nt_xent(ctx.output.features, batch.labels), supervised_nt_xent(ctx.output.features, batch.labels)
    )
    expected = F.cross_entropy(ctx.output.logits, batch.labels) + 0.5 * uni + 0.25 * con  # greedy game: 0
    torch.testing.assert_close(terms["loss"], expected)
    assert {"mcr/J/a", "mcr/J/b", "mcr/L_con"} <= set(terms) and "mcr/L_ceb" not in terms
    assert not any("game" in key for key in terms)
    assert all(math.isfinite(float(v.detach())) for v in terms.values())
    assert strategy.extra_modules() == {}


def test_ceb_head_is_an_extra_module_trained_on_detached_logits():
    model = tiny_model()
    strategy = create_strategy("mcr", {"lambda_ceb": 1.0, "lambda_m": 0.0, "lambda_con": 0.0}, model)
    head = strategy.extra_modules()["ceb"]
    ctx = step_context(model, tiny_batch(model))
    terms = strategy.loss_terms(ctx)
    assert terms["mcr/L_ceb"] > 0
    strategy.backward(ctx, terms)
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in head.parameters())
    assert head[-1].out_features == 2 * model.feature_dim


def test_mcr_needs_two_modalities():
    with pytest.raises(ValueError, match="two modalities"):
        create_strategy("mcr", {}, tiny_model(("a",)))
