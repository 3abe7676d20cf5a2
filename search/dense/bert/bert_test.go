package bert

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"research/search"
	"research/search/dense"
	"research/search/dense/hnsw"
)

type reference struct {
	IDs      [][]int       `json:"ids"`
	Mean     [][]float32   `json:"mean"`
	CLS      [][]float32   `json:"cls"`
	MeanNorm [][]float32   `json:"mean_norm"`
	CLSNorm  [][]float32   `json:"cls_norm"`
	Hidden   [][][]float32 `json:"hidden"`
}

func readReference(t *testing.T, dir string) *reference {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "reference.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// compare returns the largest absolute difference and the smallest cosine
// between matching rows.
func compare(got, want [][]float32) (maxDiff, minCos float64) {
	minCos = 1
	for i := range want {
		var dot, ng, nw float64
		for j := range want[i] {
			g, w := float64(got[i][j]), float64(want[i][j])
			maxDiff = math.Max(maxDiff, math.Abs(g-w))
			dot += g * w
			ng += g * g
			nw += w * w
		}
		minCos = math.Min(minCos, dot/math.Sqrt(ng*nw))
	}
	return maxDiff, minCos
}

// checkAgainstTorch runs the model in dir on the reference ids and checks
// every pooling against PyTorch's (testdata/gen_bert.py).
func checkAgainstTorch(t *testing.T, dir string, tol float64) {
	m, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ref := readReference(t, dir)
	hidden, start, err := m.Forward(ref.IDs)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Hidden != nil {
		var rows, want [][]float32
		H := m.HiddenSize
		for i := range ref.IDs {
			for p := range ref.Hidden[i] {
				rows = append(rows, hidden[(start[i]+p)*H:(start[i]+p+1)*H])
				want = append(want, ref.Hidden[i][p])
			}
		}
		d, c := compare(rows, want)
		t.Logf("last hidden state: max |diff| %.3g, 1 - min cosine %.2g", d, 1-c)
		if d > tol || c < 0.99999 {
			t.Errorf("hidden states differ from PyTorch: max |diff| %.3g, min cosine %.9f", d, c)
		}
	}
	for _, tc := range []struct {
		name      string
		pool      Pooling
		normalize bool
		want      [][]float32
	}{
		{"mean", Mean, false, ref.Mean},
		{"cls", CLS, false, ref.CLS},
		{"mean+l2", Mean, true, ref.MeanNorm},
		{"cls+l2", CLS, true, ref.CLSNorm},
	} {
		got := Pool(hidden, start, m.HiddenSize, tc.pool, tc.normalize)
		d, c := compare(got, tc.want)
		t.Logf("%s: max |diff| %.3g, 1 - min cosine %.2g", tc.name, d, 1-c)
		if d > tol || c < 0.99999 {
			t.Errorf("%s embeddings differ from PyTorch: max |diff| %.3g, min cosine %.9f", tc.name, d, c)
		}
	}
}

func TestMatchesTorchTiny(t *testing.T) {
	checkAgainstTorch(t, "testdata/tiny", 1e-5)
}

// TestMatchesTorchE5Shape checks a random BERT of E5-base's shape, made by
// "python3 testdata/gen_bert.py e5 DIR" (500 MB, so not committed).
func TestMatchesTorchE5Shape(t *testing.T) {
	dir := os.Getenv("BERT_E5_REF")
	if dir == "" {
		t.Skip("set BERT_E5_REF to a directory made by testdata/gen_bert.py e5")
	}
	checkAgainstTorch(t, dir, 1e-4)
}

// tinyEncoderDir is the tiny model with a small WordPiece vocabulary.
func tinyEncoderDir(t *testing.T) string {
	dir := t.TempDir()
	for _, f := range []string{"config.json", "model.safetensors"} {
		raw, err := os.ReadFile(filepath.Join("testdata/tiny", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), raw, 0o644)
	}
	vocab := map[string]int{"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3}
	for i, w := range strings.Fields("query passage : who wrote hamlet shakespeare ? a play by ##s the") {
		vocab[w] = 4 + i
	}
	tj, _ := json.Marshal(map[string]any{
		"normalizer": map[string]any{"type": "BertNormalizer", "lowercase": true},
		"model":      map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "vocab": vocab},
	})
	os.WriteFile(filepath.Join(dir, "tokenizer.json"), tj, 0o644)
	return dir
}

// TestDenseIndex runs the encoder through a dense index end to end: a
// query equal to a passage (no prefixes) must find that passage first,
// with cosine 1, by exact search and by HNSW.
func TestDenseIndex(t *testing.T) {
	enc, err := Open(tinyEncoderDir(t), Options{Normalize: true})
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	texts := []string{"who wrote hamlet", "a play by shakespeare", "the plays", "hamlet ?", "shakespeare wrote a play"}
	var corpus strings.Builder
	for i, s := range texts {
		fmt.Fprintf(&corpus, "{\"id\":\"d%d\",\"title\":\"t\",\"text\":%q}\n", i, s)
	}
	out := filepath.Join(t.TempDir(), "idx")
	_, err = dense.Build(context.Background(), strings.NewReader(corpus.String()), "corpus", out, enc,
		dense.BuildOptions{DType: dense.F16, HNSW: &hnsw.Params{M: 4}})
	if err != nil {
		t.Fatal(err)
	}
	ix, err := dense.Open(out, dense.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	for _, ef := range []int{0, 10} {
		r, err := dense.NewRetriever(ix, enc, ef)
		if err != nil {
			t.Fatal(err)
		}
		queries := make([]string, len(texts))
		for i, s := range texts {
			queries[i] = search.JoinContents("t", s)
		}
		docs, err := r.Search(context.Background(), queries, 2)
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range docs {
			if d[0].ID != fmt.Sprintf("d%d", i) || math.Abs(d[0].Score-1) > 2e-3 {
				t.Errorf("ef=%d query %d: top hit %s score %.4f, want d%d with 1", ef, i, d[0].ID, d[0].Score, i)
			}
		}
	}
}

// TestEncoder checks that Encode is tokenize-then-EmbedIDs, that batching
// by token budget changes nothing, and the option checks.
func TestEncoder(t *testing.T) {
	dir := tinyEncoderDir(t)
	texts := []string{"query: who wrote Hamlet?", "passage: Hamlet, a play by Shakespeare", "the plays"}
	whole, err := Open(dir, Options{Normalize: true})
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	got, err := whole.Encode(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	small, err := Open(dir, Options{Normalize: true, BatchTokens: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	got1, err := small.Encode(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range texts {
		want, err := whole.EmbedIDs([][]int{whole.Tok.Encode(text, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := compare([][]float32{got[i], got1[i]}, [][]float32{want[0], want[0]}); d > 1e-6 {
			t.Errorf("text %d: batched embedding differs from a lone one by %g", i, d)
		}
	}
	if whole.Dim() != 64 || len(got[0]) != 64 {
		t.Errorf("Dim %d, vector length %d, want 64", whole.Dim(), len(got[0]))
	}

	if _, err := Open(dir, Options{Pooling: "max"}); err == nil || !strings.Contains(err.Error(), "pooling") {
		t.Errorf("pooling max: err = %v", err)
	}
	big, _ := os.ReadFile("../wordpiece/testdata/tokenizer.json")
	os.WriteFile(filepath.Join(dir, "tokenizer.json"), big, 0o644)
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "the model only") {
		t.Errorf("oversized tokenizer: err = %v", err)
	}
}

func TestForwardRejects(t *testing.T) {
	m, err := Load("testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	for _, seqs := range [][][]int{{{}}, {{1, 211}}, {{-1}}, {make([]int, 41)}} {
		if _, _, err := m.Forward(seqs); err == nil {
			t.Errorf("Forward(%v) accepted", seqs)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"model_type":"roberta"}`, "model_type"},
		{`{"model_type":"bert","hidden_act":"gelu_new"}`, "hidden_act"},
		{`{"hidden_size":10,"num_attention_heads":3,"vocab_size":1,"num_hidden_layers":1,"intermediate_size":1,"max_position_embeddings":1}`, "multiple"},
		{`{"vocab_size":-1}`, "positive"},
		{`[`, "unexpected"},
	} {
		p := filepath.Join(t.TempDir(), "config.json")
		os.WriteFile(p, []byte(tc.json), 0o644)
		if _, err := ReadConfig(p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.json, err, tc.want)
		}
	}
}
