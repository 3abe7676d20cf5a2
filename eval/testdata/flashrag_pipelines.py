# Writes flashrag_pipelines.jsonl: FlashRAG's own pipelines (the ReSearch
# repository's vendored copy) run on scripted inputs, so that the Go
# baselines can be checked step by step: zero-shot (naive_run),
# SequentialPipeline.run, IterativePipeline (3 iterations) and
# IRCOTPipeline (max_iter=5), for a base and an instruct model name.
#
# The generator and retriever are fakes driven by flashrag_pipelines_in.json:
# the generator finds the question in the prompt and returns that
# question's next scripted reply, cut after the first stop string as
# SGLang + FlashRAG's SGLRemoteGenerator return it; the retriever returns
# the listed passages for a query, and for any other query one passage
# {"id": "u:"+query, "contents": "\"U\"\nabout "+query, "score": len(query)}.
# transformers, tiktoken, tqdm and verl are stubbed; the chat template
# returns the messages as JSON, which the Go test renders with QwenChat.
#
#   SRC=/tmp/fr; for f in src/flashrag/prompt/base_prompt.py src/flashrag/pipeline/pipeline.py \
#     src/flashrag/pipeline/active_pipeline.py src/flashrag/utils/pred_parse.py; do
#     git -C /work/.mirror/Agent-RL+ReCall/repo show re-search:$f > $SRC/$(basename $f); done
#   /usr/bin/python3 flashrag_pipelines.py $SRC   # run in this folder
#
# (commit 4bdb872b7187ec6c19337251f57f9614ba7ce5ab of branch re-search)
import json, sys, threading, types

src = sys.argv[1]
spec = json.load(open("flashrag_pipelines_in.json"))

def module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m

class Tok:
    def __call__(self, prompt, **kw):
        return types.SimpleNamespace(input_ids=[[0] * 10])
    def apply_chat_template(self, messages, tokenize, add_generation_prompt):
        return json.dumps(messages)

MODEL = {"name": ""}
module("transformers",
       AutoTokenizer=types.SimpleNamespace(from_pretrained=lambda *a, **k: Tok()),
       AutoConfig=types.SimpleNamespace(from_pretrained=lambda *a, **k: types.SimpleNamespace(_name_or_path=MODEL["name"])),
       PreTrainedTokenizer=object, PreTrainedTokenizerFast=object)
module("tiktoken")
module("tqdm", tqdm=lambda it=None, **kw: it)
for name in ["verl", "verl.utils", "verl.utils.dataset", "verl.utils.reward_score"]:
    module(name)
module("verl.utils.dataset.template", prompt_template_dict={})
module("verl.utils.reward_score.re_search", remove_boxed=None, last_boxed_only_string=None, extract_answer=None)

def load(path, ns_name, **extra):
    ns = {"__name__": ns_name}
    ns.update(extra)
    exec(open(path).read(), ns)
    return ns

prompt_ns = load(f"{src}/base_prompt.py", "flashrag.prompt")
parse_ns = load(f"{src}/pred_parse.py", "flashrag.utils.pred_parse")
module("flashrag")
module("flashrag.prompt", PromptTemplate=prompt_ns["PromptTemplate"])
module("flashrag.evaluator", Evaluator=lambda config: types.SimpleNamespace(evaluate=lambda d: {}))
module("flashrag.dataset")
module("flashrag.dataset.utils", split_dataset=None, merge_dataset=None, get_batch_dataset=None, merge_batch_dataset=None)
module("flashrag.utils", get_retriever=None, get_generator=None, get_refiner=None, get_judger=None,
       selfask_pred_parse=parse_ns["selfask_pred_parse"], ircot_pred_parse=parse_ns["ircot_pred_parse"])
pipe_ns = load(f"{src}/pipeline.py", "flashrag.pipeline.pipeline")
module("flashrag.pipeline", BasicPipeline=pipe_ns["BasicPipeline"])
active_ns = load(f"{src}/active_pipeline.py", "flashrag.pipeline.active_pipeline")

