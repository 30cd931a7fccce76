"""mcr against the authors' released semantics (kkontras/MCR), recomputed here in plain torch.

The reference builds every named prediction of the released code (sa_detv, sa_deta, …; for three
modalities enc{i}_p{T}) from per-modality summands W_m z_m with the other summands detached, compares each
with the live clean logits by the released JSD (KL terms with reduction "batchmean"), and combines them
as the released regularisers do; NT-Xent is a loop over positive pairs. Permutations are fixed tensors.
The routed variant (route_clean_side=True) routes the clean logits of player i's terms to i as well.
Differences are relative to the largest magnitude of the reference: max |ours − ref| / max |ref|.
"""

from itertools import combinations

import pytest
import torch
import torch.nn.functional as F

from core.mi.estimators import nt_xent, permute_modalities, supervised_nt_xent
from core.models.multimodal import ModelOutput
from core.strategies import create_strategy
from core.strategies.base import StepContext
from core.strategies.mcr import mipd_game
from tests.strategies.helpers import tiny_batch, tiny_model

TOLERANCE = 1e-5
GAMES = ("greedy", "independent", "collaborative")
K = 3


def relative_difference(ours: torch.Tensor, reference: torch.Tensor, scale: float | None = None) -> float:
    ours, reference = ours.detach(), reference.detach()
    scale = float(reference.abs().max()) if scale is None else scale
    return float((ours - reference).abs().max()) / scale


def released_jsd(p_logits: torch.Tensor, q_logits: torch.Tensor) -> torch.Tensor:
    """½[KL(p‖m) + KL(q‖m)], each KL summed over classes and divided by the number of rows."""
    p, q = F.softmax(p_logits, dim=1), F.softmax(q_logits, dim=1)
    log_m = (0.5 * (p + q)).clamp(1e-20, 1).log()
    p, q = p.clamp(1e-20, 1), q.clamp(1e-20, 1)
    return 0.5 * (F.kl_div(log_m, p, reduction="batchmean") + F.kl_div(log_m, q, reduction="batchmean"))


def fixed_permutations(batch: int, modalities: int, seed: int) -> torch.Tensor:
    """[K, M, B]: one permutation per copy and modality, as the released 3-modality code draws them."""
    generator = torch.Generator().manual_seed(seed)
    return torch.stack([torch.stack([torch.randperm(batch, generator=generator) for _ in range(modalities)])
                        for _ in range(K)])  # fmt: skip


class Released:
    """The released game on features z [B, M, d] and head (W [C, M·d], b), with K fixed permutations."""

    def __init__(self, model, z: torch.Tensor, permutations: torch.Tensor, route_clean_side: bool) -> None:
        m, d, copies = z.shape[1], z.shape[2], len(permutations)
        weight, self.bias = model.fusion.weight, model.fusion.bias
        # per-modality summands, the K copies stacked along the rows as the released code concatenates them
        self.normal = [torch.cat([z[:, j] @ weight[:, j * d : (j + 1) * d].T] * copies) for j in range(m)]
        self.shuffled = [
            torch.cat([z[permutations[k, j], j] @ weight[:, j * d : (j + 1) * d].T for k in range(copies)])
            for j in range(m)
        ]
        self.modalities = range(m)
        self.route_clean_side = route_clean_side

    def logits(self, permuted: tuple[int, ...], player: int | None, clean: bool = False) -> torch.Tensor:
        """Σ_m (shuffled_m if m ∈ permuted else normal_m) + b, each summand detached unless m is the player
        (None: all live)."""
        total = self.bias
        for j in self.modalities:
            summand = self.normal[j] if clean or j not in permuted else self.shuffled[j]
            total = total + (summand if player in (None, j) else summand.detach())
        return total

    def term(self, player: int | None, permuted: tuple[int, ...]) -> torch.Tensor:
        """J of the prediction with ``permuted`` shuffled, gradient to ``player`` (released: enc{i}_p{T})."""
        routed = self.route_clean_side and player is not None
        clean = self.logits((), player if routed else None, clean=True)
        return released_jsd(self.logits(permuted, player), clean)


def released_two_modalities(ref: Released, game: str) -> torch.Tensor:
    """Bias_Infusion_MCR.before_backward: regby 'greedy', 'ind', 'colab'."""
    sa_detv, sa_deta = ref.term(0, (0,)), ref.term(1, (0,))  # enc0_p0, enc1_p0
    sv_deta, sv_detv = ref.term(1, (1,)), ref.term(0, (1,))  # enc1_p1, enc0_p1
    if game == "greedy":
        return -sa_detv + sa_deta - sv_deta + sv_detv
    if game == "independent":
        return -sa_detv - sv_deta
    return -ref.term(None, (0,)) - ref.term(None, (1,))


