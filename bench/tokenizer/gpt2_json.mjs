// gpt2_json.mjs ENCODER.json VOCAB.bpe OUT.json
//
// Builds GPT-2's tokenizer.json with HuggingFace tokenizers from the
// original encoder.json + vocab.bpe (BPE model, ByteLevel pre-tokenizer and
// decoder, <|endoftext|> special), so GPT-2 can be compared like Qwen2.5.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const tk = require("tokenizers");

const [vocab, merges, out] = process.argv.slice(2);
if (!out) {
  console.error("usage: node gpt2_json.mjs ENCODER.json VOCAB.bpe OUT.json");
  process.exit(2);
}
const model = await tk.BPE.fromFile(vocab, merges);
const tok = new tk.Tokenizer(model);
tok.setPreTokenizer(tk.byteLevelPreTokenizer(false, true));
tok.addSpecialTokens(["<|endoftext|>"]);
tok.save(out);
// The npm binding has no ByteLevel decoder constructor: add it to the JSON
// and load the result once, so HF itself vouches for the file.
const json = JSON.parse(readFileSync(out, "utf8"));
json.decoder = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
writeFileSync(out, JSON.stringify(json));
tk.Tokenizer.fromFile(out);
