package train

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"research/model"
)

// TestAdamWMatchesTorch replays five steps of torch.optim.AdamW with
// clip_grad_norm_ (testdata/adamw/make.py) and checks every parameter after
// every step within 1e-6 relative.
func TestAdamWMatchesTorch(t *testing.T) {
	data, err := os.ReadFile("testdata/adamw/adamw.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Beta1, Beta2, Eps float64
		WeightDecay       float64 `json:"weight_decay"`
		MaxNorm           float64 `json:"max_norm"`
		Init              [][]float32
		Steps             []struct {
			LR     float64
			Norm   float64
			Grads  [][]float32
			Params [][]float32
		}
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	opt := AdamW{Beta1: ref.Beta1, Beta2: ref.Beta2, Eps: ref.Eps, WeightDecay: ref.WeightDecay}
	params := make([]model.Param, len(ref.Init))
	grads := make([]model.Param, len(ref.Init))
	for i, p := range ref.Init {
		params[i] = model.Param{Data: append([]float32(nil), p...)}
		grads[i] = model.Param{Data: make([]float32, len(p))}
	}
	state := newAdamState(params)
	overall := 0.0
	for s, step := range ref.Steps {
		for i := range grads {
			copy(grads[i].Data, step.Grads[i])
		}
		if norm := ClipGrads(grads, ref.MaxNorm); math.Abs(norm-step.Norm) > 1e-6*step.Norm {
			t.Errorf("step %d: grad norm %v, torch %v", s+1, norm, step.Norm)
		}
		opt.update(state, params, grads, step.LR)
		worst := 0.0
		for i, p := range params {
			for j, v := range p.Data {
				want := float64(step.Params[i][j])
				worst = max(worst, math.Abs(float64(v)-want)/math.Abs(want))
			}
		}
		if worst > 1e-6 {
			t.Errorf("step %d: worst relative difference from torch %.3g", s+1, worst)
		}
		overall = max(overall, worst)
	}
	t.Logf("worst relative difference from torch over %d steps: %.3g", len(ref.Steps), overall)
}