class Item:
    def __init__(self, q):
        self.question, self.output = q, {}
    def update_output(self, k, v):
        self.output[k] = v
    @property
    def pred(self):
        return self.output["pred"]

class Dataset:
    def __init__(self, qs):
        self.items = [Item(q) for q in qs]
    @property
    def question(self):
        return [i.question for i in self.items]
    def update_output(self, k, vals):
        for i, v in zip(self.items, vals):
            i.update_output(k, v)
    def __iter__(self):
        return iter(self.items)
    def __len__(self):
        return len(self.items)
    def __getitem__(self, i):
        return self.items[i]
    def __getattr__(self, name):
        if name == "items":
            raise AttributeError(name)
        return [i.output[name] for i in self.items]

class Generator:
    def __init__(self):
        self.lock, self.calls, self.prompts = threading.Lock(), {}, {}
    def generate(self, prompt, stop=None, **kw):
        text = prompt if isinstance(prompt, str) else json.dumps(prompt)
        qs = [q for q in spec["questions"] if q["question"] in text]
        assert len(qs) == 1, text
        q = qs[0]
        with self.lock:
            n = self.calls.get(q["id"], 0)
            self.calls[q["id"]] = n + 1
            self.prompts.setdefault(q["id"], []).append(prompt)
        out = q["replies"][n]
        if stop:
            cut = [out.find(s) + len(s) for s in stop if s in out]
            if cut:
                out = out[:min(cut)]
        return [out]

def docs_for(query):
    if query in spec["docs"]:
        return spec["docs"][query]
    return [{"id": "u:" + query, "contents": "\"U\"\nabout " + query, "score": float(len(query))}]

class Retriever:
    def __init__(self):
        self.queries = []
    def batch_search(self, queries, return_score=False):
        self.queries.extend(queries)
        docs = [[{"id": d["id"], "contents": d["contents"]} for d in docs_for(q)] for q in queries]
        if return_score:
            return docs, [[d["score"] for d in docs_for(q)] for q in queries]
        return docs

config = {"device": "cpu", "save_retrieval_cache": False, "use_fid": False, "refiner_name": None,
          "framework": "sgl_remote", "generator_max_input_len": 8192, "generator_model_path": "m"}
PromptTemplate = prompt_ns["PromptTemplate"]

def run(method):
    gen, ret = Generator(), Retriever()
    data = Dataset([q["question"] for q in spec["questions"]])
    if method == "naive-gen":
        t = PromptTemplate(config=config,
            system_prompt="Answer the question based on your own knowledge. Only give me the answer and do not output any other words.",
            user_prompt="Question: {question}")
        pipe_ns["SequentialPipeline"](config, t, retriever=ret, generator=gen).naive_run(data)
    elif method == "naive-rag":
        pipe_ns["SequentialPipeline"](config, retriever=ret, generator=gen).run(data)
    elif method == "iter-retgen":
        active_ns["IterativePipeline"](config, iter_num=3, retriever=ret, generator=gen).run(data)
    elif method == "ircot":
        active_ns["IRCOTPipeline"](config, max_iter=5, retriever=ret, generator=gen).run(data)
    for q, item in zip(spec["questions"], data):
        prompts = gen.prompts[q["id"]]
        chat = not isinstance(prompts[0], str) or prompts[0].startswith("[{")
        OUT.write(json.dumps({"model": MODEL["name"], "method": method, "id": q["id"], "pred": item.pred,
                          "chat": chat, "prompts": [json.loads(p) if chat else p for p in prompts]}, ensure_ascii=False) + "\n")

OUT = open("flashrag_pipelines.jsonl", "w")  # FlashRAG prints to stdout
for MODEL["name"] in ["qwen2.5-7b", "qwen2.5-7b-instruct"]:
    for method in ["naive-gen", "naive-rag", "iter-retgen", "ircot"]:
        run(method)
