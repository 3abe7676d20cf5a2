// hf_bench.mjs TOKENIZER.json chunks.jsonl [seconds]
//
// Single-thread encode throughput of HuggingFace tokenizers (npm, Rust
// core) on the same {"text"} chunks as the Go benchmark; prints MB/s, the id
// count and the same FNV-1a checksum of all ids.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const require = createRequire(import.meta.url);
const { Tokenizer } = require("tokenizers");

const [path, input, seconds = "3"] = process.argv.slice(2);
const tok = Tokenizer.fromFile(path);
const texts = readFileSync(input, "utf8").split("\n").filter((l) => l).map((l) => JSON.parse(l).text);
const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);

// FNV-1a 64 over the ids written as "id," — the same bytes the Go side hashes.
let h = 0xcbf29ce484222325n;
const prime = 0x100000001b3n;
const mask = 0xffffffffffffffffn;
let count = 0;
for (const t of texts) {
  const ids = (await tok.encode(t, null, { addSpecialTokens: false })).getIds();
  for (const id of ids) {
    for (const c of Buffer.from(id + ",")) {
      h = ((h ^ BigInt(c)) * prime) & mask;
    }
    count++;
  }
}
let passes = 0;
const start = process.hrtime.bigint();
let elapsed = 0;
while (elapsed < Number(seconds)) {
  for (const t of texts) {
    await tok.encode(t, null, { addSpecialTokens: false });
  }
  passes++;
  elapsed = Number(process.hrtime.bigint() - start) / 1e9;
}
console.log(
  `hf  ${((bytes * passes) / elapsed / 1e6).toFixed(2)} MB/s  (${bytes} bytes x ${passes} passes in ${elapsed.toFixed(2)}s) ids=${count} checksum=${h.toString(16).padStart(16, "0")}`,
);
