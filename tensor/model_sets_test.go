package tensor_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"research/model"
	"research/tensor"
)

// TestModelSameAcrossSets runs the demo's base policy through what a GRPO
// run does with it — a batched prefill, batched decode steps, logprobs, a
// training forward and backward — with the AVX2 and the AVX-512 kernels,
// and checks that every logit, logprob and gradient has the same bits: the
// demo's figures must not depend on the machine's vector width.
func TestModelSameAcrossSets(t *testing.T) {
	if !slices.Contains(tensor.KernelSets(), "avx512") {
		t.Skip("no AVX-512 on this CPU")
	}
	if testing.Short() {
		t.Skip("loads the demo's base policy")
	}
	m, err := model.Load("../demo/base")
	if err != nil {
		t.Fatal(err)
	}
	saved := tensor.Kernels()
	defer tensor.SetKernels(saved)
	var runs [2][]float64
	for i, set := range []string{"avx2", "avx512"} {
		if err := tensor.SetKernels(set); err != nil {
			t.Fatal(err)
		}
		runs[i] = modelOutputs(t, m)
	}
	if len(runs[0]) != len(runs[1]) {
		t.Fatalf("%d outputs with avx2, %d with avx512", len(runs[0]), len(runs[1]))
	}
	for j := range runs[0] {
		a, b := runs[0][j], runs[1][j]
		if math.Float64bits(a) != math.Float64bits(b) && !(a != a && b != b) {
			t.Fatalf("output %d of %d: %v with avx2, %v with avx512", j, len(runs[0]), a, b)
		}
	}
}

func modelOutputs(t *testing.T, m *model.Model) []float64 {
	var out []float64
	put := func(xs []float32) {
		for _, v := range xs {
			out = append(out, float64(v))
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	vocab := m.Config.VocabSize
	randTokens := func(n int) []int {
		toks := make([]int, n)
		for i := range toks {
			toks[i] = r.IntN(vocab)
		}
		return toks
	}
	var batch []model.Input
	for s := range 21 {
		batch = append(batch, model.Input{Cache: m.NewCache(512), Tokens: randTokens(20 + r.IntN(200)), AllLogits: s < 2})
	}
	for step := range 6 {
		logits, err := m.Forward(batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range logits {
			put(l)
		}
		for i := range batch {
			batch[i].Tokens, batch[i].AllLogits = randTokens(1+step%2), false
		}
	}
	seqs := [][]int{randTokens(300), randTokens(157), randTokens(64)}
	from := []int{100, 7, 63}
	lps, err := m.Logprobs(seqs, from, 0.7)
	if err != nil {
		t.Fatal(err)
	}
	for _, lp := range lps {
		out = append(out, lp...)
	}
	tape, err := m.TrainForward(seqs, from, model.TrainOptions{Temperature: 1})
	if err != nil {
		t.Fatal(err)
	}
	dl, de := make([][]float64, len(seqs)), make([][]float64, len(seqs))
	for i, lp := range tape.Logp {
		out = append(out, lp...)
		out = append(out, tape.Entropy[i]...)
		dl[i], de[i] = make([]float64, len(lp)), make([]float64, len(lp))
		for j := range lp {
			dl[i][j], de[i][j] = r.NormFloat64(), 0.01*r.NormFloat64()
		}
	}
	g := m.NewGrads()
	if err := tape.Backward(dl, de, g, nil); err != nil {
		t.Fatal(err)
	}
	put(g.Embed)
	for _, l := range g.Layers {
		put(l.Wq)
		put(l.Wk)
		put(l.Wgate)
		put(l.Wdown)
		put(l.AttnNorm)
	}
	return out
}
