package model

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"research/safetensors"
	"research/tensor"
)

func TestParseDType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want DType
		ok   bool
	}{
		{"", F32, true}, {"f32", F32, true}, {"float32", F32, true}, {"F32", F32, true},
		{"bf16", BF16, true}, {"BF16", BF16, true}, {"bfloat16", BF16, true},
		{"f16", "", false}, {"int8", "", false},
	} {
		got, err := ParseDType(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDType(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// roundedF32 returns a float32 copy of m whose weight matrices hold their
// bfloat16 values (rounded to nearest, ties to even, and widened back): the
// F32 model that a BF16 model of m must match.
func roundedF32(m *Model) *Model {
	r := &Model{Config: m.Config, Layers: make([]Layer, len(m.Layers))}
	src, dst := m.tensors(), r.tensors()
	for i := range src {
		w := slices.Clone(*src[i].dst)
		if src[i].bf16 != nil {
			for j, v := range w {
				w[j] = tensor.BF16ToF32(safetensors.F32ToBF16(v))
			}
		}
		*dst[i].dst = w
	}
	if r.Config.TieWordEmbeddings {
		r.LMHead = r.Embed
	}
	return r
}

// bf16Models are the models the BF16 tests run: the tiny reference model
// (untied, every width a multiple of 8) and a tied one whose widths leave
// tails past the kernels' eight-lane chains (hidden 36, MLP 100, 3 heads of
// 12 over one KV head).
func bf16Models(t *testing.T) []struct {
	name string
	m    *Model
} {
	tiny, err := Load("testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tiny.Close() })
	c := Config{ModelType: "qwen2", VocabSize: 300, HiddenSize: 36, IntermediateSize: 100, NumLayers: 2,
		NumHeads: 3, NumKVHeads: 1, HeadDim: 12, RopeTheta: 10000, RMSNormEps: 1e-6, MaxPositions: 128, TieWordEmbeddings: true}
	ragged, err := New(c, 0.2, rand.New(rand.NewPCG(24, 1)))
	if err != nil {
		t.Fatal(err)
	}
	return []struct {
		name string
		m    *Model
	}{{"tiny", tiny}, {"tied-ragged", ragged}}
}

// forwardAll runs one batched forward that covers every path of Forward
// and returns its logits, all in one slice: fresh caches hold a prefix of
// each sequence (prefilled, one of them past the GEMM attention bound),
// then one call decodes three of them, prefills another chunk of a fourth
// with AllLogits and feeds a fifth with NoLogits.
func forwardAll(t *testing.T, m *Model) []float32 {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 8))
	toks := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = r.IntN(m.Config.VocabSize)
		}
		return out
	}
	var out []float32
	var batch []Input
	for i, n := range []int{3, 20, 9, 5, 11} {
		c := m.NewCache(0)
		logits, err := m.Forward([]Input{{Cache: c, Tokens: toks(n), AllLogits: i == 1}})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, logits[0]...)
		batch = append(batch, Input{Cache: c})
	}
	batch[0].Tokens, batch[1].Tokens, batch[2].Tokens = toks(1), toks(1), toks(1)
	batch[3].Tokens, batch[3].AllLogits = toks(17), true
	batch[4].Tokens, batch[4].NoLogits = toks(4), true
	logits, err := m.Forward(batch)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range logits {
		out = append(out, l...)
	}
	return out
}

// TestBF16MatchesRoundedF32 checks, with every kernel set, that a model
// kept in BF16 gives the logits of the F32 model whose weights are the
// same bfloat16 values, to the bit (prefill, decode, AllLogits), and the
// same greedy continuation. The kernels widen BF16 weights exactly and sum
// in the F32 kernels' order, so nothing, not even the summation order,
// differs; the BF16 model's distance from the unrounded F32 model is
// logged for scale.
func TestBF16MatchesRoundedF32(t *testing.T) {
	saved := tensor.Kernels()
	defer tensor.SetKernels(saved)
	for _, tc := range bf16Models(t) {
		want := roundedF32(tc.m)
		b := roundedF32(tc.m) // a float32 copy to convert, leaving tc.m as loaded
		b.ToBF16()
		if b.DType() != BF16 || b.Embed != nil || b.Layers[1].Wdown != nil || b.Layers[1].BF16.Wdown == nil {
			t.Fatalf("%s: ToBF16 left dtype %s with float32 matrices", tc.name, b.DType())
		}
		if tc.m.Config.TieWordEmbeddings && b.LMHeadBF16 != b.EmbedBF16 {
			t.Fatalf("%s: tied head and embedding are two matrices in BF16", tc.name)
		}
		prompt := []int{5, 17, 3, 250 % tc.m.Config.VocabSize, 42, 9, 1, 77}
		for _, set := range tensor.KernelSets() {
			if err := tensor.SetKernels(set); err != nil {
				t.Fatal(err)
			}
			name := tc.name + "/" + set
			got, exp := forwardAll(t, b), forwardAll(t, want)
			if len(got) != len(exp) {
				t.Fatalf("%s: %d logits, want %d", name, len(got), len(exp))
			}
			for i := range exp {
				if math.Float32bits(got[i]) != math.Float32bits(exp[i]) {
					t.Fatalf("%s: logit %d: BF16 %v, F32 on rounded weights %v", name, i, got[i], exp[i])
				}
			}
			g, e := greedy(t, b, prompt, 12), greedy(t, want, prompt, 12)
			if !slices.Equal(g, e) {
				t.Errorf("%s: greedy BF16 %v, F32 on rounded weights %v", name, g, e)
			}
			var worst float64
			orig := forwardAll(t, tc.m)
			for i := range orig {
				worst = max(worst, math.Abs(float64(got[i]-orig[i])))
			}
			t.Logf("%s: max |BF16 logit - unrounded F32 logit| = %.3g", name, worst)
		}
	}
}

