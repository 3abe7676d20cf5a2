# Writes flashrag_research.jsonl: FlashRAG's ReSearchPipeline (the ReSearch
# repository's vendored copy) run on scripted replies, with and without the
# chat template, so that the Go ReSearch method can be checked: the prompt,
# the response with its inserted results, and the prediction.
#
# The generator finds the question in the prompt and returns its next reply
# as SGLang's /generate would: a reply ending in </search> stops there
# (finish_reason stop, matched "</search>", the tag not in the text), any
# other ends with EOS (matched 151645). The retriever returns the listed
# passages, or for another query one passage {"contents": "\"U\"\nabout "+query}.
# transformers is stubbed; the chat template returns the messages as JSON.
#
#   SRC=/tmp/fr; for f in src/flashrag/pipeline/pipeline.py src/flashrag/pipeline/active_pipeline.py \
#     src/flashrag/prompt/base_prompt.py src/flashrag/utils/pred_parse.py \
#     src/verl/utils/dataset/template.py src/verl/utils/reward_score/re_search.py; do
#     git -C /work/.mirror/Agent-RL+ReCall/repo show re-search:$f > $SRC/$(basename $f); done
#   /usr/bin/python3 flashrag_research.py $SRC   # run in this folder
#
# (commit 4bdb872b7187ec6c19337251f57f9614ba7ce5ab of branch re-search)
import json, sys, types

src = sys.argv[1]
spec = json.load(open("flashrag_research_in.json"))

def module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m

def load(path, ns_name):
    ns = {"__name__": ns_name}
    exec(open(path).read(), ns)
    return ns

class Tok:
    def apply_chat_template(self, messages, tokenize, add_generation_prompt):
        return json.dumps(messages)

module("transformers", AutoTokenizer=types.SimpleNamespace(from_pretrained=lambda *a, **k: Tok()),
       AutoConfig=None, PreTrainedTokenizer=object, PreTrainedTokenizerFast=object)
module("tqdm", tqdm=lambda it=None, **kw: it)
for name in ["verl", "verl.utils", "verl.utils.dataset", "verl.utils.reward_score", "flashrag", "flashrag.dataset"]:
    module(name)
module("verl.utils.dataset.template", **load(f"{src}/template.py", "template"))
module("verl.utils.reward_score.re_search", **load(f"{src}/re_search.py", "re_search"))
module("flashrag.utils", get_retriever=None, get_generator=None, selfask_pred_parse=None, ircot_pred_parse=None)
module("flashrag.dataset.utils", get_batch_dataset=None, merge_batch_dataset=None)
module("flashrag.prompt", PromptTemplate=lambda config: None)

class BasicPipeline:
    def __init__(self, config, prompt_template=None):
        self.config = config
module("flashrag.pipeline", BasicPipeline=BasicPipeline)
active = load(f"{src}/active_pipeline.py", "active_pipeline")

class Item:
    def __init__(self, q):
        self.question, self.output = q, {}
    def update_output(self, k, v):
        self.output[k] = v

class Generator:
    def __init__(self):
        self.calls = {}
    def generate(self, input_list, return_raw_output, stop, max_new_tokens):
        prompt = input_list[0]
        q = [q for q in spec["questions"] if q["question"] in prompt][0]
        n = self.calls.get(q["id"], 0)
        self.calls[q["id"]] = n + 1
        reply = q["replies"][n]
        meta = {"prompt_tokens": 10, "completion_tokens": 10}
        if reply.endswith("</search>"):
            meta["finish_reason"] = {"type": "stop", "matched": "</search>"}
            reply = reply[: -len("</search>")]
        else:
            meta["finish_reason"] = {"type": "stop", "matched": 151645}
        return [{"text": reply, "meta_info": meta}]

class Retriever:
    def search(self, query):
        if query in spec["docs"]:
            return spec["docs"][query]
        return [{"id": "u", "contents": "\"U\"\nabout " + query}]

out = open("flashrag_research.jsonl", "w")
for chat in [False, True]:
    p = active["ReSearchPipeline"]({"generator_model_path": "m", "generator_max_input_len": 8192},
                                   retriever=Retriever(), generator=Generator(), apply_chat=chat)
    for q in spec["questions"]:
        item = Item(q["question"])
        p.run_item(item)
        prompt = (json.dumps([{"role": "system", "content": p.prompt_template}, {"role": "user", "content": q["question"]}])
                  if chat else p.prompt_template.format(prompt=q["question"]))
        out.write(json.dumps({"chat": chat, "id": q["id"], "prompt": prompt, "response": item.output["final_response"],
                              "pred": item.output["pred"]}, ensure_ascii=False) + "\n")
