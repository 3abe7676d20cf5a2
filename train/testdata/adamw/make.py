#!/usr/bin/python3
"""Five steps of torch.optim.AdamW (float32, PyTorch 1.13) with global
grad-norm clipping (torch.nn.utils.clip_grad_norm_) and a learning rate that
changes per step. Writes adamw.json: hyper-parameters, initial params, each
step's raw gradients and learning rate, and the params after each step.

Run with Debian's python3-torch: /usr/bin/python3 make.py
"""
import json
import numpy as np
import torch

rng = np.random.default_rng(0)
shapes = [(6, 5), (7,), (3, 4)]
init = [rng.standard_normal(s).astype(np.float32) for s in shapes]
params = [torch.nn.Parameter(torch.tensor(a)) for a in init]
hp = {"lr": 1e-2, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.01}
opt = torch.optim.AdamW(params, **hp)
max_norm = 1.0
lrs = [1e-2, 2e-2, 1.5e-2, 5e-3, 1e-2]
steps = []
for t, lr in enumerate(lrs):
    scale = [0.05, 3.0, 0.2, 10.0, 0.01][t]  # some steps clip, some do not
    grads = [(scale * rng.standard_normal(s)).astype(np.float32) for s in shapes]
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g)
    norm = torch.nn.utils.clip_grad_norm_(params, max_norm).item()
    for group in opt.param_groups:
        group["lr"] = lr
    opt.step()
    steps.append({"lr": lr, "grads": [g.ravel().tolist() for g in grads], "norm": norm,
                  "params": [p.detach().numpy().ravel().tolist() for p in params]})
with open("adamw.json", "w") as f:
    json.dump({"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01, "max_norm": max_norm,
               "shapes": shapes, "init": [a.ravel().tolist() for a in init], "steps": steps}, f)
