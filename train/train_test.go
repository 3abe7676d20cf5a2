package train

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"research/model"
)

func tinyConfig(tied bool) model.Config {
	return model.Config{ModelType: "qwen2", VocabSize: 50, HiddenSize: 32, IntermediateSize: 48, NumLayers: 2,
		NumHeads: 4, NumKVHeads: 2, HeadDim: 8, RopeTheta: 10000, RMSNormEps: 1e-6, TieWordEmbeddings: tied}
}

// randomModel returns a model of shape c with small random weights.
func randomModel(c model.Config, seed uint64) *model.Model {
	m := (&model.Model{Config: c, Layers: make([]model.Layer, c.NumLayers)}).NewGrads()
	rng := rand.New(rand.NewPCG(seed, 9))
	for _, p := range m.Params() {
		for i := range p.Data {
			if strings.HasSuffix(p.Name, "norm.weight") {
				p.Data[i] = 1
			} else {
				p.Data[i] = float32(0.2 * rng.NormFloat64())
			}
		}
	}
	return m
}

// randomStep draws a mini-batch and per-token loss weights from rng.
func randomStep(rng *rand.Rand, vocab int) ([]Sequence, [][]float64) {
	var batch []Sequence
	var w [][]float64
	for range 3 {
		n := 4 + rng.IntN(12)
		s := Sequence{Tokens: make([]int, n), From: 1 + rng.IntN(n-1)}
		for j := range s.Tokens {
			s.Tokens[j] = rng.IntN(vocab)
		}
		batch = append(batch, s)
		ws := make([]float64, n-s.From)
		for j := range ws {
			ws[j] = rng.NormFloat64()
		}
		w = append(w, ws)
	}
	return batch, w
}

// trainSteps runs n optimizer steps, each over two micro-batches, drawing
// data from rng.
func trainSteps(t *testing.T, e *Engine, rng *rand.Rand, n int) {
	for range n {
		batch, w := randomStep(rng, e.Model.Config.VocabSize)
		for _, mb := range [][]int{{0, 1}, {2}} {
			var seqs []Sequence
			var dl, dh [][]float64
			for _, i := range mb {
				seqs = append(seqs, batch[i])
				dl = append(dl, w[i])
				dh = append(dh, scaled(w[i], -0.01))
			}
			p, err := e.Score(seqs)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Backward(dl, dh); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.Step(); err != nil {
			t.Fatal(err)
		}
	}
}

func scaled(x []float64, k float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = k * v
	}
	return out
}

func testTrainConfig() Config {
	c := DefaultConfig()
	c.LR = 1e-2
	c.Schedule = Schedule{Kind: Cosine, Warmup: 1, Total: 6}
	return c
}

// TestResume trains N steps straight, and k steps + save + load into a fresh
// engine + N−k steps, and wants bit-identical weights and optimizer state,
// for full fine-tuning and for LoRA.
func TestResume(t *testing.T) {
	const total, k = 5, 2
	for _, lora := range []bool{false, true} {
		run := func(resume bool) *Engine {
			newEngine := func() *Engine {
				m := randomModel(tinyConfig(!lora), 1)
				var l *model.LoRA
				if lora {
					var err error
					if l, err = model.NewLoRA(m, 4, 8, []string{"q_proj", "v_proj", "down_proj"}, rand.New(rand.NewPCG(2, 2))); err != nil {
						t.Fatal(err)
					}
				}
				e, err := New(m, l, testTrainConfig())
				if err != nil {
					t.Fatal(err)
				}
				return e
			}
			pcg := rand.NewPCG(3, 3)
			e := newEngine()
			if !resume {
				trainSteps(t, e, rand.New(pcg), total)
				return e
			}
			trainSteps(t, e, rand.New(pcg), k)
			dir := t.TempDir()
			if err := e.Save(dir, pcg); err != nil {
				t.Fatal(err)
			}
			pcg = rand.NewPCG(0, 0)
			e = newEngine()
			if err := e.Load(dir, pcg); err != nil {
				t.Fatal(err)
			}
			trainSteps(t, e, rand.New(pcg), total-k)
			return e
		}
		straight, resumed := run(false), run(true)
		if resumed.Steps() != total {
			t.Errorf("lora %v: %d steps after resuming, want %d", lora, resumed.Steps(), total)
		}
		for i, p := range straight.Params() {
			if !slices.Equal(p.Data, resumed.Params()[i].Data) ||
				!slices.Equal(straight.adam.m[i], resumed.adam.m[i]) || !slices.Equal(straight.adam.v[i], resumed.adam.v[i]) {
				t.Errorf("lora %v: %s differs after resuming", lora, p.Name)
			}
		}
	}
}