// TestLoadAsBF16 checks the BF16 loading paths: a BF16 checkpoint's
// matrices are kept as stored (the checkpoint reads them in place, from the
// mapping); F32 checkpoints and GGUF files are rounded to nearest even as
// ToBF16 rounds; a BF16 model saves and reloads bit for
// bit; training refuses it.
func TestLoadAsBF16(t *testing.T) {
	f32, err := Load("testdata/tiny")
	if err != nil {
		t.Fatal(err)
	}
	defer f32.Close()
	want := roundedF32(f32)
	want.ToBF16()
	bf16Dir := filepath.Join(t.TempDir(), "bf16")
	if err := f32.Save(bf16Dir, "BF16"); err != nil {
		t.Fatal(err)
	}
	resaved := filepath.Join(t.TempDir(), "resaved")
	for _, tc := range []struct{ name, path string }{
		{"bf16 checkpoint", bf16Dir},
		{"f32 checkpoint", "testdata/tiny"},
		{"gguf", "testdata/tiny/tiny-qwen2.gguf"},
		{"bf16 model saved as BF16", resaved},
	} {
		m, err := LoadAs(tc.path, BF16)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if m.DType() != BF16 || m.Embed != nil || m.LMHead != nil || m.Layers[0].Wq != nil || m.Layers[0].Bq == nil {
			t.Fatalf("%s: dtype %s; float32 matrices or missing biases", tc.name, m.DType())
		}
		// Norms and biases are read as Load reads them (a BF16 file rounded
		// them too); the matrices are the tiny model's rounded once.
		plain, err := Load(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		wr, pr, gr := want.tensors(), plain.tensors(), m.tensors()
		for i := range wr {
			if wr[i].bf16 != nil && !slices.Equal((*gr[i].bf16).Bits(), (*wr[i].bf16).Bits()) {
				t.Errorf("%s: %s differs from the weights rounded to BF16", tc.name, wr[i].name)
			}
			if wr[i].bf16 == nil && !slices.Equal(*gr[i].dst, *pr[i].dst) {
				t.Errorf("%s: %s (float32) differs from Load's", tc.name, wr[i].name)
			}
		}
		plain.Close()
		if tc.name == "f32 checkpoint" {
			if err := m.Save(resaved, "BF16"); err != nil {
				t.Fatal(err)
			}
		}
		_, err = m.TrainForward([][]int{{1, 2, 3}}, []int{1}, TrainOptions{Temperature: 1})
		if err == nil || !strings.Contains(err.Error(), "bf16") {
			t.Errorf("%s: TrainForward on a BF16 model: %v, want a refusal naming bf16", tc.name, err)
		}
		m.Close()
	}

	// A BF16 tensor is read in place: two reads alias one mapping.
	ck, err := OpenCheckpoint(bf16Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	const name = "model.layers.0.mlp.up_proj.weight"
	c := f32.Config
	a, err := ck.TensorBF16(name, c.IntermediateSize, c.HiddenSize)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := ck.TensorBF16(name, c.IntermediateSize, c.HiddenSize)
	if &a[0] != &b[0] {
		t.Error("a BF16 tensor was copied, not read in place")
	}
	if _, err := ck.TensorBF16(name, c.HiddenSize, c.IntermediateSize); err == nil || !strings.Contains(err.Error(), name) {
		t.Errorf("wrong shape: %v, want an error naming %s", err, name)
	}
	if _, err := LoadAs("testdata/tiny", "f16"); err == nil {
		t.Error("LoadAs accepted dtype f16")
	}
}
