# Writes pyrepr.jsonl: Python's str() of string lists, the {gt_answer} of the
# judge prompt. Run with Debian's /usr/bin/python3 from this folder.
import json

cases = [
    [],
    ["Paris"],
    ["Paris", "paris, France"],
    ["O'Neill"],
    ["O'Neill", 'say "hi"'],
    ['say "hi"'],
    ["both ' and \""],
    ["back\\slash", "tab\there", "new\nline", "cr\rhere"],
    ["Västerås", "東京", "emoji 😀"],
    ["\x00\x07\x1f\x7f", "\x85nel", "\xa0nbsp", "\xad soft hyphen"],
    ["\u2028line sep", "\u200bzero width", "\ufeffbom", "\ue000private"],
    ["$26 billion", "1,000", "1984"],
    ["\U000e0001 tag", "\U0010ffff", "\u0378 unassigned"],
]
with open("pyrepr.jsonl", "w") as f:
    for c in cases:
        f.write(json.dumps({"items": c, "repr": str(c)}) + "\n")
