"""`mcr`: the Multimodal Competition Regularizer (Kontras et al., NeurIPS 2025; docs/methods.md, mcr)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from core.mi.estimators import (
    jensen_shannon,
    nt_xent,
    permutation_indices,
    permute_modalities,
    supervised_nt_xent,
)
from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param
from core.strategies.unimodal_heads import unimodal_cross_entropies, unimodal_terms
from core.valuation.result import coalition_members

GAMES = ("greedy", "independent", "collaborative")
DETACH_MODES = ("summand", "features")
CONTRASTIVE = ("ntxent", "supcon")
SUBSET_PERMUTATIONS = ("per-modality", "joint")


@dataclass(frozen=True)
class MCRParams:
    """Defaults of the paper's from-scratch ResNet setting (CREMA-D): K = 32, λ_M = 0.1, λ_uni = 0.01,
    greedy game, L_Con with weight 1 and temperature 0.5, L_CEB off (the paper enables it, weight 1, only
    for encoders with large self-supervised pre-training). The game's gradient routing, L_Con's form, the
    scale of the game for M > 2 and the subset permutations follow the authors' released code; the four
    switches below select the earlier ModaLens variants (docs/methods.md, section mcr)."""

    permutations: int = field(default=32, metadata={"help": "K, latent permutations of the batch per step"})
    lambda_m: float = field(default=0.1, metadata={"help": "λ_M, weight of the permutation game L_MIPD"})
    game: str = field(
        default="greedy",
        metadata={"help": "'greedy' (k=-1, paper default), 'independent' (k=0) or 'collaborative' (k=+1)"},
    )
    lambda_uni: float = field(
        default=0.01, metadata={"help": "λ_uni, weight of the unimodal-head cross-entropies"}
    )
    lambda_con: float = field(default=1.0, metadata={"help": "λ_Con, weight of the contrastive term L_Con"})
    temperature: float = field(default=0.5, metadata={"help": "temperature τ of the contrastive term"})
    lambda_ceb: float = field(
        default=0.0, metadata={"help": "λ_CEB, weight of the CEB reconstruction term (0: off)"}
    )
    detach_mode: str = field(
        default="summand",
        metadata={
            "help": "gradient routing: 'summand' (detach W_j z_j, additive head) or 'features' (detach z_j)"
        },
    )
    route_clean_side: bool = field(
        default=False,
        metadata={
            "help": "False (released code): the clean logits of every JSD term stay live for all modalities; "
            "True: they are routed to the term's player like the permuted logits"
        },
    )
    contrastive: str = field(
        default="ntxent",
        metadata={
            "help": "'ntxent' (released code: NT-Xent over positive pairs, negatives only in the "
            "denominator) or 'supcon' (supervised contrastive, mean over each anchor's positives)"
        },
    )
    normalise_game: bool = field(
        default=False,
        metadata={
            "help": "False (released code): the game is the plain sum of its terms; True: divided by "
            "2^(M-1) - 1, the number of own subsets per player (no effect for two modalities)"
        },
    )
    subset_permutation: str = field(
        default="per-modality",
        metadata={
            "help": "'per-modality' (released code: each modality of a permuted subset follows its own "
            "permutation) or 'joint' (a subset's rows move together); no effect for two modalities"
        },
    )

    def __post_init__(self) -> None:
        check_param("mcr", "permutations", self.permutations >= 1, "an integer >= 1", self.permutations)
        check_param("mcr", "game", self.game in GAMES, f"one of {GAMES}", self.game)
        check_param(
            "mcr", "detach_mode", self.detach_mode in DETACH_MODES, f"one of {DETACH_MODES}", self.detach_mode
        )
        check_param(
            "mcr", "contrastive", self.contrastive in CONTRASTIVE, f"one of {CONTRASTIVE}", self.contrastive
        )
        check_param(
            "mcr",
            "subset_permutation",
            self.subset_permutation in SUBSET_PERMUTATIONS,
            f"one of {SUBSET_PERMUTATIONS}",
            self.subset_permutation,
        )
        check_param("mcr", "temperature", self.temperature > 0, "a number > 0", self.temperature)
        for key in ("lambda_m", "lambda_uni", "lambda_con", "lambda_ceb"):
            check_param("mcr", key, getattr(self, key) >= 0, "a weight >= 0", getattr(self, key))


def game_weights(members: np.ndarray, game: str) -> tuple[np.ndarray, np.ndarray]:
    """For each subset T (rows of ``members`` [T, M]): the weight of ∂J(T)/∂(player i) [T, M] and the weight
    of J(T) in the game's value [T].

    Routed games: player i weighs J(T) by −1 if i ∈ T (own), by +1 (greedy) or 0 (independent) if not;
    the value weight is the sum over players. Collaborative: −1 for everything, nothing routed.
    """
    if game == "collaborative":
        return -np.ones(members.shape), -np.ones(len(members))
    weights = np.where(members, -1.0, 1.0 if game == "greedy" else 0.0)
    return weights, weights.sum(1)


def route(values: torch.Tensor, player: int) -> torch.Tensor:
    """The same values [..., M, X], with the gradient flowing only through modality ``player`` (dim −2)."""
    live = torch.zeros(values.shape[-2], 1, dtype=values.dtype, device=values.device)
    live[player] = 1
    frozen = values.detach()
    return frozen + live * (values - frozen)


def _summand_terms(
    model: MultimodalModel,
    features: torch.Tensor,
    permutations: torch.Tensor,
    members: np.ndarray,
    game: str,
    route_clean_side: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Additive head, all subsets at once: J(T) is evaluated once per subset on logits whose value is the
    true perturbed prediction and whose gradient to summand W_i z_i (and to b) carries player i's weight —
    the same gradient as the sum of the per-player routed terms, at a fraction of the cost. The clean side
    carries player i's weight on W_i z_i when routed, else the subset's total weight on every summand."""
    grad_weights, value_weights = game_weights(members, game)
    summands = model.modality_logits(features)
    bias = model.fusion.bias
    permuted = permute_modalities(summands, permutations)
    frozen, frozen_permuted, frozen_bias = summands.detach(), permuted.detach(), bias.detach()
    inside, grad_w, value_w = (
        torch.as_tensor(a, dtype=summands.dtype, device=summands.device)
        for a in (members, grad_weights, value_weights)
    )
    clean_w = grad_w if route_clean_side else value_w[:, None].expand_as(grad_w)

    # zero-valued tensors that carry the gradient, weighted per subset below
    live = summands - frozen
    live_permuted = permuted - frozen_permuted
    live_bias = bias - frozen_bias
    clean_value = frozen.sum(1) + frozen_bias
    clean = clean_value + torch.einsum("tm,bmc->tbc", clean_w, live) + value_w[:, None, None] * live_bias
    perturbed = (
        clean_value
        + torch.einsum("tm,kbmc->tkbc", inside, frozen_permuted - frozen)
        + torch.einsum("tm,kbmc->tkbc", grad_w * inside, live_permuted)
        + torch.einsum("tm,bmc->tbc", grad_w * (1 - inside), live)[:, None]
        + value_w[:, None, None, None] * live_bias
    )
    divergence = jensen_shannon(clean[:, None], perturbed).mean(dim=(1, 2))
    value = divergence.detach()
    weighted = value_w.to(value.dtype) * value + (divergence - value)
    return weighted, value


