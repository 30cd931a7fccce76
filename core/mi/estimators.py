"""Building blocks shared by the MI-term curves and the MCR regulariser: latent permutations, bounded
JSD, supervised NT-Xent. One implementation, used with gradients (MCR) and without (curves)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

PROBABILITY_FLOOR = 1e-7


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


def jensen_shannon(p_logits: torch.Tensor, q_logits: torch.Tensor) -> torch.Tensor:
    """Per-row JSD between softmax(p_logits) and softmax(q_logits), summed over classes (last dim), in nats.

    Probabilities are clamped away from 0 before the log; the shapes broadcast against each other.
    """
    p = F.softmax(p_logits.float(), dim=-1).clamp_min(PROBABILITY_FLOOR)
    q = F.softmax(q_logits.float(), dim=-1).clamp_min(PROBABILITY_FLOOR)
    log_mid = ((p + q) / 2).log()
    kl_p = (p * (p.log() - log_mid)).sum(-1)
    kl_q = (q * (q.log() - log_mid)).sum(-1)
    return (kl_p + kl_q) / 2


def true_class_log_prob(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """log p(y | logits) for logits [..., B, C] and labels [B]: [..., B]."""
    log_probs = F.log_softmax(logits.float(), dim=-1)
    index = labels.expand(log_probs.shape[:-1]).unsqueeze(-1)
    return log_probs.gather(-1, index).squeeze(-1)


def supervised_nt_xent(
    features: torch.Tensor, labels: torch.Tensor, temperature: float = 0.5
) -> torch.Tensor:
    """Supervised NT-Xent over the L2-normalised latents of every modality stacked ([B, M, d] → M·B rows).

    Every other row with the same label is a positive (so each row has at least its other modalities);
    the loss is −mean over anchors of the mean log-softmax similarity to its positives.
    """
    batch, modalities = features.shape[:2]
    rows = F.normalize(features.float().transpose(0, 1).reshape(modalities * batch, -1), dim=-1)
    row_labels = labels.repeat(modalities)
    similarity = rows @ rows.T / temperature
    self_mask = torch.eye(len(rows), dtype=torch.bool, device=rows.device)
    similarity = similarity.masked_fill(self_mask, float("-inf"))
    log_prob = similarity - similarity.logsumexp(dim=1, keepdim=True)
    positives = (row_labels[:, None] == row_labels[None, :]) & ~self_mask
    positive_log_prob = log_prob.masked_fill(~positives, 0.0).sum(1) / positives.sum(1).clamp_min(1)
    return -positive_log_prob.mean()
