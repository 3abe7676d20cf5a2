#!/usr/bin/python3
"""Writes reference.json: the policy loss, its gradients and the advantage
estimators computed with PyTorch autograd, following veRL's core_algos
formulas (compute_policy_loss, kl_penalty, masked_mean, agg_loss,
compute_grpo_outcome_advantage, RLOO and REINFORCE++-baseline) on small
random batches. Needs Debian's python3-torch: /usr/bin/python3 gen_reference.py
"""
import json
import torch

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def masked_mean(x, m):
    return (x * m).sum() / m.sum()


def agg(x, m, mode, norm_tokens):
    if mode == "token-mean":
        return masked_mean(x, m)
    if mode == "seq-mean-token-mean":
        return ((x * m).sum(-1) / m.sum(-1)).mean()
    if mode == "seq-mean-token-sum-norm":
        return (x * m).sum() / (x.shape[0] * norm_tokens)
    raise ValueError(mode)


def kl_penalty(logp, ref, kind):
    if kind == "k1":
        return logp - ref
    if kind == "k2":
        return 0.5 * (logp - ref).square()
    if kind == "k3":
        kl = ref - logp
        return torch.clamp(torch.exp(kl) - kl - 1, min=-10, max=10)
    return torch.zeros_like(logp)


def case(name, bs, length, clip_low, clip_high, kl, kl_coef, ent_coef, mode, norm_tokens=0, spread=0.3):
    mask = (torch.rand(bs, length) > 0.25).double()
    mask[:, 0] = 1
    old = -torch.rand(bs, length) * 3
    logp = (old + torch.randn(bs, length) * spread).requires_grad_()
    ref = old + torch.randn(bs, length) * spread
    if kl == "k3":
        ref[0, 1] = logp[0, 1].item() + 4  # beyond the clamp
    ent = (torch.rand(bs, length) * 2).requires_grad_()
    adv = torch.randn(bs)
    a = adv.unsqueeze(-1).expand(bs, length)
    ratio = torch.exp(logp - old)
    l1 = -a * ratio
    l2 = -a * torch.clamp(ratio, 1 - clip_low, 1 + clip_high)
    pg = agg(torch.max(l1, l2), mask, mode, norm_tokens)
    klv = agg(kl_penalty(logp, ref, kl), mask, mode, norm_tokens)
    entv = agg(ent, mask, mode, norm_tokens)
    loss = pg + kl_coef * klv - ent_coef * entv
    loss.backward()
    return {
        "name": name,
        "config": {"clip_low": clip_low, "clip_high": clip_high, "kl": kl, "kl_coef": kl_coef,
                   "entropy_coef": ent_coef, "aggregation": mode, "norm_tokens": norm_tokens},
        "advantage": adv.tolist(), "mask": mask.tolist(), "old_logp": old.tolist(),
        "ref_logp": ref.tolist(), "logp": logp.detach().tolist(), "entropy": ent.detach().tolist(),
        "loss": loss.item(), "pg_loss": pg.item(), "kl": klv.item(), "entropy_mean": entv.item(),
        "clip_frac": masked_mean(torch.gt(l2, l1).double(), mask).item(),
        "ppo_kl": masked_mean(old - logp.detach(), mask).item(),
        "d_logp": logp.grad.tolist(), "d_entropy": ent.grad.tolist(),
    }


def advantages(rewards, index, lengths):
    r = torch.tensor(rewards)
    out = {}
    groups = {}
    for i, g in enumerate(index):
        groups.setdefault(g, []).append(i)
    grpo, rloo, base = r.clone(), r.clone(), r.clone()
    for g, idx in groups.items():
        vals = r[idx]
        if len(idx) == 1:
            mean, std = torch.tensor(0.0), torch.tensor(1.0)
        else:
            mean, std = vals.mean(), torch.std(vals)
        n = len(idx)
        for i in idx:
            grpo[i] = (r[i] - mean) / (std + 1e-6)
            rloo[i] = r[i] * n / (n - 1) - mean * n / (n - 1) if n > 1 else r[i]
            base[i] = r[i] - mean
    # REINFORCE++-baseline: whiten over the response tokens of the batch.
    maxlen = max(lengths)
    mask = torch.tensor([[1.0] * l + [0.0] * (maxlen - l) for l in lengths])
    tok = base.unsqueeze(-1) * mask
    mean = masked_mean(tok, mask)
    var = masked_mean((tok - mean) ** 2, mask) * mask.sum() / (mask.sum() - 1)
    white = (tok - mean) * torch.rsqrt(var + 1e-8)
    out = {"rewards": rewards, "index": index, "lengths": lengths,
           "grpo": grpo.tolist(), "rloo": rloo.tolist(), "reinforce_plus_plus_baseline": white[:, 0].tolist()}
    return out


cases = [
    case("paper", 4, 7, 0.2, 0.2, "k3", 0.001, 0.001, "token-mean"),
    case("wide spread clips a lot", 3, 9, 0.2, 0.2, "k3", 0.05, 0.01, "token-mean", spread=0.8),
    case("asymmetric clip, k1", 5, 6, 0.2, 0.28, "k1", 0.1, 0.0, "token-mean", spread=0.5),
    case("k2, seq-mean-token-mean", 4, 8, 0.1, 0.3, "k2", 0.2, 0.01, "seq-mean-token-mean", spread=0.5),
    case("no KL, Dr.GRPO norm", 3, 5, 0.2, 0.2, "none", 0.0, 0.0, "seq-mean-token-sum-norm", norm_tokens=16, spread=0.4),
]
adv = [
    advantages([1.0, 0.0, 0.1, 1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.7], [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2], [5, 3, 7, 2, 4, 6, 6, 1, 2, 3, 4]),
]
json.dump({"losses": cases, "advantages": adv}, open("reference.json", "w"), indent=1)