def _routed_feature_terms(
    model: MultimodalModel,
    features: torch.Tensor,
    permutations: torch.Tensor,
    members: np.ndarray,
    game: str,
    route_clean_side: bool,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Any fusion head: per subset and player, re-evaluate the head with the other modalities' features
    detached on the permuted side, and on the clean side too when routed (the head's own parameters stay
    live in every term)."""
    grad_weights, _ = game_weights(members, game)
    permuted = permute_modalities(features, permutations)

    def head(values: torch.Tensor) -> torch.Tensor:
        return model.fuse(values.reshape(-1, *values.shape[-2:])).view(*values.shape[:-2], -1)

    clean: dict[int, torch.Tensor] = {}
    weighted, values = [], []
    for t, members_t in enumerate(members):
        mixed = torch.where(
            torch.as_tensor(members_t, device=features.device).view(-1, 1), permuted, features
        )
        if game == "collaborative":
            divergence = jensen_shannon(head(features), head(mixed)).mean()
            weighted.append(-divergence)
            values.append(divergence.detach())
            continue
        player_terms = []
        for player in map(int, np.flatnonzero(grad_weights[t])):
            key = player if route_clean_side else -1
            if key not in clean:
                clean[key] = head(route(features, player) if route_clean_side else features)
            divergence = jensen_shannon(clean[key], head(route(mixed, player))).mean()
            player_terms.append(float(grad_weights[t, player]) * divergence)
        weighted.append(torch.stack(player_terms).sum())
        values.append(divergence.detach())  # the same value for every player
    return torch.stack(weighted), torch.stack(values)


def mipd_game(
    model: MultimodalModel,
    features: torch.Tensor,
    permutations: torch.Tensor,
    game: str = "greedy",
    detach_mode: str = "summand",
    route_clean_side: bool = False,
    normalise: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The game loss L_game / λ_M and, detached, Û_m = J(permute modality m alone) for every m.

    For every proper non-empty subset T of modalities the rows of T's latents are permuted (``permutations``
    [K, B]: together; [K, M, B]: each modality by its own) and J_i(T) = JSD(f(Z), f(Z with T permuted)),
    averaged over the B·K rows, with the permuted side's gradient routed to player i only. The clean side
    f(Z) is routed to player i as well when ``route_clean_side``, else it stays live for every modality.
    Player i's own terms are the subsets containing i, its other terms the subsets excluding i:
      greedy        Σ_i (−own_i + other_i)   (forward value Σ_T (M − 2|T|)·J(T): exactly 0 for M = 2)
      independent   −Σ_i own_i
      collaborative −Σ_T J(T), nothing detached.
    For M = 2 greedy this is the paper's −J(a1) + J(a2) − J(v2) + J(v1); with a live clean side its
    clean-side gradients cancel there. Each player has 2^(M−1) − 1 own and as many other subsets; with
    ``normalise`` the sum is divided by that number (1 for M = 2).
    """
    num_modalities = features.shape[-2]
    members = coalition_members(num_modalities)[1:-1]
    terms = _summand_terms if detach_mode == "summand" else _routed_feature_terms
    weighted, values = terms(model, features, permutations, members, game, route_clean_side)
    singles = [2**m - 1 for m in range(num_modalities)]  # row of subset {m}: bitmask 2^m, minus the empty set
    scale = 2 ** (num_modalities - 1) - 1 if normalise else 1
    return weighted.sum() / scale, values[singles]


CONTRASTIVE_LOSSES = {"ntxent": nt_xent, "supcon": supervised_nt_xent}


class CEBHead(nn.Sequential):
    """h: detached fused logits [B, C] → Linear(C→d) → ReLU → Linear(d→M·d), predicting [Z_1, …, Z_M]."""

    def __init__(self, num_classes: int, feature_dim: int, num_modalities: int) -> None:
        super().__init__(
            nn.Linear(num_classes, feature_dim),
            nn.ReLU(),
            nn.Linear(feature_dim, num_modalities * feature_dim),
        )


@STRATEGIES.register
class MCR(Strategy):
    """L = CE(fused) + λ_uni Σ_m CE(head m) + λ_M L_game + λ_Con L_Con + λ_CEB L_CEB, from ONE encoder pass:
    the permutations act on the latents of that pass (B·K rows), never on the inputs. The game uses the
    features as the fused head saw them (absent modalities of re-sampled copies zeroed); L_Con and L_CEB use
    the encoders' latents. Logged: ``mcr/J/<m>`` (Û_m), ``mcr/L_con``, ``mcr/L_ceb`` when on; the game's
    value itself is not logged (for two modalities and greedy it is identically 0)."""

    name = "mcr"
    summary = "Multimodal Competition Regularizer: latent-permutation game + contrastive (+ CEB) terms."
    Params = MCRParams

    def trains_unimodal_heads(self, epoch: int) -> bool:
        return self.params.lambda_uni > 0

    def __init__(self, params: MCRParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'mcr' needs at least two modalities")
        self.ceb = (
            CEBHead(model.num_classes, model.feature_dim, model.num_modalities)
            if params.lambda_ceb > 0
            else None
        )

    def extra_modules(self) -> dict[str, nn.Module]:
        return {"ceb": self.ceb} if self.ceb is not None else {}

    def draw_permutations(self, batch_size: int, device: torch.device) -> torch.Tensor:
        """K permutations of the batch: [K, B], or [K, M, B] for per-modality subset permutations (M > 2)."""
        count, modalities = self.params.permutations, len(self.modalities)
        if self.params.subset_permutation == "joint" or modalities == 2:
            return permutation_indices(batch_size, count, device)
        return permutation_indices(batch_size, count * modalities, device).view(count, modalities, -1)

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        p, model, batch, output = self.params, ctx.model, ctx.batch, ctx.output
        ce = F.cross_entropy(output.logits, batch.labels)
        uni = unimodal_cross_entropies(output, batch.labels, batch.keep)
        permutations = self.draw_permutations(len(batch.labels), output.features.device)
        fused_features = model.mask_features(output.features, batch.keep)
        game, own = mipd_game(
            model, fused_features, permutations, p.game, p.detach_mode, p.route_clean_side, p.normalise_game
        )
        contrastive = CONTRASTIVE_LOSSES[p.contrastive](output.features, batch.labels, p.temperature)
        loss = ce + p.lambda_uni * uni.sum() + p.lambda_m * game + p.lambda_con * contrastive
        terms = {
            "loss/ce": ce.detach(),
            **unimodal_terms(self.modalities, uni),
            "mcr/L_con": contrastive.detach(),
        }
        terms.update({f"mcr/J/{m}": own[j] for j, m in enumerate(self.modalities)})
        if self.ceb is not None:
            reconstruction = self.ceb(output.logits.detach())
            ceb = F.mse_loss(reconstruction.float(), output.features.flatten(1).float())
            loss = loss + p.lambda_ceb * ceb
            terms["mcr/L_ceb"] = ceb.detach()
        return {"loss": loss, **terms}