def released_three_modalities(ref: Released, game: str) -> torch.Tensor:
    """Bias_Infusion_MCR3D.before_backward: 'dist_pred_cjsd' (greedy), 'dist_pred_max_cjsd' (independent)
    and 'dist_pred_all_max_cjsd' (collaborative, with the six subsets once each: the released code sums
    all_p0 three times in place of all_p0 + all_p1 + all_p2)."""
    subsets = [s for r in (1, 2) for s in combinations(range(3), r)]
    if game == "collaborative":
        return -sum(ref.term(None, s) for s in subsets)
    own = sum(ref.term(i, s) for i in range(3) for s in subsets if i in s)  # reg_term_0 + _1 + _2
    other = sum(ref.term(i, s) for i in range(3) for s in subsets if i not in s)  # reg_term_*_min
    return -own + other if game == "greedy" else -own


def released_game(ref: Released, game: str, modalities: int) -> torch.Tensor:
    return (released_two_modalities if modalities == 2 else released_three_modalities)(ref, game)


def released_nt_xent(features: torch.Tensor, labels: torch.Tensor, temperature: float) -> torch.Tensor:
    """nt_xent_loss: normalise each modality, stack [z_0; z_1; …], NTXentLoss(τ); one positive pair at a
    time."""
    rows = torch.cat([F.normalize(features[:, j], dim=1) for j in range(features.shape[1])])
    row_labels = labels.repeat(features.shape[1])
    similarity = F.normalize(rows, dim=1) @ F.normalize(rows, dim=1).T / temperature
    losses = []
    for a in range(len(rows)):
        negatives = similarity[a][row_labels != row_labels[a]].exp().sum()
        for p in range(len(rows)):
            if p != a and row_labels[p] == row_labels[a]:
                positive = similarity[a, p].exp()
                losses.append(-torch.log(positive / (positive + negatives)))
    return torch.stack(losses).mean()


def setting(modalities: int, seed: int):
    """Model and latents in float64: in float32 the JSD's cancellation alone leaves relative errors ~1e-5."""
    model = tiny_model(tuple("abc"[:modalities]), seed=seed)
    batch = tiny_batch(model, size=10, seed=seed + 1)
    z = model.encode(batch.inputs).detach().double().requires_grad_(True)
    return model.double(), batch, z


def grads(loss: torch.Tensor, *tensors: torch.Tensor) -> list[torch.Tensor]:
    return list(torch.autograd.grad(loss, tensors, retain_graph=True))


@pytest.mark.parametrize("modalities", [2, 3])
@pytest.mark.parametrize("game", GAMES)
@pytest.mark.parametrize("route_clean_side", [False, True])
@pytest.mark.parametrize("detach_mode", ["summand", "features"])
def test_game_value_and_gradients_match_the_released_formulas(
    modalities, game, route_clean_side, detach_mode
):
    model, batch, z = setting(modalities, seed=3)
    permutations = fixed_permutations(len(batch.labels), modalities, seed=7)
    ours_permutations = permutations
    if modalities == 2:  # the released two-modality code shuffles both modalities with one index: [K, B]
        ours_permutations = permutations[:, 0]
        permutations = ours_permutations[:, None].expand(-1, 2, -1)
    reference = released_game(Released(model, z, permutations, route_clean_side), game, modalities)
    ours, unique = mipd_game(model, z, ours_permutations, game, detach_mode, route_clean_side)

    singles = torch.stack(
        [Released(model, z, permutations, False).term(None, (j,)) for j in range(modalities)]
    )
    # the greedy value is 0 for two modalities: measured against the size of its terms
    assert relative_difference(ours, reference, float(singles.detach().sum())) <= TOLERANCE
    assert relative_difference(unique, singles.detach()) <= TOLERANCE
    feature_grad, reference_feature_grad = grads(ours, z)[0], grads(reference, z)[0]
    for j in range(modalities):  # each encoder's features
        assert reference_feature_grad[:, j].abs().max() > 0
        assert relative_difference(feature_grad[:, j], reference_feature_grad[:, j]) <= TOLERANCE
    if detach_mode == "summand":  # the released code detaches summands: the head's gradients agree too
        head = (model.fusion.weight, model.fusion.bias)
        scale = float(reference_feature_grad.abs().max())  # the bias gradient is 0 in greedy for M = 2
        for ours_grad, reference_grad in zip(grads(ours, *head), grads(reference, *head), strict=True):
            assert (
                relative_difference(ours_grad, reference_grad, max(scale, reference_grad.abs().max()))
                <= TOLERANCE
            )


