package train

import (
	"math/rand/v2"
	"slices"
	"testing"

	"research/model"
)

// TestStepWith wants StepWith(settings) to leave the weights bit-identical
// to Step on an engine built with those settings — the engine's own
// (Step unchanged) and others (a remote client's AdamParams) — over LoRA
// and full fine-tuning, and refuses settings AdamW cannot use.
func TestStepWith(t *testing.T) {
	other := Config{LR: 3e-3, Schedule: Schedule{Kind: Constant}, AdamW: AdamW{Beta1: 0.8, Beta2: 0.95, Eps: 1e-12, WeightDecay: 0.1}, MaxGradNorm: 0.05, Temperature: 1}
	for _, tc := range []struct {
		name string
		cfg  Config
		lora bool
	}{
		{"engine's own settings, full", DefaultConfig(), false},
		{"other settings, full", other, false},
		{"other settings, lora", other, true},
		{"no clipping, lora", Config{LR: 1e-2, Schedule: Schedule{Kind: Constant}, AdamW: DefaultAdamW(), Temperature: 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			build := func(cfg Config) *Engine {
				m := randomModel(tinyConfig(false), 3)
				var l *model.LoRA
				if tc.lora {
					var err error
					l, err = model.NewLoRA(m, 4, 8, model.LoRATargets, rand.New(rand.NewPCG(1, 2)))
					if err != nil {
						t.Fatal(err)
					}
					for _, p := range l.Params() {
						for i := range p.Data {
							p.Data[i] += 0.01 // B starts at zero; give A and B both a gradient
						}
					}
				}
				e, err := New(m, l, cfg)
				if err != nil {
					t.Fatal(err)
				}
				return e
			}
			want, got := build(tc.cfg), build(DefaultConfig())
			rw, rg := rand.New(rand.NewPCG(7, 7)), rand.New(rand.NewPCG(7, 7))
			p := StepParams{LR: tc.cfg.LR, AdamW: tc.cfg.AdamW, MaxGradNorm: tc.cfg.MaxGradNorm}
			for range 3 {
				trainSteps(t, want, rw, 1)
				batch, w := randomStep(rg, got.Model.Config.VocabSize)
				for _, mb := range [][]int{{0, 1}, {2}} {
					var seqs []Sequence
					var dl, dh [][]float64
					for _, i := range mb {
						seqs = append(seqs, batch[i])
						dl = append(dl, w[i])
						dh = append(dh, scaled(w[i], -0.01))
					}
					pass, err := got.Score(seqs)
					if err != nil {
						t.Fatal(err)
					}
					if err := pass.Backward(dl, dh); err != nil {
						t.Fatal(err)
					}
				}
				st, err := got.StepWith(p)
				if err != nil {
					t.Fatal(err)
				}
				if st.LR != tc.cfg.LR {
					t.Fatalf("step used lr %g, want %g", st.LR, tc.cfg.LR)
				}
			}
			changed := false
			for i, pw := range want.Params() {
				pg := got.Params()[i]
				if !slices.Equal(pw.Data, pg.Data) {
					t.Fatalf("%s differs after StepWith", pw.Name)
				}
				changed = changed || !slices.Equal(pw.Data, build(tc.cfg).Params()[i].Data)
			}
			if !changed || got.Steps() != 3 {
				t.Fatalf("training changed nothing (steps %d)", got.Steps())
			}
		})
	}
	e, err := New(randomModel(tinyConfig(false), 3), nil, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []StepParams{
		{LR: -1, AdamW: DefaultAdamW()},
		{LR: 1e-3, AdamW: AdamW{Beta1: 1, Beta2: 0.9, Eps: 1e-8}},
		{LR: 1e-3, AdamW: AdamW{Beta1: 0.9, Beta2: 0.9, Eps: 0}},
		{LR: 1e-3, AdamW: DefaultAdamW(), MaxGradNorm: -1},
	} {
		if _, err := e.StepWith(bad); err == nil {
			t.Errorf("StepWith(%+v) accepted", bad)
		}
	}
}
