package trainer

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"research/internal/tinymodel"
	"research/model"
	"research/rl"
	"research/rollout"
)

// TestOnPolicyOldLogprobs: with one mini-batch and one epoch the update
// takes the old logprobs from its own forward instead of scoring the
// trajectories first; the step must equal the one taken with the scorer's
// logprobs, up to float32 rounding.
func TestOnPolicyOldLogprobs(t *testing.T) {
	load := func() *model.Model {
		m, err := model.Load(tinymodel.Dir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var trajs []*rollout.Trajectory
	var rewards []float64
	for i := range 6 {
		tr := &rollout.Trajectory{Prompt: []int{1, 2, 3 + i}}
		for j := range 10 + i {
			tr.Response = append(tr.Response, rng.IntN(250))
			tr.Mask = append(tr.Mask, uint8(min(1, j%4))) // every fourth token inserted
			tr.Logprobs = append(tr.Logprobs, -rng.Float64())
		}
		trajs = append(trajs, tr)
		rewards = append(rewards, float64(i%3))
	}
	agg, err := rl.ParseAggregation("token-mean")
	if err != nil {
		t.Fatal(err)
	}
	const lr = 1e-2
	newUpdater := func(m *model.Model) *updater {
		u, _ := testUpdater(t, m, lr, rl.Loss{ClipLow: 0.2, ClipHigh: 0.2, KL: rl.KLNone, Aggregation: agg, NormTokens: 16})
		u.microTokens = 64
		return u
	}

	ctx := context.Background()
	short, scored := load(), load()
	stShort, err := newUpdater(short).run(ctx, batchOf(trajs, rewards, 3, false))
	if err != nil {
		t.Fatal(err)
	}
	// The same step with the old logprobs scored beforehand.
	u := newUpdater(scored)
	var stScored UpdateStats
	samples := batchOf(trajs, rewards, 3, false)
	if err := u.prepare(ctx, samples, &stScored); err != nil {
		t.Fatal(err)
	}
	seqs, from := make([][]int, len(samples)), make([]int, len(samples))
	for i, s := range samples {
		d := s.datum()
		seqs[i], from[i] = d.Tokens, d.From
	}
	old, err := scored.Logprobs(seqs, from, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i := range samples {
		samples[i].old = old[i]
	}
	if err := u.miniBatch(ctx, samples, &stScored); err != nil {
		t.Fatal(err)
	}

	if math.Abs(stShort.PGLoss-stScored.PGLoss) > 1e-6 || math.Abs(stShort.GradNorm-stScored.GradNorm) > 1e-4*stScored.GradNorm {
		t.Errorf("pg loss %g / %g, grad norm %g / %g", stShort.PGLoss, stScored.PGLoss, stShort.GradNorm, stScored.GradNorm)
	}
	if want := logprobGap(samples); math.Abs(stShort.LogprobGap-want) > 1e-5 || want == 0 {
		t.Errorf("logprob gap %g, want %g", stShort.LogprobGap, want)
	}
	// AdamW's first step moves each weight by about lr·sign(gradient), so
	// a gradient near zero turns rounding into a visible difference; a
	// different step would differ by up to 2·lr.
	a, b := short.Params(), scored.Params()
	var diff float64
	for i := range a {
		for j := range a[i].Data {
			diff = max(diff, math.Abs(float64(a[i].Data[j]-b[i].Data[j])))
		}
	}
	if diff > 0.05*lr {
		t.Errorf("weights differ by up to %g after a step of lr %g", diff, lr)
	}
}
