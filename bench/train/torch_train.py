#!/usr/bin/python3
"""PyTorch's side of bench/train: the same random Qwen2, batch and objective
(Σ w·logp + w·entropy over every next token, temperature 1), timed as
forward, backward and torch.optim.AdamW step, float32 on the CPU.

usage: /usr/bin/python3 torch_train.py SHAPE SEQS LEN STEPS THREADS
"""
import resource, sys, time
import torch
import torch.nn.functional as F

shape, seqs, seqlen, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
torch.manual_seed(1)
cfg = {"base": dict(V=2048, h=128, f=384, L=4, H=4, KV=2, hd=32),
       "small": dict(V=4096, h=256, f=1024, L=4, H=4, KV=2, hd=64),
       "qwen05-slice": dict(V=151936, h=896, f=4864, L=4, H=14, KV=2, hd=64)}[shape]
V, h, f, L, H, KV, hd = (cfg[k] for k in ("V", "h", "f", "L", "H", "KV", "hd"))


class RMSNorm(torch.nn.Module):
    def __init__(self, n):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(n))

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))


class Layer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.n1, self.n2 = RMSNorm(h), RMSNorm(h)
        self.q, self.k, self.v = torch.nn.Linear(h, H * hd), torch.nn.Linear(h, KV * hd), torch.nn.Linear(h, KV * hd)
        self.o = torch.nn.Linear(H * hd, h, bias=False)
        self.gate, self.up = torch.nn.Linear(h, f, bias=False), torch.nn.Linear(h, f, bias=False)
        self.down = torch.nn.Linear(f, h, bias=False)

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        y = self.n1(x)
        q = self.q(y).view(B, T, H, hd).transpose(1, 2)
        k = self.k(y).view(B, T, KV, hd).transpose(1, 2)
        v = self.v(y).view(B, T, KV, hd).transpose(1, 2)
        rot = lambda t: torch.cat((-t[..., hd // 2:], t[..., :hd // 2]), -1)
        q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
        k, v = k.repeat_interleave(H // KV, 1), v.repeat_interleave(H // KV, 1)
        mask = torch.full((T, T), float("-inf")).triu(1)
        a = torch.softmax(q @ k.transpose(-1, -2) / hd ** 0.5 + mask, -1) @ v
        x = x + self.o(a.transpose(1, 2).reshape(B, T, H * hd))
        y = self.n2(x)
        return x + self.down(F.silu(self.gate(y)) * self.up(y))


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(V, h)
        self.layers = torch.nn.ModuleList(Layer() for _ in range(L))
        self.norm = RMSNorm(h)
        for p in self.parameters():
            if p.dim() > 1 or p.shape[0] != h:
                torch.nn.init.normal_(p, std=0.02)

    def forward(self, ids):
        T = ids.shape[1]
        inv = 1.0 / (1e6 ** (torch.arange(0, hd, 2).float() / hd))
        emb = torch.outer(torch.arange(T).float(), inv)
        emb = torch.cat((emb, emb), -1)
        x = self.embed(ids)
        for l in self.layers:
            x = l(x, emb.cos(), emb.sin())
        return self.norm(x) @ self.embed.weight.T  # tied head


m = Model()
opt = torch.optim.AdamW(m.parameters(), lr=1e-5, weight_decay=0.01)
ids = torch.randint(0, V, (seqs, seqlen))
w = torch.full((seqs, seqlen - 1), 1.0 / (seqs * seqlen))


def step():
    t0 = time.perf_counter()
    lp = torch.log_softmax(m(ids[:, :-1]), -1)
    tok = lp.gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)
    ent = -(lp.exp() * lp).sum(-1)
    loss = (w * tok).sum() + (w * ent).sum()
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
    opt.zero_grad()
    return t1 - t0, t2 - t1, time.perf_counter() - t2


step()
s = b = o = 0
for _ in range(steps):
    ds, db, do = step()
    s, b, o = s + ds, b + db, o + do
n = steps
total = (s + b + o) / n
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1 << 20)
print(f"torch {shape:<13} {seqs}×{seqlen} tokens  forward {s/n:.3f}s  backward {b/n:.3f}s  adamw {o/n:.3f}s  "
      f"step {total:.3f}s  {seqs*seqlen/total:.0f} tokens/s  peak RSS {peak:.2f} GiB")
