#!/usr/bin/python3
"""Writes lucene_english.jsonl: {"text", "terms"} pairs from Lucene itself.

The reference is Lucene 8.7's EnglishAnalyzer (Debian liblucene8-java,
OpenJDK 17), the analyzer behind Pyserini's default BM25 index, run by
LuceneAnalyze.java. Texts: crafted edge cases, then HotpotQA questions and
paragraphs and FlashRAG wiki18 passages from ../shared/data, sampled
deterministically, newlines folded to spaces.

Run from the repo root: /usr/bin/python3 search/analysis/testdata/make_lucene_fixture.py
"""
import glob, json, random, subprocess

EDGE = [
    "Obama's father's house", "Obama’s policies", "JAMES' BOOKS", "don't stop", "O'Neill's",
    "U.S.A. in 1,000.5 years", "3.14 and 2,5 and 1.2.3", "end. Start", "foo_bar e-mail",
    "user@example.com http://www.example.com/a_b?c=d", "Café Zürich naïve façade", "東京 tower ひらがな カタカナ",
    "C++ and C# and .NET", "R&D at AT&T", "well-known mother-in-law", "1990s 80's '90s", "x'", "'s",
    "The Quick brown foxes jumped over the lazy dogs", "a the and of it is", "Ph.D. M.Sc.", "10:30 a:b",
    "e.g. i.e. etc.", "résumé naïveté", "£100 $5.99 €20", "#hashtag @mention", "straße ǅemal",
    "generalizations relational conditional", "hopping hoping hopped", "\"Kansas Song\" Kansas Song is the fight song",
]

random.seed(6)
texts = list(EDGE)
hotpot = [json.loads(l) for l in open("../shared/data/corpus/hotpotqa_dev500_distractor.jsonl")]
texts += [ex["question"] for ex in random.sample(hotpot, 100)]
paras = [f'"{t}" ' + "".join(s) for ex in hotpot for t, s in ex["context"]]
texts += random.sample(paras, 300)
wiki = [json.loads(l)["contents"] for l in open("../shared/data/corpus/wiki18_sample_1000.jsonl")]
texts += random.sample(wiki, 150)
texts = [" ".join(t.split("\n")) for t in texts]

cp = ":".join(glob.glob("/usr/share/java/lucene-core-8*.jar") + glob.glob("/usr/share/java/lucene-analyzers-common-8*.jar"))
out = subprocess.run(["java", "-cp", cp, "search/analysis/testdata/LuceneAnalyze.java"],
                     input="\n".join(texts) + "\n", capture_output=True, text=True, check=True).stdout
lines = out.split("\n")[: len(texts)]
assert len(lines) == len(texts)
with open("search/analysis/testdata/lucene_english.jsonl", "w") as f:
    for t, terms in zip(texts, lines):
        f.write(json.dumps({"text": t, "terms": terms.split()}, ensure_ascii=False) + "\n")
print(f"{len(texts)} texts written")
