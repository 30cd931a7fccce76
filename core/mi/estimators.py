"""Building blocks shared by the MI-term curves and the MCR regulariser: latent permutations, bounded
JSD, the two contrastive losses. One implementation, used with gradients (MCR) and without (curves)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

PROBABILITY_FLOOR = 1e-7


def widened(values: torch.Tensor) -> torch.Tensor:
    """``values`` in float32 at least (half precision is widened, float64 kept)."""
    return values.to(torch.promote_types(values.dtype, torch.float32))


def permutation_indices(
    batch_size: int, count: int, device: torch.device | str, generator: torch.Generator | None = None
) -> torch.Tensor:
    """``count`` independent uniformly random permutations of ``range(batch_size)``: int64 [count, B]."""
    draw_device = generator.device if generator is not None else torch.device(device)
    keys = torch.rand(count, batch_size, generator=generator, device=draw_device)
    return keys.argsort(dim=1).to(device)


def permute_rows(values: torch.Tensor, permutations: torch.Tensor) -> torch.Tensor:
    """Rows of ``values`` [B, ...] re-ordered by each permutation: [K, B, ...]."""
    return values[permutations]


def permute_modalities(values: torch.Tensor, permutations: torch.Tensor) -> torch.Tensor:
    """Rows of ``values`` [B, M, ...] re-ordered per modality: [K, B, M, ...].

    ``permutations`` is [K, B] (every modality moves with the same permutation) or [K, M, B] (modality m
    follows its own permutation ``permutations[:, m]``).
    """
    if permutations.dim() == 2:
        return permute_rows(values, permutations)
    if permutations.dim() != 3 or permutations.shape[1] != values.shape[1]:
        raise ValueError(
            f"permute_modalities: permutations must be [K, B] or [K, {values.shape[1]}, B], "
            f"got {list(permutations.shape)}"
        )
    modality = torch.arange(values.shape[1], device=values.device)
    return values[permutations.transpose(1, 2), modality]


def jensen_shannon(p_logits: torch.Tensor, q_logits: torch.Tensor) -> torch.Tensor:
    """Per-row JSD between softmax(p_logits) and softmax(q_logits), summed over classes (last dim), in nats,
    computed in float32 or wider.

    Probabilities are clamped away from 0 before the log; the shapes broadcast against each other.
    """
    p = F.softmax(widened(p_logits), dim=-1).clamp_min(PROBABILITY_FLOOR)
    q = F.softmax(widened(q_logits), dim=-1).clamp_min(PROBABILITY_FLOOR)
    log_mid = ((p + q) / 2).log()
    kl_p = (p * (p.log() - log_mid)).sum(-1)
    kl_q = (q * (q.log() - log_mid)).sum(-1)
    return (kl_p + kl_q) / 2


def true_class_log_prob(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """log p(y | logits) for logits [..., B, C] and labels [B]: [..., B]."""
    log_probs = F.log_softmax(widened(logits), dim=-1)
    index = labels.expand(log_probs.shape[:-1]).unsqueeze(-1)
    return log_probs.gather(-1, index).squeeze(-1)


def _stacked_rows(features: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """L2-normalised latents of every modality stacked modality by modality ([B, M, d] → [M·B, d]) and
    their labels [M·B]."""
    batch, modalities = features.shape[:2]
    rows = F.normalize(widened(features).transpose(0, 1).reshape(modalities * batch, -1), dim=-1)
    return rows, labels.repeat(modalities)


def nt_xent(features: torch.Tensor, labels: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """NT-Xent with labels over the stacked latents, as pytorch-metric-learning's ``NTXentLoss`` computes it.

    Rows: the L2-normalised latents of every modality ([B, M, d] → M·B rows), labels repeated. Every ordered
    pair (a, p), a ≠ p, with the same label is a positive pair; the rows with another label are a's
    negatives. Each positive pair costs −log(e^{s_ap/τ} / (e^{s_ap/τ} + Σ_n e^{s_an/τ})) with s the cosine
    similarity; the loss is the mean over positive pairs, and 0 when there is no positive or no negative
    pair.
    """
    rows, row_labels = _stacked_rows(features, labels)
    similarity = rows @ rows.T / temperature
    same = row_labels[:, None] == row_labels[None, :]
    positives = same & ~torch.eye(len(rows), dtype=torch.bool, device=rows.device)
    if not positives.any() or same.all():
        return similarity.sum() * 0
    negatives_lse = similarity.masked_fill(same, float("-inf")).logsumexp(dim=1, keepdim=True)
    pair_losses = F.softplus(negatives_lse - similarity)  # −log(e^s / (e^s + Σ_n e^{s_n}))
    return pair_losses[positives].mean()


def supervised_nt_xent(
    features: torch.Tensor, labels: torch.Tensor, temperature: float = 0.5
) -> torch.Tensor:
    """Supervised contrastive loss (the SupCon "L_out" form) over the same stacked rows as :func:`nt_xent`.

    Every other row with the same label is a positive (so each row has at least its other modalities);
    the loss is −mean over anchors of the mean log-softmax similarity to its positives, the softmax running
    over all other rows (positives included).
    """
    rows, row_labels = _stacked_rows(features, labels)
    similarity = rows @ rows.T / temperature
    self_mask = torch.eye(len(rows), dtype=torch.bool, device=rows.device)
    similarity = similarity.masked_fill(self_mask, float("-inf"))
    log_prob = similarity - similarity.logsumexp(dim=1, keepdim=True)
    positives = (row_labels[:, None] == row_labels[None, :]) & ~self_mask
    positive_log_prob = log_prob.masked_fill(~positives, 0.0).sum(1) / positives.sum(1).clamp_min(1)
    return -positive_log_prob.mean()
