package model

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"research/safetensors"
)

// torchCase is a training pass computed by PyTorch autograd in float64
// (testdata/torchgrad/make.py).
type torchCase struct {
	Seqs        [][]int     `json:"seqs"`
	From        []int       `json:"from"`
	Temperature float64     `json:"temperature"`
	DLogp       [][]float64 `json:"dlogp"`
	DEntropy    [][]float64 `json:"dentropy"`
	Logp        [][]float64 `json:"logp"`
	Entropy     [][]float64 `json:"entropy"`
}

// TestGradientsMatchPyTorch runs the training pass on PyTorch's fixtures —
// a tied head with GQA 2:1 and sequences crossing the attention and head
// chunk sizes, and GQA 4:1 with LoRA on every projection — and checks the
// logprobs, entropies and every trained tensor's gradient (relative error
// ‖ours − torch‖ / ‖torch‖ ≤ 1e-4), with and without recomputation: of
// the layers, and of the logits in 64-row chunks.
func TestGradientsMatchPyTorch(t *testing.T) {
	defer func(keep, chunk int) { keepLogitsValues, headChunkValues = keep, chunk }(keepLogitsValues, headChunkValues)
	for _, name := range []string{"tied", "gqa4-lora"} {
		for _, recompute := range []bool{false, true} {
			keepLogitsValues, headChunkValues = 1<<28, 1<<25
			if recompute {
				keepLogitsValues, headChunkValues = 0, 0
			}
			dir := filepath.Join("testdata/torchgrad", name)
			m, err := Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(filepath.Join(dir, "case.json"))
			if err != nil {
				t.Fatal(err)
			}
			var tc torchCase
			if err := json.Unmarshal(data, &tc); err != nil {
				t.Fatal(err)
			}
			opt := TrainOptions{Temperature: tc.Temperature, Recompute: recompute}
			var g *Model
			var gl *LoRA
			if _, err := os.Stat(filepath.Join(dir, "adapter_config.json")); err == nil {
				if opt.LoRA, err = LoadLoRA(dir, &m.Config); err != nil {
					t.Fatal(err)
				}
				gl = opt.LoRA.NewGrads(&m.Config)
			} else {
				g = m.NewGrads()
			}
			tape, err := m.TrainForward(tc.Seqs, tc.From, opt)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.Logp {
				for j := range tc.Logp[i] {
					if !closeTo(tape.Logp[i][j], tc.Logp[i][j], 1e-5) || !closeTo(tape.Entropy[i][j], tc.Entropy[i][j], 1e-5) {
						t.Fatalf("%s: sequence %d token %d: logp %v entropy %v, torch %v %v", name, i, j,
							tape.Logp[i][j], tape.Entropy[i][j], tc.Logp[i][j], tc.Entropy[i][j])
					}
				}
			}
			if err := tape.Backward(tc.DLogp, tc.DEntropy, g, gl); err != nil {
				t.Fatal(err)
			}
			var params []Param
			if gl != nil {
				params = gl.Params()
			} else {
				params = g.Params()
			}
			ref, err := safetensors.Open(filepath.Join(dir, "grads.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			if len(ref.Tensors) != len(params) {
				t.Errorf("%s: %d gradients, torch has %d", name, len(params), len(ref.Tensors))
			}
			worst := 0.0
			for _, p := range params {
				want, _, err := ref.Float32(p.Name)
				if err != nil {
					t.Fatal(err)
				}
				var diff, norm float64
				for i, w := range want {
					d := float64(p.Data[i]) - float64(w)
					diff += d * d
					norm += float64(w) * float64(w)
				}
				rel := math.Sqrt(diff / norm)
				worst = max(worst, rel)
				if rel > 1e-4 {
					t.Errorf("%s (recompute %v): %s: relative error %.3g", name, recompute, p.Name, rel)
				}
			}
			t.Logf("%s (recompute %v): worst gradient relative error %.3g over %d tensors", name, recompute, worst, len(params))
			ref.Close()
		}
	}
}

// closeTo reports whether got is within tol of want, relative to |want|
// when that exceeds 1.
func closeTo(got, want, tol float64) bool {
	return math.Abs(got-want) <= tol*max(1, math.Abs(want))
}
