package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// randomModel builds a model of shape c with small random weights.
func randomModel(c Config, seed uint64) *Model {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := &Model{Config: c, Layers: make([]Layer, c.NumLayers)}
	for _, r := range m.tensors() {
		n := 1
		for _, d := range r.shape {
			n *= d
		}
		*r.dst = make([]float32, n)
		for i := range *r.dst {
			if len(r.shape) == 1 && !isBias(r.name) { // norm weights near 1
				(*r.dst)[i] = float32(1 + 0.1*rng.NormFloat64())
			} else {
				(*r.dst)[i] = float32(0.15 * rng.NormFloat64())
			}
		}
	}
	if c.TieWordEmbeddings {
		m.LMHead = m.Embed
	}
	return m
}

func isBias(name string) bool { return len(name) > 5 && name[len(name)-5:] == ".bias" }

func testConfig(tied bool, heads, kvHeads int) Config {
	return Config{ModelType: "qwen2", VocabSize: 40, HiddenSize: 32, IntermediateSize: 48, NumLayers: 2,
		NumHeads: heads, NumKVHeads: kvHeads, HeadDim: 8, RopeTheta: 10000, RMSNormEps: 1e-6, TieWordEmbeddings: tied}
}

// trainBatch is a batch of sequences of different lengths with random
// weights on their scored tokens.
type trainBatch struct {
	seqs            [][]int
	from            []int
	dLogp, dEntropy [][]float64
}

func randomBatch(vocab int, lens, from []int, seed uint64) trainBatch {
	rng := rand.New(rand.NewPCG(seed, 2))
	b := trainBatch{from: from}
	for i, n := range lens {
		s := make([]int, n)
		for j := range s {
			s[j] = rng.IntN(vocab)
		}
		b.seqs = append(b.seqs, s)
		k := n - from[i]
		dl, dh := make([]float64, k), make([]float64, k)
		for j := range k {
			dl[j], dh[j] = rng.NormFloat64(), rng.NormFloat64()
		}
		b.dLogp, b.dEntropy = append(b.dLogp, dl), append(b.dEntropy, dh)
	}
	return b
}

// objective is Σ dLogp·logp + dEntropy·entropy, the function whose
// gradient Backward computes.
func (b trainBatch) objective(t *testing.T, m *Model, opt TrainOptions) float64 {
	tape, err := m.TrainForward(b.seqs, b.from, opt)
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for i := range tape.Logp {
		for j := range tape.Logp[i] {
			sum += b.dLogp[i][j]*tape.Logp[i][j] + b.dEntropy[i][j]*tape.Entropy[i][j]
		}
	}
	return sum
}

// TestGradientsFiniteDifferences checks every parameter tensor's gradient
// along a random direction against a central difference of the objective,
// for full fine-tuning (tied and untied heads, GQA) and for LoRA.
func TestGradientsFiniteDifferences(t *testing.T) {
	cases := []struct {
		name      string
		cfg       Config
		lora      bool
		recompute bool
	}{
		{"untied-gqa2", testConfig(false, 4, 2), false, false},
		{"tied-mha", testConfig(true, 4, 4), false, true},
		{"gqa4-lora", testConfig(false, 4, 1), true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := randomModel(tc.cfg, 7)
			b := randomBatch(tc.cfg.VocabSize, []int{9, 4, 13}, []int{3, 1, 6}, 3)
			opt := TrainOptions{Temperature: 0.8, Recompute: tc.recompute}
			var params, grads []Param
			if tc.lora {
				lora, err := NewLoRA(m, 4, 8, LoRATargets, rand.New(rand.NewPCG(1, 1)))
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range lora.Params() { // B starts at zero; make it count
					for i := range p.Data {
						if p.Data[i] == 0 {
							p.Data[i] = 0.1
						}
					}
				}
				opt.LoRA = lora
				gl := lora.NewGrads(&m.Config)
				tape, err := m.TrainForward(b.seqs, b.from, opt)
				if err != nil {
					t.Fatal(err)
				}
				if err := tape.Backward(b.dLogp, b.dEntropy, nil, gl); err != nil {
					t.Fatal(err)
				}
				params, grads = lora.Params(), gl.Params()
			} else {
				g := m.NewGrads()
				tape, err := m.TrainForward(b.seqs, b.from, opt)
				if err != nil {
					t.Fatal(err)
				}
				if err := tape.Backward(b.dLogp, b.dEntropy, g, nil); err != nil {
					t.Fatal(err)
				}
				params, grads = m.Params(), g.Params()
			}
			rng := rand.New(rand.NewPCG(5, 5))
			for k, p := range params {
				dir := make([]float32, len(p.Data))
				var analytic float64
				for i := range dir {
					dir[i] = float32(rng.NormFloat64())
					analytic += float64(dir[i]) * float64(grads[k].Data[i])
				}
				const eps = 1e-3
				orig := append([]float32(nil), p.Data...)
				shift := func(s float32) {
					for i := range p.Data {
						p.Data[i] = orig[i] + s*dir[i]
					}
				}
				shift(eps)
				up := b.objective(t, m, opt)
				shift(-eps)
				down := b.objective(t, m, opt)
				copy(p.Data, orig)
				numeric := (up - down) / (2 * eps)
				if err := math.Abs(numeric - analytic); err > 1e-2*math.Abs(analytic)+1e-3 {
					t.Errorf("%s: directional derivative %.6g, finite difference %.6g", p.Name, analytic, numeric)
				} else if testing.Verbose() {
					fmt.Printf("%s %s: %.6g vs %.6g\n", tc.name, p.Name, analytic, numeric)
				}
			}
		})
	}
}

