"""PyTorch peer of bench/dense/encode: the same BERT forward (plain torch ops
mirroring HF BertModel, from search/dense/bert/testdata/gen_bert.py) on the
same token ids, right-padded in batches of --batch with an attention mask,
mean-pooled and L2-normalised, as sentence-transformers runs E5.

    /usr/bin/python3 torch_encode.py MODEL_DIR ids.json --threads 2
"""
import argparse, json, os, struct, sys, time
import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "../../../search/dense/bert/testdata"))
from gen_bert import forward  # noqa: E402

def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32", name
        lo, hi = t["data_offsets"]
        out[name.removeprefix("bert.")] = torch.from_numpy(np.frombuffer(data[lo:hi], dtype="<f4").reshape(t["shape"]).copy())
    return out

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("ids")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=32)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    c = json.load(open(os.path.join(a.model, "config.json")))
    w = load_safetensors(os.path.join(a.model, "model.safetensors"))
    seqs = json.load(open(a.ids))
    def run(batch):
        L = max(len(s) for s in batch)
        ids = torch.zeros(len(batch), L, dtype=torch.long)
        mask = torch.zeros(len(batch), L, dtype=torch.long)
        for i, s in enumerate(batch):
            ids[i, :len(s)] = torch.tensor(s)
            mask[i, :len(s)] = 1
        hs = forward(c, w, ids, mask)
        m = mask.unsqueeze(-1).float()
        return torch.nn.functional.normalize((hs * m).sum(1) / m.sum(1), dim=-1)
    with torch.inference_mode():
        run(seqs[:1])
        start = time.time()
        for i in range(0, len(seqs), a.batch):
            run(seqs[i:i + a.batch])
        el = time.time() - start
    tokens = sum(len(s) for s in seqs)
    print(f"torch {torch.__version__}: {len(seqs)} passages, {tokens} tokens, {a.threads} threads, batch {a.batch}: "
          f"{len(seqs) / el:.2f} passages/s, {tokens / el:.0f} tokens/s")

main()
