#!/usr/bin/python3
"""Records the reference servers' answers to a set of requests: wire.jsonl.

Runs, unmodified, the ReSearch FlashRAG server (scripts/serving/
retriever_serving.py, branch re-search of github.com/Agent-RL/ReCall) and the
Search-R1 server (search_r1/search/retrieval_server.py of
github.com/PeterGriffinJin/Search-R1), read from their git mirrors at
generation time, under FastAPI's TestClient (Debian python3-fastapi 0.92,
python3-httpx). Their heavy imports (flashrag, faiss, torch, transformers,
datasets) are stubbed, and both get the fake retriever below, which the Go
test reimplements, so every difference in the recorded answers comes from
the HTTP layer.

The Search-R1 fake always returns (results, scores): the Search-R1 server
unpacks a pair even when return_scores is false (the real retrievers return
a bare list there, which crashes it); this records the shape it intends.

Usage (repo root): /usr/bin/python3 search/server/testdata/make_wire_fixtures.py \
    /work/.mirror/Agent-RL+ReCall/repo /work/.mirror/PeterGriffinJin+Search-R1/repo
"""
import json, subprocess, sys, types
from unittest import mock

DOCS = [
    {"id": "1", "contents": "\"Kansas Song\"\nKansas Song is the fight song of the University of Kansas."},
    {"id": "2", "contents": "\"University of Kansas\"\nThe University of Kansas is a public research university."},
    {"id": "3", "contents": "\"Lawrence, Kansas\"\nLawrence is the county seat of Douglas County."},
    {"id": "4", "contents": "\"Hamlet\"\nHamlet is a tragedy written by William Shakespeare."},
    {"id": "5", "contents": "\"Unicode \u00e9\u00e8 \u6771\u4eac\"\nQuotes \" and backslashes \\ and tabs\tsurvive."},
    {"id": "6", "contents": "no title line"},
]


def fake_search(query, num):
    """The k docs for a query: DOCS rotated by the query length."""
    start = len(query) % len(DOCS)
    n = min(num, len(DOCS))
    docs = [DOCS[(start + i) % len(DOCS)] for i in range(n)]
    scores = [round(12.5 - 1.25 * i + len(query) / 8, 4) for i in range(n)]
    return docs, scores


class FakeRetriever:
    def search(self, query, num=None, return_score=False):
        docs, scores = fake_search(query, num)
        return (docs, scores) if return_score else docs

    def batch_search(self, query_list=None, num=None, return_score=False):
        pairs = [fake_search(q, num) for q in query_list]
        docs, scores = [p[0] for p in pairs], [p[1] for p in pairs]
        return (docs, scores) if return_score else docs


class FakeSearchR1Retriever(FakeRetriever):
    """Returns (results, scores) whatever return_score says (see above)."""

    def batch_search(self, query_list=None, num=None, return_score=False):
        return super().batch_search(query_list, num, True)


def load(mirror, rev, path, name, stubs):
    src = subprocess.check_output(["git", "--git-dir", mirror, "show", f"{rev}:{path}"], text=True)
    with mock.patch.dict(sys.modules, stubs):
        mod = types.ModuleType(name)
        exec(compile(src, path, "exec"), mod.__dict__)
    return mod


def main(recall, searchr1):
    from fastapi.testclient import TestClient
    fr = types.ModuleType("flashrag")
    fr_config = types.ModuleType("flashrag.config")
    fr_config.Config = lambda *a, **k: None
    fr_utils = types.ModuleType("flashrag.utils")
    fr_utils.get_retriever = lambda cfg: FakeRetriever()
    research = load(recall, "re-search", "scripts/serving/retriever_serving.py", "research_server",
                    {"flashrag": fr, "flashrag.config": fr_config, "flashrag.utils": fr_utils})
    research.init_retriever(types.SimpleNamespace(config=None, num_retriever=1))

    heavy = {m: mock.MagicMock() for m in ["faiss", "torch", "transformers", "tqdm", "datasets", "uvicorn"]}
    sr1 = load(searchr1, "HEAD", "search_r1/search/retrieval_server.py", "searchr1_server", heavy)
    sr1.retriever = FakeSearchR1Retriever()
    sr1.config = types.SimpleNamespace(retrieval_topk=3)

    cases = [
        ("research", "GET", "/health", None),
        ("research", "POST", "/search", {"query": "who wrote hamlet"}),
        ("research", "POST", "/search", {"query": "kansas", "top_n": 3}),
        ("research", "POST", "/search", {"query": "fight song", "top_n": 2, "return_score": True}),
        ("research", "POST", "/search", {"query": "x", "top_n": 50, "return_score": False}),
        ("research", "POST", "/search", {"query": ""}),
        ("research", "POST", "/search", {"query": "   "}),
        ("research", "POST", "/search", {"top_n": 3}),
        ("research", "POST", "/search", {"query": ["a"]}),
        ("research", "POST", "/batch_search", {"query": ["kansas", "hamlet author"], "top_n": 2}),
        ("research", "POST", "/batch_search", {"query": ["kansas", "hamlet author", "q"], "top_n": 3, "return_score": True}),
        ("research", "POST", "/batch_search", {"query": ["only one"]}),
        ("research", "POST", "/batch_search", {"query": [], "top_n": 2, "return_score": True}),
        ("research", "POST", "/batch_search", {"query": "not a list"}),
        ("research", "POST", "/batch_search", {}),
        ("searchr1", "POST", "/retrieve", {"queries": ["kansas", "who wrote hamlet"], "topk": 2, "return_scores": True}),
        ("searchr1", "POST", "/retrieve", {"queries": ["kansas", "who wrote hamlet"], "topk": 2, "return_scores": False}),
        ("searchr1", "POST", "/retrieve", {"queries": ["default topk"], "return_scores": True}),
        ("searchr1", "POST", "/retrieve", {"queries": ["zero topk"], "topk": 0}),
        ("searchr1", "POST", "/retrieve", {"queries": ["null topk"], "topk": None, "return_scores": True}),
        ("searchr1", "POST", "/retrieve", {"queries": []}),
        ("searchr1", "POST", "/retrieve", {"topk": 3}),
    ]
    clients = {"research": TestClient(research.app), "searchr1": TestClient(sr1.app)}
    with open("search/server/testdata/wire.jsonl", "w") as f:
        for server, method, path, body in cases:
            c = clients[server]
            r = c.get(path) if method == "GET" else c.post(path, json=body)
            f.write(json.dumps({"server": server, "method": method, "path": path, "request": body,
                                "status": r.status_code, "response": r.json()}, ensure_ascii=False) + "\n")
    print(f"{len(cases)} cases written")


if __name__ == "__main__":
    main(*sys.argv[1:3])
