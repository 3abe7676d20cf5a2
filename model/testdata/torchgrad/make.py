#!/usr/bin/python3
"""Reference gradients of the training pass from PyTorch autograd (float64).

For each case it writes, under <case>/:
  config.json, model.safetensors          random Qwen2 weights (F32)
  adapter_config.json, adapter_model.safetensors   PEFT LoRA adapters (LoRA case)
  grads.safetensors                       dℓ/dθ of every trained tensor (F32)
  case.json                               sequences, start positions, temperature,
                                          per-token weights and the expected
                                          logprobs and entropies (float64)
where ℓ = Σ dlogp·logp + dentropy·entropy over the scored tokens. The model is
written here from the HF Qwen2 modeling code's equations (rotate_half RoPE,
repeat_kv GQA, PEFT LoRA y = base(x) + B(A(x))·alpha/r), not from ours.

Run with Debian's python3-torch: /usr/bin/python3 make.py
"""
import json, os, struct
import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def write_safetensors(path, tensors):
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name, arr in tensors.items():
        b = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def rmsnorm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def forward(P, cfg, ids, lora):
    """Logits [T, vocab] of one sequence."""
    T, H, KV, hd = len(ids), cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["hidden_size"] // cfg["num_attention_heads"]
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd))
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    eps = cfg["rms_norm_eps"]

    def lin(x, layer, mod, name, bias=False):
        y = x @ P[f"model.layers.{layer}.{mod}.{name}.weight"].T
        if bias:
            y = y + P[f"model.layers.{layer}.{mod}.{name}.bias"]
        if lora and name in lora["targets"]:
            pre = f"base_model.model.model.layers.{layer}.{mod}.{name}."
            y = y + (x @ P[pre + "lora_A.weight"].T) @ P[pre + "lora_B.weight"].T * (lora["alpha"] / lora["r"])
        return y

    x = P["model.embed_tokens.weight"][ids]
    mask = torch.full((T, T), float("-inf")).triu(1)
    for l in range(cfg["num_hidden_layers"]):
        h = rmsnorm(x, P[f"model.layers.{l}.input_layernorm.weight"], eps)
        q = lin(h, l, "self_attn", "q_proj", True).view(T, H, hd).transpose(0, 1)
        k = lin(h, l, "self_attn", "k_proj", True).view(T, KV, hd).transpose(0, 1)
        v = lin(h, l, "self_attn", "v_proj", True).view(T, KV, hd).transpose(0, 1)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        k, v = k.repeat_interleave(H // KV, dim=0), v.repeat_interleave(H // KV, dim=0)  # repeat_kv
        att = torch.softmax(q @ k.transpose(1, 2) / hd ** 0.5 + mask, dim=-1) @ v
        x = x + lin(att.transpose(0, 1).reshape(T, H * hd), l, "self_attn", "o_proj")
        h = rmsnorm(x, P[f"model.layers.{l}.post_attention_layernorm.weight"], eps)
        x = x + lin(torch.nn.functional.silu(lin(h, l, "mlp", "gate_proj")) * lin(h, l, "mlp", "up_proj"), l, "mlp", "down_proj")
    x = rmsnorm(x, P["model.norm.weight"], eps)
    head = P["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else P["lm_head.weight"]
    return x @ head.T


def make(name, cfg, lens, starts, temperature, lora=None, seed=0):
    rng = np.random.default_rng(seed)
    h, f, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    H, KV = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = h // H
    shapes = {"model.embed_tokens.weight": (V, h)}
    for l in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{l}."
        shapes.update({
            p + "input_layernorm.weight": (h,),
            p + "self_attn.q_proj.weight": (H * hd, h), p + "self_attn.q_proj.bias": (H * hd,),
            p + "self_attn.k_proj.weight": (KV * hd, h), p + "self_attn.k_proj.bias": (KV * hd,),
            p + "self_attn.v_proj.weight": (KV * hd, h), p + "self_attn.v_proj.bias": (KV * hd,),
            p + "self_attn.o_proj.weight": (h, H * hd),
            p + "post_attention_layernorm.weight": (h,),
            p + "mlp.gate_proj.weight": (f, h), p + "mlp.up_proj.weight": (f, h), p + "mlp.down_proj.weight": (h, f),
        })
    shapes["model.norm.weight"] = (h,)
    if not cfg["tie_word_embeddings"]:
        shapes["lm_head.weight"] = (V, h)
    base = {}
    for n, s in shapes.items():
        if n.endswith("norm.weight"):
            a = 1 + 0.1 * rng.standard_normal(s)
        elif n == "model.embed_tokens.weight":
            a = 0.3 * rng.standard_normal(s)
        else:
            a = 0.15 * rng.standard_normal(s)
        base[n] = a.astype(np.float32)
    adapters = {}
    if lora:
        for l in range(cfg["num_hidden_layers"]):
            for t in lora["targets"]:
                mod = "mlp" if t in ("gate_proj", "up_proj", "down_proj") else "self_attn"
                out, inp = shapes[f"model.layers.{l}.{mod}.{t}.weight"]
                pre = f"base_model.model.model.layers.{l}.{mod}.{t}."
                adapters[pre + "lora_A.weight"] = (0.2 * rng.standard_normal((lora["r"], inp))).astype(np.float32)
                adapters[pre + "lora_B.weight"] = (0.2 * rng.standard_normal((out, lora["r"]))).astype(np.float32)
    seqs = [rng.integers(0, V, n).tolist() for n in lens]
    dlogp = [rng.standard_normal(n - s).tolist() for n, s in zip(lens, starts)]
    dent = [rng.standard_normal(n - s).tolist() for n, s in zip(lens, starts)]

    trained = adapters if lora else base
    P = {n: torch.tensor(a.astype(np.float64), requires_grad=n in trained) for n, a in {**base, **adapters}.items()}
    loss, logps, ents = 0, [], []
    for ids, s, wl, wh in zip(seqs, starts, dlogp, dent):
        z = forward(P, cfg, torch.tensor(ids), lora)[s - 1:len(ids) - 1] / temperature
        lp = torch.log_softmax(z, dim=-1)
        tok = lp.gather(1, torch.tensor(ids[s:]).unsqueeze(1)).squeeze(1)
        ent = -(lp.exp() * lp).sum(-1)
        loss = loss + (torch.tensor(wl) * tok).sum() + (torch.tensor(wh) * ent).sum()
        logps.append(tok.tolist())
        ents.append(ent.tolist())
    loss.backward()

    os.makedirs(name, exist_ok=True)
    with open(os.path.join(name, "config.json"), "w") as fh:
        json.dump({**cfg, "model_type": "qwen2", "hidden_act": "silu", "torch_dtype": "float32"}, fh, indent=1)
    write_safetensors(os.path.join(name, "model.safetensors"), base)
    if lora:
        write_safetensors(os.path.join(name, "adapter_model.safetensors"), adapters)
        with open(os.path.join(name, "adapter_config.json"), "w") as fh:
            json.dump({"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": lora["r"], "lora_alpha": lora["alpha"],
                       "target_modules": lora["targets"], "lora_dropout": 0.0, "bias": "none",
                       "fan_in_fan_out": False, "base_model_name_or_path": None, "inference_mode": True}, fh, indent=1)
    write_safetensors(os.path.join(name, "grads.safetensors"), {n: P[n].grad.numpy() for n in trained})
    with open(os.path.join(name, "case.json"), "w") as fh:
        json.dump({"seqs": seqs, "from": starts, "temperature": temperature, "dlogp": dlogp, "dentropy": dent,
                   "logp": logps, "entropy": ents}, fh)


common = {"vocab_size": 64, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
          "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "max_position_embeddings": 256}
make("tied", {**common, "num_attention_heads": 4, "num_key_value_heads": 2, "tie_word_embeddings": True},
     lens=[150, 6, 17], starts=[5, 2, 9], temperature=0.7, seed=1)
make("gqa4-lora", {**common, "num_attention_heads": 4, "num_key_value_heads": 1, "tie_word_embeddings": False},
     lens=[11, 140, 3], starts=[4, 100, 1], temperature=1.0, seed=2,
     lora={"r": 4, "alpha": 8, "targets": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]})
