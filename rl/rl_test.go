package rl

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// lossCase is one batch of testdata/reference.json, computed with PyTorch
// autograd by testdata/gen_reference.py.
type lossCase struct {
	Name   string `json:"name"`
	Config struct {
		ClipLow     float64 `json:"clip_low"`
		ClipHigh    float64 `json:"clip_high"`
		KL          string  `json:"kl"`
		KLCoef      float64 `json:"kl_coef"`
		EntropyCoef float64 `json:"entropy_coef"`
		Aggregation string  `json:"aggregation"`
		NormTokens  int     `json:"norm_tokens"`
	} `json:"config"`
	Advantage   []float64   `json:"advantage"`
	Mask        [][]float64 `json:"mask"`
	OldLogp     [][]float64 `json:"old_logp"`
	RefLogp     [][]float64 `json:"ref_logp"`
	Logp        [][]float64 `json:"logp"`
	Entropy     [][]float64 `json:"entropy"`
	Loss        float64     `json:"loss"`
	PGLoss      float64     `json:"pg_loss"`
	KL          float64     `json:"kl"`
	EntropyMean float64     `json:"entropy_mean"`
	ClipFrac    float64     `json:"clip_frac"`
	PPOKL       float64     `json:"ppo_kl"`
	DLogp       [][]float64 `json:"d_logp"`
	DEntropy    [][]float64 `json:"d_entropy"`
}

type advantageCase struct {
	Rewards  []float64 `json:"rewards"`
	Index    []int     `json:"index"`
	Lengths  []int     `json:"lengths"`
	GRPO     []float64 `json:"grpo"`
	RLOO     []float64 `json:"rloo"`
	Baseline []float64 `json:"reinforce_plus_plus_baseline"`
}

