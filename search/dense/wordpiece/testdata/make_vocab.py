"""Builds the small WordPiece vocabulary committed as tokenizer.json.

Run with Debian's python3 from this directory:
    /usr/bin/python3 make_vocab.py ../../../../../shared/data/corpus

The vocabulary is ours (no model's vocabulary is redistributed): special
tokens, the characters of the shared corpus (minus the rarest, so that [UNK]
occurs), every character again as a "##" continuation, the most frequent
words, and the most frequent word endings as "##" pieces. The normalizer,
pre-tokenizer and post-processor are those of bert-base-uncased.
"""
import collections, json, os, re, sys, unicodedata

def texts(corpus_dir):
    with open(os.path.join(corpus_dir, "wiki18_sample_1000.jsonl")) as f:
        for line in f:
            yield json.loads(line)["contents"]
    with open(os.path.join(corpus_dir, "2wiki_dev_corpus.json")) as f:
        for p in json.load(f):
            yield p["title"] + "\n" + p["text"]

def norm(s):
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    return s.lower()

chars, words = collections.Counter(), collections.Counter()
for t in texts(sys.argv[1]):
    t = norm(t)
    chars.update(c for c in t if not c.isspace())
    words.update(w for w in re.findall(r"\w+", t))

vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
kept = [c for c, n in chars.most_common() if n >= 3]
vocab += kept
vocab += ["##" + c for c in kept if c.isalnum()]
vocab += [w for w, _ in words.most_common(3000) if len(w) > 1]
ends = collections.Counter()
for w, n in words.items():
    for k in (2, 3, 4):
        if len(w) > k + 1:
            ends[w[-k:]] += n
vocab += ["##" + e for e, _ in ends.most_common(800)]
seen, ordered = set(), []
for v in vocab:
    if v not in seen:
        seen.add(v)
        ordered.append(v)

tok = {
    "version": "1.0",
    "truncation": None,
    "padding": None,
    "added_tokens": [
        {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for i, s in enumerate(ordered[:5])
    ],
    "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                   "strip_accents": None, "lowercase": True},
    "pre_tokenizer": {"type": "BertPreTokenizer"},
    "post_processor": {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                   {"Sequence": {"id": "A", "type_id": 0}},
                   {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                 {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                 {"Sequence": {"id": "B", "type_id": 1}},
                 {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
        "special_tokens": {
            "[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
            "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]},
        },
    },
    "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
    "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
              "max_input_chars_per_word": 100,
              "vocab": {v: i for i, v in enumerate(ordered)}},
}
with open("tokenizer.json", "w") as f:
    json.dump(tok, f, ensure_ascii=False, indent=None)
print(len(ordered), "tokens")