// TestAccumulation checks that gradients accumulated over micro-batches
// equal those of the whole batch in one pass.
func TestAccumulation(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	batch, w := randomStep(rng, 50)
	grads := func(parts [][]int) [][]float32 {
		e, err := New(randomModel(tinyConfig(false), 5), nil, testTrainConfig())
		if err != nil {
			t.Fatal(err)
		}
		for _, mb := range parts {
			var seqs []Sequence
			var dl [][]float64
			for _, i := range mb {
				seqs, dl = append(seqs, batch[i]), append(dl, w[i])
			}
			p, err := e.Score(seqs)
			if err != nil {
				t.Fatal(err)
			}
			lp, ent, err := e.Evaluate(seqs)
			if err != nil {
				t.Fatal(err)
			}
			for i := range lp {
				if !slices.Equal(lp[i], p.Logp[i]) || !slices.Equal(ent[i], p.Entropy[i]) {
					t.Fatalf("sequence %d: Evaluate and Score disagree", i)
				}
			}
			if err := p.Backward(dl, dl); err != nil {
				t.Fatal(err)
			}
			if err := p.Backward(dl, dl); err == nil {
				t.Fatal("second Backward of one pass: no error")
			}
		}
		var out [][]float32
		for _, g := range e.Grads() {
			out = append(out, slices.Clone(g.Data))
		}
		return out
	}
	whole, parts := grads([][]int{{0, 1, 2}}), grads(MicroBatches([]int{len(batch[0].Tokens), len(batch[1].Tokens), len(batch[2].Tokens)}, 16))
	for i := range whole {
		var diff, norm float64
		for j := range whole[i] {
			diff += math.Pow(float64(whole[i][j]-parts[i][j]), 2)
			norm += math.Pow(float64(whole[i][j]), 2)
		}
		if math.Sqrt(diff) > 1e-5*math.Sqrt(norm) {
			t.Errorf("tensor %d: accumulated gradients differ from the whole batch's (%.3g relative)", i, math.Sqrt(diff/norm))
		}
	}
}

func TestSchedule(t *testing.T) {
	cases := []struct {
		s    Schedule
		step int
		want float64
	}{
		{Schedule{Kind: Constant}, 0, 1},
		{Schedule{Kind: Constant, Warmup: 4}, 1, 0.25},
		{Schedule{Kind: Constant, Warmup: 4}, 9, 1},
		{Schedule{Kind: Linear, Warmup: 2, Total: 12}, 7, 0.5},
		{Schedule{Kind: Linear, Warmup: 2, Total: 12}, 20, 0},
		{Schedule{Kind: Cosine, Total: 10}, 5, 0.5},
		{Schedule{Kind: Cosine, Total: 10, MinRatio: 0.1}, 10, 0.1},
		{Schedule{Kind: Cosine, Total: 10, MinRatio: 0.1}, 0, 1},
	}
	for _, c := range cases {
		if err := c.s.check(); err != nil {
			t.Fatal(err)
		}
		if got := c.s.Factor(c.step); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("%+v step %d: factor %v, want %v", c.s, c.step, got, c.want)
		}
	}
	for _, bad := range []Schedule{{Kind: "step"}, {Kind: Cosine, Warmup: 5, Total: 5}, {Kind: Constant, Warmup: -1}} {
		if bad.check() == nil {
			t.Errorf("%+v: accepted", bad)
		}
	}
}

func TestMicroBatches(t *testing.T) {
	cases := []struct {
		lens   []int
		budget int
		want   [][]int
	}{
		{[]int{5, 5, 5}, 10, [][]int{{0, 1}, {2}}},
		{[]int{20, 3, 4}, 10, [][]int{{0}, {1, 2}}},
		{nil, 10, nil},
	}
	for _, c := range cases {
		got := MicroBatches(c.lens, c.budget)
		if len(got) != len(c.want) {
			t.Fatalf("%v/%d: %v, want %v", c.lens, c.budget, got, c.want)
		}
		for i := range got {
			if !slices.Equal(got[i], c.want[i]) {
				t.Errorf("%v/%d: %v, want %v", c.lens, c.budget, got, c.want)
			}
		}
	}
}

// TestLoadRefuses checks the errors of a missing or foreign checkpoint.
func TestLoadRefuses(t *testing.T) {
	e, err := New(randomModel(tinyConfig(true), 1), nil, testTrainConfig())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := e.Load(dir, nil); err == nil || !strings.Contains(err.Error(), "trainer_state.json") {
		t.Errorf("empty dir: %v", err)
	}
	if err := e.Save(dir, nil); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, stateFile)
	data, _ := os.ReadFile(state)
	os.WriteFile(state, []byte(strings.Replace(string(data), `"research_train_checkpoint_version": 1`, `"research_train_checkpoint_version": 7`, 1)), 0o644)
	if err := e.Load(dir, nil); err == nil || !strings.Contains(err.Error(), "version 7") {
		t.Errorf("version 7: %v", err)
	}
}

func FuzzParseState(f *testing.F) {
	f.Add([]byte(`{"research_train_checkpoint_version": 1, "step": 3, "adam_steps": 3, "lora": true, "rng": "AQID"}`))
	f.Add([]byte(`{"research_train_checkpoint_version": 2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseState(data)
		if err == nil && (st.Version != CheckpointVersion || st.Step < 0 || st.AdamSteps < 0) {
			t.Fatalf("accepted %+v", st)
		}
	})
}