// TestTrainForwardMatchesLogprobs checks the training pass against the
// inference path (KV cache, Logprobs) on the tiny checkpoint: the ratio of
// new to old logprobs at the first GRPO step must start at 1.
func TestTrainForwardMatchesLogprobs(t *testing.T) {
	m, ref := loadReference(t, "testdata/tiny")
	seqs := [][]int{ref.Prompt, ref.Prompt[:4], append(append([]int{}, ref.Prompt...), ref.Prompt...)}
	from := []int{2, 1, len(ref.Prompt)}
	for _, temp := range []float64{1, 0.6} {
		want, err := m.Logprobs(seqs, from, temp)
		if err != nil {
			t.Fatal(err)
		}
		tape, err := m.TrainForward(seqs, from, TrainOptions{Temperature: temp})
		if err != nil {
			t.Fatal(err)
		}
		for i := range want {
			if len(tape.Logp[i]) != len(want[i]) {
				t.Fatalf("sequence %d: %d logprobs, Logprobs gives %d", i, len(tape.Logp[i]), len(want[i]))
			}
			for j := range want[i] {
				if !closeTo(tape.Logp[i][j], want[i][j], 1e-5) {
					t.Errorf("temperature %g, sequence %d token %d: training pass %v, Logprobs %v", temp, i, j, tape.Logp[i][j], want[i][j])
				}
			}
		}
	}
}

// TestTrainForwardSkip checks that skipping scored tokens is the same as
// giving them zero weight: the kept tokens' logprobs and entropies, and
// the gradients, match a pass that scores everything.
func TestTrainForwardSkip(t *testing.T) {
	m := randomModel(testConfig(false, 4, 2), 7)
	b := randomBatch(m.Config.VocabSize, []int{9, 4, 13}, []int{3, 1, 6}, 3)
	skip := make([][]bool, len(b.seqs))
	for i := range skip {
		if i == 1 {
			continue // nil: skips nothing
		}
		skip[i] = make([]bool, len(b.dLogp[i]))
		for j := range skip[i] {
			if skip[i][j] = (i+j)%3 == 0; skip[i][j] {
				b.dLogp[i][j], b.dEntropy[i][j] = 0, 0
			}
		}
	}
	pass := func(opt TrainOptions) (*Tape, *Model) {
		tape, err := m.TrainForward(b.seqs, b.from, opt)
		if err != nil {
			t.Fatal(err)
		}
		g := m.NewGrads()
		if err := tape.Backward(b.dLogp, b.dEntropy, g, nil); err != nil {
			t.Fatal(err)
		}
		return tape, g
	}
	all, gAll := pass(TrainOptions{Temperature: 0.8})
	some, gSome := pass(TrainOptions{Temperature: 0.8, Skip: skip})
	for i := range skip {
		for j := range all.Logp[i] {
			wantL, wantH := all.Logp[i][j], all.Entropy[i][j]
			s := skip[i] != nil && skip[i][j]
			if s {
				wantL, wantH = 0, 0
			}
			// The LM head's GEMM runs over fewer rows: equal up to rounding.
			if !closeTo(some.Logp[i][j], wantL, 1e-6) || !closeTo(some.Entropy[i][j], wantH, 1e-6) {
				t.Errorf("sequence %d token %d (skip %v): logp %v entropy %v, want %v %v", i, j, s, some.Logp[i][j], some.Entropy[i][j], wantL, wantH)
			}
		}
	}
	ps := gSome.Params()
	for k, p := range gAll.Params() {
		for i := range p.Data {
			if !closeTo(float64(ps[k].Data[i]), float64(p.Data[i]), 1e-5) {
				t.Fatalf("%s[%d]: gradient %v with skipping, %v without", p.Name, i, ps[k].Data[i], p.Data[i])
			}
		}
	}
	if _, err := m.TrainForward(b.seqs, b.from, TrainOptions{Temperature: 1, Skip: skip[:2]}); err == nil || !strings.Contains(err.Error(), "skip lists") {
		t.Errorf("two skip lists for three sequences: %v", err)
	}
	skip[2] = skip[2][1:]
	if _, err := m.TrainForward(b.seqs, b.from, TrainOptions{Temperature: 1, Skip: skip}); err == nil || !strings.Contains(err.Error(), "skip flags") {
		t.Errorf("short skip list: %v", err)
	}
}

func TestTrainForwardRefuses(t *testing.T) {
	m := randomModel(testConfig(false, 4, 2), 1)
	cases := []struct {
		seqs [][]int
		from []int
		temp float64
		want string
	}{
		{[][]int{{1, 2}}, []int{1, 1}, 1, "start positions"},
		{[][]int{{1, 2}}, []int{0}, 1, "start 0"},
		{[][]int{{1, 2}}, []int{3}, 1, "start 3"},
		{[][]int{{1, 99}}, []int{1}, 1, "id 99"},
		{[][]int{{1, 2}}, []int{1}, 0, "temperature"},
	}
	for _, c := range cases {
		if _, err := m.TrainForward(c.seqs, c.from, TrainOptions{Temperature: c.temp}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v from %v temperature %g: error %v, want one mentioning %q", c.seqs, c.from, c.temp, err, c.want)
		}
	}
	tape, err := m.TrainForward([][]int{{1, 2, 3}}, []int{1}, TrainOptions{Temperature: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := tape.Backward([][]float64{{1}}, [][]float64{{1, 1}}, m.NewGrads(), nil); err == nil || !strings.Contains(err.Error(), "dlogp") {
		t.Errorf("short weights: %v", err)
	}
}
