// Reference WordPiece ids from Hugging Face tokenizers (npm tokenizers@0.23.2,
// the Rust library). Run from this directory:
//   npm install tokenizers@0.23.2   (anywhere on NODE_PATH)
//   node gen_ids.js ../../../../../shared/data/corpus
// Writes ids.jsonl (full ids of the edge cases and the first 200 wiki18
// passages, untruncated and truncated to 32) and hashes.txt (the first 16 hex
// digits of a SHA-256 of the ids of every shared corpus text at max length
// 512, one per line).
const fs = require("fs");
const path = require("path");
const crypto = require("crypto");
const { Tokenizer } = require("tokenizers");

const corpus = process.argv[2];
const wiki = fs.readFileSync(path.join(corpus, "wiki18_sample_1000.jsonl"), "utf8")
  .split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l).contents);
const twowiki = JSON.parse(fs.readFileSync(path.join(corpus, "2wiki_dev_corpus.json"), "utf8"))
  .map((p) => p.title + "\n" + p.text);
// Every text of the shared corpora, in a fixed order: wiki18 contents, 2Wiki
// "title\ntext", then for HotpotQA and MuSiQue each question followed by its
// paragraphs ("title\n" + sentences joined, or "title\nparagraph_text").
function allTexts() {
  const out = wiki.concat(twowiki);
  for (const line of fs.readFileSync(path.join(corpus, "hotpotqa_dev500_distractor.jsonl"), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const q = JSON.parse(line);
    out.push(q.question);
    for (const [title, sents] of q.context) out.push(title + "\n" + sents.join(""));
  }
  for (const q of JSON.parse(fs.readFileSync(path.join(corpus, "musique_train100_with_paragraphs.json"), "utf8"))) {
    out.push(q.question);
    for (const p of q.paragraphs) out.push(p.title + "\n" + p.paragraph_text);
  }
  return out;
}
const edge = [
  "", "   ", "Hello, World!", "query: who wrote Hamlet?", "passage: \"Hamlet\"\nHamlet is a tragedy.",
  "Café déjà vu — naïve façade", "ÀÉÎÕÜ ǅ İstanbul Straße ΣΊΣΥΦΟΣ", "北京是中国的首都。東京", "한국어 テスト",
  "tab\tnew\nline\r\ncarriage\u000bvt\u0000nul\u00adsoft\u200bzw\ufffdrep", "emoji 😀👍 ok",
  "a".repeat(99), "b".repeat(100), "c".repeat(101), "$100 + 5% = <x> | y ^ z ` ~ @ # &",
  "don't stop-believing... (really) [yes] {no}", "x [MASK] y [CLS][SEP] [unk] [UNK]",
  "\u00a0nbsp\u2003em\u3000ideographic", "Ⅻ ½ ² ﬁ ℌ", "zzzzqqqq xylophoneqqq",
];

function sha(ids) {
  return crypto.createHash("sha256").update(ids.join(",")).digest("hex").slice(0, 16);
}

(async () => {
  const tok = Tokenizer.fromFile("tokenizer.json");
  const tokTrunc = Tokenizer.fromFile("tokenizer.json");
  tokTrunc.setTruncation(32);
  const tok512 = Tokenizer.fromFile("tokenizer.json");
  tok512.setTruncation(512);
  const out = [];
  for (const text of edge.concat(wiki.slice(0, 200))) {
    const full = (await tok.encode(text)).getIds();
    const t32 = (await tokTrunc.encode(text)).getIds();
    out.push(JSON.stringify({ text, ids: full, ids32: t32 }));
  }
  fs.writeFileSync("ids.jsonl", out.join("\n") + "\n");
  const hashes = [];
  for (const text of allTexts()) {
    hashes.push(sha((await tok512.encode(text)).getIds()));
  }
  fs.writeFileSync("hashes.txt", hashes.join("\n") + "\n");
})();
