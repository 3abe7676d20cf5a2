#!/usr/bin/env python3
"""Writes chat_cases.jsonl: conversations rendered by Jinja2 from
qwen2.5_chat_template.jinja (the no-tools branch of Qwen2.5-Instruct's
chat_template) with the environment transformers' apply_chat_template uses
(trim_blocks, lstrip_blocks, sandboxed). Needs jinja2 (python3 on PATH has it).
Usage: python3 chat_cases.py ../../../shared/reference/template_instruct_system.txt"""
import json
import sys

from jinja2.sandbox import ImmutableSandboxedEnvironment

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
template = env.from_string(open("qwen2.5_chat_template.jinja").read())
research_system = open(sys.argv[1]).read()

def m(role, content):
    return {"role": role, "content": content}

conversations = [
    [m("user", "Who wrote Hamlet?")],
    [m("system", "You are terse."), m("user", "Hi")],
    [m("system", research_system), m("user", "Who was president of the United States in the year that Citibank was founded?")],
    [m("system", ""), m("user", "")],
    [m("user", "2+2?"), m("assistant", "4"), m("user", "and 3+3?")],
    [m("system", "S"), m("user", "q"), m("assistant", "<think> x </think> <search> y </search>"), m("tool", "r1"), m("tool", "r2"), m("user", "go on")],
    [m("user", "a"), m("system", "late system"), m("assistant", "b")],
    [m("tool", "first")],
    [m("user", "ünïcödé 🤖\n\nlines\n")],
]
with open("chat_cases.jsonl", "w") as f:
    for conv in conversations:
        for gen in (False, True):
            text = template.render(messages=conv, add_generation_prompt=gen)
            f.write(json.dumps({"messages": conv, "add_generation_prompt": gen, "text": text}, ensure_ascii=False) + "\n")