def test_clean_side_routing_changes_the_gradient_not_the_value():
    """The switch is not a no-op: independent game, two modalities."""
    model, batch, z = setting(2, seed=3)
    permutations = fixed_permutations(len(batch.labels), 1, seed=7)[:, 0]
    released, _ = mipd_game(model, z, permutations, "independent")
    routed, _ = mipd_game(model, z, permutations, "independent", route_clean_side=True)
    torch.testing.assert_close(released, routed)
    assert relative_difference(grads(routed, z)[0], grads(released, z)[0]) > 1e-2


def test_normalised_game_is_the_released_sum_over_three_for_three_modalities():
    model, batch, z = setting(3, seed=5)
    permutations = fixed_permutations(len(batch.labels), 3, seed=9)
    plain, _ = mipd_game(model, z, permutations, "greedy")
    normalised, _ = mipd_game(model, z, permutations, "greedy", normalise=True)
    torch.testing.assert_close(normalised, plain / 3)
    torch.testing.assert_close(grads(normalised, z)[0], grads(plain, z)[0] / 3)


def test_permute_modalities_moves_each_modality_by_its_own_permutation():
    values = torch.arange(3 * 2).view(3, 2) * 10  # value[b, m] = 20 b + 10 m
    permutations = torch.tensor([[[2, 0, 1], [1, 2, 0]]])  # K = 1, M = 2, B = 3
    assert permute_modalities(values, permutations).tolist() == [[[40, 30], [0, 50], [20, 10]]]
    assert permute_modalities(values, permutations[:, 0]).tolist() == [[[40, 50], [0, 10], [20, 30]]]
    with pytest.raises(ValueError, match=r"\[K, B\] or \[K, 2, B\]"):
        permute_modalities(values, torch.zeros(1, 3, 3, dtype=torch.long))


@pytest.mark.parametrize("modalities", [2, 3])
def test_nt_xent_matches_the_released_loop(modalities):
    _, batch, z = setting(modalities, seed=11)
    ours, reference = nt_xent(z, batch.labels, 0.5), released_nt_xent(z, batch.labels, 0.5)
    assert relative_difference(ours, reference) <= TOLERANCE
    assert relative_difference(grads(ours, z)[0], grads(reference, z)[0]) <= TOLERANCE
    assert relative_difference(supervised_nt_xent(z, batch.labels, 0.5), reference) > 1e-2


def test_nt_xent_matches_pytorch_metric_learning():
    losses = pytest.importorskip("pytorch_metric_learning.losses")
    _, batch, z = setting(3, seed=13)
    rows = torch.cat([F.normalize(z[:, j], dim=1) for j in range(3)])
    for temperature in (0.5, 0.1):
        reference = losses.NTXentLoss(temperature=temperature)(rows, batch.labels.repeat(3))
        ours = nt_xent(z, batch.labels, temperature)
        assert relative_difference(ours, reference) <= TOLERANCE
        assert relative_difference(grads(ours, z)[0], grads(reference, z)[0]) <= TOLERANCE


def test_nt_xent_without_negatives_is_zero():
    z = torch.randn(4, 2, 3, requires_grad=True)
    loss = nt_xent(z, torch.zeros(4, dtype=torch.long))
    assert loss.item() == 0.0 and grads(loss, z)[0].abs().max() == 0


@pytest.mark.parametrize("modalities", [2, 3])
def test_default_loss_and_feature_gradients_match_the_released_objective(modalities):
    model, batch, z = setting(modalities, seed=17)
    strategy = create_strategy("mcr", {"game": "independent", "lambda_uni": 0.5}, model)
    permutations = fixed_permutations(len(batch.labels), modalities, seed=19)
    permutations = permutations[:, 0] if modalities == 2 else permutations
    strategy.draw_permutations = lambda *_: permutations  # inject the fixed permutations
    output = ModelOutput(z, model.fuse(z), model.unimodal(z))
    ours = strategy.loss_terms(StepContext(model, batch, output, 0, 0))["loss"]

    per_modality = permutations[:, None].expand(-1, 2, -1) if modalities == 2 else permutations
    game = released_game(Released(model, z, per_modality, False), "independent", modalities)
    ce = F.cross_entropy(model.fuse(z), batch.labels)
    uni = sum(F.cross_entropy(model.unimodal(z)[:, j], batch.labels) for j in range(modalities))
    reference = ce + 0.5 * uni + 0.1 * game + released_nt_xent(z, batch.labels, 0.5)
    assert relative_difference(ours, reference) <= TOLERANCE
    assert relative_difference(grads(ours, z)[0], grads(reference, z)[0]) <= TOLERANCE
