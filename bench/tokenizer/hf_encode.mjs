// hf_encode.mjs TOKENIZER.json < in.jsonl > out.jsonl
//
// Encodes the "text" of each JSONL line with HuggingFace tokenizers (npm
// package, Rust core) and writes {"text","ids"} lines: the reference that
// our Go tokenizer is checked against. add_special_tokens is false, as in
// the conformance files; added tokens in the text are still matched.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const { Tokenizer } = require("tokenizers");

const [path] = process.argv.slice(2);
if (!path) {
  console.error("usage: node hf_encode.mjs TOKENIZER.json < in.jsonl > out.jsonl");
  process.exit(2);
}
const tok = Tokenizer.fromFile(path);
const lines = readFileSync(0, "utf8").split("\n").filter((l) => l.length > 0);
const out = [];
for (const line of lines) {
  const { text } = JSON.parse(line);
  const enc = await tok.encode(text, null, { addSpecialTokens: false });
  out.push(JSON.stringify({ text, ids: enc.getIds() }));
}
process.stdout.write(out.join("\n") + "\n");
