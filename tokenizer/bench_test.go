package tokenizer

import (
	"os"
	"testing"
)

// BenchmarkEncodeQwen encodes the shared wiki18 sample with Qwen2.5. The
// comparison with HF tokenizers is bench/tokenizer/run.sh.
func BenchmarkEncodeQwen(b *testing.B) {
	tk := qwen(b)
	data, err := os.ReadFile(needShared(b, "data/corpus/wiki18_sample_1000.jsonl"))
	if err != nil {
		b.Fatal(err)
	}
	text := string(data)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		tk.Encode(text)
	}
}
