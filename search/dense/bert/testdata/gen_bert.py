"""Random-weight BERT and its PyTorch outputs, the reference for package bert.

Run with Debian's python3 (python3-torch):
    /usr/bin/python3 gen_bert.py tiny OUTDIR   # the committed fixture (testdata/tiny)
    /usr/bin/python3 gen_bert.py e5 OUTDIR     # E5-base's shape (12 x 768, vocab 30522)
    /usr/bin/python3 gen_bert.py mini OUTDIR   # vocab of ../../wordpiece/testdata, for CLI runs

The forward pass below is written with plain torch ops and mirrors HF
transformers' BertModel (transformers is not installed here): word +
learned absolute position + token-type embeddings, LayerNorm, then per layer
self-attention with the extended additive mask ((1 - mask) * finfo.min),
output dense + residual + LayerNorm (post-LN), intermediate dense with exact
erf GELU, output dense + residual + LayerNorm. Sequences are right-padded in
one batch so the attention mask is exercised. Pooling: mean over unmasked
tokens (E5) and CLS, each also L2-normalised.
"""
import json, math, os, struct, sys
import torch

SHAPES = {
    "tiny": dict(vocab_size=211, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                 intermediate_size=128, max_position_embeddings=40, type_vocab_size=2),
    # mini has the committed WordPiece vocabulary's size, for end-to-end runs.
    "mini": dict(vocab_size=4077, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                 intermediate_size=128, max_position_embeddings=512, type_vocab_size=2),
    "e5": dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
               intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2),
}

def random_weights(c, g):
    H, I = c["hidden_size"], c["intermediate_size"]
    def n(*shape, std=0.02):
        return torch.randn(*shape, generator=g) * std
    def ln(prefix, w):
        w[prefix + ".weight"] = 1 + n(H, std=0.1)
        w[prefix + ".bias"] = n(H, std=0.1)
    w = {}
    w["embeddings.word_embeddings.weight"] = n(c["vocab_size"], H)
    w["embeddings.position_embeddings.weight"] = n(c["max_position_embeddings"], H)
    w["embeddings.token_type_embeddings.weight"] = n(c["type_vocab_size"], H)
    ln("embeddings.LayerNorm", w)
    for l in range(c["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        for name in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            w[p + name + ".weight"] = n(H, H)
            w[p + name + ".bias"] = n(H)
        ln(p + "attention.output.LayerNorm", w)
        w[p + "intermediate.dense.weight"] = n(I, H)
        w[p + "intermediate.dense.bias"] = n(I)
        w[p + "output.dense.weight"] = n(H, I)
        w[p + "output.dense.bias"] = n(H)
        ln(p + "output.LayerNorm", w)
    return w

def save_safetensors(path, tensors, prefix=""):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.contiguous().numpy().astype("<f4").tobytes()
        header[prefix + name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)

def forward(c, w, ids, mask):
    eps = c["layer_norm_eps"]
    B, L = ids.shape
    H, nh = c["hidden_size"], c["num_attention_heads"]
    hd = H // nh
    def lin(x, name):
        return x @ w[name + ".weight"].T + w[name + ".bias"]
    def ln(x, name):
        return torch.nn.functional.layer_norm(x, (H,), w[name + ".weight"], w[name + ".bias"], eps)
    pos = torch.arange(L).unsqueeze(0).expand(B, L)
    x = (w["embeddings.word_embeddings.weight"][ids]
         + w["embeddings.token_type_embeddings.weight"][torch.zeros_like(ids)]
         + w["embeddings.position_embeddings.weight"][pos])
    x = ln(x, "embeddings.LayerNorm")
    ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    for l in range(c["num_hidden_layers"]):
        p = f"encoder.layer.{l}."
        def heads(t):
            return t.view(B, L, nh, hd).permute(0, 2, 1, 3)
        q, k, v = (heads(lin(x, p + "attention.self." + s)) for s in ("query", "key", "value"))
        s = q @ k.transpose(-1, -2) / math.sqrt(hd) + ext
        a = torch.softmax(s, dim=-1) @ v
        a = a.permute(0, 2, 1, 3).reshape(B, L, H)
        x = ln(lin(a, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        h = lin(x, p + "intermediate.dense")
        h = 0.5 * h * (1.0 + torch.erf(h / math.sqrt(2.0)))
        x = ln(lin(h, p + "output.dense") + x, p + "output.LayerNorm")
    return x

def main():
    shape, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(2)
    c = dict(SHAPES[shape], model_type="bert", hidden_act="gelu", layer_norm_eps=1e-12,
             position_embedding_type="absolute", architectures=["BertModel"])
    g = torch.Generator().manual_seed(11)
    w = random_weights(c, g)
    # The E5 file uses BertModel's names; the tiny one is saved as a
    # BertForMaskedLM-style checkpoint ("bert." prefix) to cover both.
    save_safetensors(os.path.join(out, "model.safetensors"), w, "bert." if shape == "tiny" else "")
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(c, f, indent=1)
    lengths = [5, 1, 17, 2, 33] if shape == "tiny" else [128, 7, 64, 300, 2, 512]
    seqs = [torch.randint(0, c["vocab_size"], (n,), generator=g).tolist() for n in lengths]
    L = max(lengths)
    ids = torch.zeros(len(seqs), L, dtype=torch.long)
    mask = torch.zeros(len(seqs), L, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    with torch.no_grad():
        hs = forward(c, w, ids, mask)
        m = mask.unsqueeze(-1).float()
        mean = (hs * m).sum(1) / m.sum(1)
        cls = hs[:, 0]
    ref = {"ids": seqs, "mean": mean.tolist(), "cls": cls.tolist(),
           "mean_norm": torch.nn.functional.normalize(mean, dim=-1).tolist(),
           "cls_norm": torch.nn.functional.normalize(cls, dim=-1).tolist()}
    if shape == "tiny":
        ref["hidden"] = [hs[i, :len(s)].tolist() for i, s in enumerate(seqs)]
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(ref, f)

if __name__ == "__main__":
    main()
