# Writes flashrag_prompts.jsonl: FlashRAG's own PromptTemplate (from the
# ReSearch repository's vendored copy) rendering the baselines' prompts, and
# its ircot_pred_parse on sample chains. transformers and tiktoken are
# stubbed: the chat path returns the messages it would template, as JSON.
#
#   SRC=/tmp/fr; for f in src/flashrag/prompt/base_prompt.py \
#     src/flashrag/pipeline/active_pipeline.py scripts/evaluation/run_eval.py \
#     src/flashrag/utils/pred_parse.py; do
#     git -C /work/.mirror/Agent-RL+ReCall/repo show re-search:$f > $SRC/$(basename $f); done
#   /usr/bin/python3 flashrag_prompts.py $SRC > flashrag_prompts.jsonl
#
# (commit 4bdb872b7187ec6c19337251f57f9614ba7ce5ab of branch re-search)
import ast, json, sys, types

src = sys.argv[1]

class Tok:
    def __call__(self, prompt, **kw):
        return types.SimpleNamespace(input_ids=[[0] * 10])
    def apply_chat_template(self, messages, tokenize, add_generation_prompt):
        return json.dumps(messages)

transformers = types.ModuleType("transformers")
transformers.AutoTokenizer = types.SimpleNamespace(from_pretrained=lambda *a, **k: Tok())
transformers.AutoConfig = types.SimpleNamespace(from_pretrained=lambda *a, **k: types.SimpleNamespace(_name_or_path=NAME))
sys.modules["transformers"] = transformers
sys.modules["tiktoken"] = types.ModuleType("tiktoken")

ns = {}
exec(open(f"{src}/base_prompt.py").read(), ns)
PromptTemplate = ns["PromptTemplate"]
pp = {}
exec(open(f"{src}/pred_parse.py").read(), pp)

def class_consts(path, cls):
    out = {}
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for st in node.body:
                if isinstance(st, ast.Assign) and isinstance(st.value, ast.Constant):
                    out[st.targets[0].id] = st.value.value
    return out

def zero_shot_kwargs(path):
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.FunctionDef) and node.name == "zero_shot":
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "PromptTemplate":
                    return {k.arg: k.value.value for k in call.keywords if isinstance(k.value, ast.Constant)}

ircot = class_consts(f"{src}/active_pipeline.py", "IRCOTPipeline")
zs = zero_shot_kwargs(f"{src}/run_eval.py")
config = {"framework": "sgl_remote", "generator_max_input_len": 8192, "generator_model_path": "m"}

def template(method):
    if method == "naive-gen":
        return PromptTemplate(config=config, system_prompt=zs["system_prompt"], user_prompt=zs["user_prompt"])
    if method == "ircot":
        return PromptTemplate(config=config,
            system_prompt=f"{ircot['IRCOT_INSTRUCTION']}\n\n{ircot['IRCOT_EXAMPLE']}",
            user_prompt="{reference}Question: {question}\nThought:",
            reference_template="Wikipedia Title: {title}\n{text}\n\n", enable_chat=False)
    return PromptTemplate(config=config)

docs = [
    {"id": "1", "contents": "\"Paris\"\nParis is the capital of France."},
    {"id": "2", "contents": "no title line at all"},
    {"id": "3", "contents": "\"Multi\"\nline one\nline two {question}"},
]
questions = ["Where is the Eiffel Tower?", "What is {reference} here?"]
for NAME in ["qwen2.5-7b", "qwen2.5-7b-instruct"]:
    for method in ["naive-gen", "naive-rag", "ircot"]:
        for q in questions:
            for d in ([None] if method == "naive-gen" else [docs[:1], docs]):
                for prev in ([None] if method != "ircot" else [None, "", " ", "First thought. Second"]):
                    t = template(method)
                    out = t.get_string(question=q, retrieval_result=d, previous_gen=prev)
                    case = {"method": method, "model": NAME, "question": q, "docs": d or [], "previous_gen": prev or "", "chat": t.is_chat and t.enable_chat}
                    if case["chat"]:
                        case["messages"] = json.loads(out)
                    else:
                        case["prompt"] = out
                    print(json.dumps(case, ensure_ascii=False))

class Item:
    def __init__(self, pred):
        self.pred = pred
    def update_output(self, k, v):
        setattr(self, k, v)
for chain in ["Kurram is in Pakistan. So the answer is: no.", "no answer here", "So the answer is: a So the answer is: b", "x So the answer is:   \n"]:
    item = Item(chain)
    pp["ircot_pred_parse"]([item])
    print(json.dumps({"method": "ircot-parse", "chain": chain, "pred": item.pred}))