func loadReference(t *testing.T) (losses []lossCase, advantages []advantageCase) {
	t.Helper()
	data, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Losses     []lossCase      `json:"losses"`
		Advantages []advantageCase `json:"advantages"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	return ref.Losses, ref.Advantages
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-12+1e-9*math.Abs(b) }

func TestLossMatchesPyTorch(t *testing.T) {
	losses, _ := loadReference(t)
	for _, c := range losses {
		kl, err := ParseKL(c.Config.KL)
		if err != nil {
			t.Fatal(err)
		}
		agg, err := ParseAggregation(c.Config.Aggregation)
		if err != nil {
			t.Fatal(err)
		}
		l := Loss{ClipLow: c.Config.ClipLow, ClipHigh: c.Config.ClipHigh, KL: kl, KLCoef: c.Config.KLCoef,
			EntropyCoef: c.Config.EntropyCoef, Aggregation: agg, NormTokens: c.Config.NormTokens}
		batch := make([]Sequence, len(c.Advantage))
		for i := range batch {
			batch[i] = Sequence{Advantage: c.Advantage[i], Mask: c.Mask[i], OldLogp: c.OldLogp[i],
				RefLogp: c.RefLogp[i], Logp: c.Logp[i], Entropy: c.Entropy[i]}
		}
		got, err := l.Compute(batch)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		for _, v := range []struct {
			what      string
			got, want float64
		}{
			{"loss", got.Loss, c.Loss}, {"pg loss", got.PGLoss, c.PGLoss}, {"kl", got.KL, c.KL},
			{"entropy", got.Entropy, c.EntropyMean}, {"clip fraction", got.ClipFrac, c.ClipFrac}, {"ppo kl", got.PPOKL, c.PPOKL},
		} {
			if !near(v.got, v.want) {
				t.Errorf("%s: %s = %.17g, PyTorch %.17g", c.Name, v.what, v.got, v.want)
			}
		}
		for i := range batch {
			for j := range batch[i].Mask {
				if !near(got.DLogp[i][j], c.DLogp[i][j]) || !near(got.DEntropy[i][j], c.DEntropy[i][j]) {
					t.Errorf("%s: token (%d,%d): dL/dlogp %.17g dL/dH %.17g; PyTorch %.17g %.17g",
						c.Name, i, j, got.DLogp[i][j], got.DEntropy[i][j], c.DLogp[i][j], c.DEntropy[i][j])
				}
			}
		}
		if c.Name == "wide spread clips a lot" && got.ClipFrac == 0 {
			t.Errorf("%s: the case meant to clip did not", c.Name)
		}
	}
}

func TestAdvantagesMatchPyTorch(t *testing.T) {
	_, cases := loadReference(t)
	for _, c := range cases {
		for est, want := range map[Estimator][]float64{GRPO: c.GRPO, RLOO: c.RLOO, ReinforcePPBaseline: c.Baseline} {
			got, err := Advantages(est, c.Rewards, c.Index, c.Lengths)
			if err != nil {
				t.Fatal(err)
			}
			for i := range want {
				if !near(got[i], want[i]) {
					t.Errorf("%s: advantage %d = %.17g, PyTorch %.17g", est, i, got[i], want[i])
				}
			}
		}
	}
}

// TestGRPOByHand checks the paper's estimator on numbers worked out by
// hand: rewards 1, 0, 0, 0.5 have mean 0.375 and unbiased std 0.4787.
func TestGRPOByHand(t *testing.T) {
	adv, err := Advantages(GRPO, []float64{1, 0, 0, 0.5, 0.3}, []int{7, 7, 7, 7, 9}, nil)
	if err != nil {
		t.Fatal(err)
	}
	std := math.Sqrt((0.625*0.625 + 2*0.375*0.375 + 0.125*0.125) / 3)
	want := []float64{0.625 / (std + 1e-6), -0.375 / (std + 1e-6), -0.375 / (std + 1e-6), 0.125 / (std + 1e-6), 0.3 / (1 + 1e-6)}
	for i := range want {
		if !near(adv[i], want[i]) {
			t.Errorf("advantage %d = %v, want %v", i, adv[i], want[i])
		}
	}
	// A group of equal rewards carries no signal (up to the rounding of
	// its mean, divided by ε).
	adv, _ = Advantages(GRPO, []float64{0.1, 0.1, 0.1}, []int{1, 1, 1}, nil)
	for _, a := range adv {
		if math.Abs(a) > 1e-9 {
			t.Errorf("equal rewards gave advantage %v", a)
		}
	}
}

// TestSurrogateGradientNumerically compares each token's analytic gradient
// with a central difference of the loss, away from the clip boundaries.
func TestSurrogateGradientNumerically(t *testing.T) {
	l := PaperLoss()
	l.KLCoef = 0.3
	seq := Sequence{Advantage: -0.7, Mask: []float64{1, 0, 1, 1}, OldLogp: []float64{-1, -2, -0.5, -3},
		RefLogp: []float64{-1.2, -2, -0.1, -2.5}, Logp: []float64{-0.9, -2.2, -0.9, -2.95}, Entropy: []float64{1, 2, 0.5, 0.1}}
	res, err := l.Compute([]Sequence{seq})
	if err != nil {
		t.Fatal(err)
	}
	const h = 1e-6
	for j := range seq.Logp {
		plus, minus := seq, seq
		plus.Logp = append([]float64(nil), seq.Logp...)
		minus.Logp = append([]float64(nil), seq.Logp...)
		plus.Logp[j] += h
		minus.Logp[j] -= h
		lp, _ := l.Compute([]Sequence{plus})
		lm, _ := l.Compute([]Sequence{minus})
		num := (lp.Loss - lm.Loss) / (2 * h)
		if math.Abs(num-res.DLogp[0][j]) > 1e-7 {
			t.Errorf("token %d: analytic %v, numeric %v", j, res.DLogp[0][j], num)
		}
	}
}

func TestLossErrors(t *testing.T) {
	good := Sequence{Mask: []float64{1}, OldLogp: []float64{-1}, RefLogp: []float64{-1}, Logp: []float64{-1}, Entropy: []float64{1}}
	short := good
	short.Logp = nil
	noTokens := good
	noTokens.Mask = []float64{0}
	drgrpo := PaperLoss()
	drgrpo.Aggregation = SeqMeanTokenSumNorm
	for name, tc := range map[string]struct {
		l     Loss
		batch []Sequence
	}{
		"ragged":          {PaperLoss(), []Sequence{short}},
		"no loss tokens":  {PaperLoss(), []Sequence{noTokens}},
		"no norm tokens":  {drgrpo, []Sequence{good}},
		"bad aggregation": {Loss{Aggregation: "sum"}, []Sequence{good}},
	} {
		if _, err := tc.l.Compute(tc.batch); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Advantages(GRPO, []float64{1}, nil, nil); err == nil {
		t.Error("Advantages accepted mismatched lengths")
	}
	for _, bad := range []string{"ppo", ""} {
		if _, err := ParseEstimator(bad); err == nil {
			t.Errorf("ParseEstimator(%q) accepted", bad)
		}
	}
	if _, err := ParseKL("full"); err == nil {
		t.Error(`ParseKL("full") accepted`)
	}
}

// TestKLPenaltyByHand: veRL's KL in the reward (apply_kl_penalty) charges
// each token the policy wrote kl(logp, ref) — logp − ref ("kl"),
// ½(logp − ref)² ("mse"), exp(ref − logp) − (ref − logp) − 1 clamped to
// ±10 ("low_var_kl") — and GRPO then normalises r − β·Σ_t kl_t.
func TestKLPenaltyByHand(t *testing.T) {
	logp := []float64{-0.5, -2, -1, -0.1}
	ref := []float64{-0.7, -1, -3, -15}
	mask := []float64{1, 0, 1, 1}
	tests := []struct {
		kl   KLEstimator
		want float64
	}{
		{K1, (-0.5 + 0.7) + (-1 + 3) + (-0.1 + 15)},
		{K2, 0.5*0.2*0.2 + 0.5*2*2 + 0.5*14.9*14.9},
		// The last token's k3 is exp(−14.9) + 14.9 − 1 ≈ 13.9, clamped to 10.
		{K3, (math.Exp(-0.2) + 0.2 - 1) + (math.Exp(-2) + 2 - 1) + 10},
	}
	for _, tc := range tests {
		sum, tokens, err := tc.kl.PenaltySum(logp, ref, mask)
		if err != nil || tokens != 3 || !near(sum, tc.want) {
			t.Errorf("%s: sum %v over %v tokens (%v), want %v over 3", tc.kl, sum, tokens, err, tc.want)
		}
	}
	if _, _, err := K1.PenaltySum(logp, ref[:2], mask); err == nil {
		t.Error("PenaltySum took slices of different lengths")
	}
	// Two sequences of one group, rewards 1 and 0, charged 2 and 0.5 nats
	// at β = 0.1: GRPO sees 0.8 and −0.05.
	adv, err := Advantages(GRPO, []float64{1 - 0.1*2, 0 - 0.1*0.5}, []int{0, 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	std := math.Sqrt(2 * 0.425 * 0.425)
	if !near(adv[0], 0.425/(std+1e-6)) || !near(adv[1], -0.425/(std+1e-6)) {
		t.Errorf("advantages %v", adv)
	}
}
