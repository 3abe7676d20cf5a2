package trainer

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"research/internal/tinymodel"
	"research/model"
	"research/rl"
	"research/rollout"
	"research/score"
	"research/train"
)

// recipeTrajs returns six trajectories of the tiny model's vocabulary in
// groups of three, every fourth response token an inserted result (mask 0,
// sampler logprob 0, as the rollout writes them).
func recipeTrajs() []*rollout.Trajectory {
	rng := rand.New(rand.NewPCG(3, 4))
	var trajs []*rollout.Trajectory
	for i := range 6 {
		tr := &rollout.Trajectory{Prompt: []int{1, 2, 3 + i}}
		for j := range 10 + i {
			tr.Response = append(tr.Response, rng.IntN(250))
			m := uint8(min(1, j%4))
			tr.Mask = append(tr.Mask, m)
			tr.Logprobs = append(tr.Logprobs, -float64(m)*rng.Float64())
		}
		trajs = append(trajs, tr)
	}
	return trajs
}

func recipeUpdater(t *testing.T, loss rl.Loss) (*updater, *train.Engine) {
	t.Helper()
	m, err := model.Load(tinymodel.Dir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return testUpdater(t, m, 1e-2, loss)
}

// testUpdater is an updater of GRPO on a Local backend that trains all of
// m at temperature 1, one mini-batch, one epoch, micro-batches of 24
// tokens.
func testUpdater(t *testing.T, m *model.Model, lr float64, loss rl.Loss) (*updater, *train.Engine) {
	t.Helper()
	cfg := train.DefaultConfig()
	cfg.LR = lr
	e, err := train.New(m, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	local := &Local{policy: m, gen: m, engine: e, temperature: 1}
	return &updater{backend: local, loss: loss, est: rl.GRPO, lr: cfg.LR, sched: cfg.Schedule, adamW: cfg.AdamW, maxGradNorm: cfg.MaxGradNorm,
		miniBatches: 1, epochs: 1, microTokens: 24}, e
}

// batchOf is the reward stage's batch of trajectories in consecutive
// groups of n, with the given rewards.
func batchOf(trajs []*rollout.Trajectory, rewards []float64, n int, trainResults bool) Batch {
	index := map[*rollout.Trajectory]int{}
	for i, tr := range trajs {
		index[tr] = i
		tr.Group = i / n
	}
	return newBatch(trajs, score.Func(func(tr *rollout.Trajectory) float64 { return rewards[index[tr]] }), 0, trainResults)
}

func grads(e *train.Engine) [][]float32 {
	var out [][]float32
	for _, g := range e.Grads() {
		out = append(out, append([]float32(nil), g.Data...))
	}
	return out
}

// TestStateMasking: with state_masking off the loss covers the inserted
// result tokens (the mask handed to the loss has ones there, nothing is
// skipped in the forward, and the gradient changes), while the sampler
// logprob gap stays over the policy's tokens; on, nothing changes.
func TestStateMasking(t *testing.T) {
	trajs, rewards := recipeTrajs(), []float64{0, 1, 0.1, 1, 0, 1}
	loss := rl.Loss{ClipLow: 0.2, ClipHigh: 0.2, KL: rl.KLNone, Aggregation: rl.TokenMean}
	run := func(trainResults bool) (Batch, UpdateStats, [][]float32) {
		u, e := recipeUpdater(t, loss)
		var st UpdateStats
		samples := batchOf(trajs, rewards, 3, trainResults)
		if err := u.prepare(context.Background(), samples, &st); err != nil {
			t.Fatal(err)
		}
		if _, err := u.accumulate(context.Background(), samples, &st); err != nil {
			t.Fatal(err)
		}
		st.LogprobGap = logprobGap(samples)
		return samples, st, grads(e)
	}
	masked, stMasked, gMasked := run(false)
	open, stOpen, gOpen := run(true)
	for i, tr := range trajs {
		var policy float64
		for j, m := range tr.Mask {
			policy += float64(m)
			if masked[i].Mask[j] != float64(m) {
				t.Fatalf("masked: trajectory %d token %d: mask %v, want %d", i, j, masked[i].Mask[j], m)
			}
			if open[i].Mask[j] != 1 {
				t.Fatalf("unmasked: trajectory %d token %d: mask %v, want 1", i, j, open[i].Mask[j])
			}
		}
		if masked[i].tokens != policy || open[i].tokens != float64(len(tr.Response)) {
			t.Errorf("trajectory %d: loss tokens %v masked, %v unmasked; want %v, %d", i, masked[i].tokens, open[i].tokens, policy, len(tr.Response))
		}
	}
	if stMasked.LogprobGap == 0 || math.Abs(stMasked.LogprobGap-stOpen.LogprobGap) > 1e-6 {
		t.Errorf("logprob gap %g masked, %g unmasked: want the same, over policy tokens", stMasked.LogprobGap, stOpen.LogprobGap)
	}
	if maxDiff(gMasked, gOpen) == 0 {
		t.Error("the gradient is the same with the results in the loss")
	}
}

func maxDiff(a, b [][]float32) float64 {
	var d float64
	for i := range a {
		for j := range a[i] {
			d = max(d, math.Abs(float64(a[i][j]-b[i][j])))
		}
	}
	return d
}

// TestSkipZeroAdvantage: skipping the tied group leaves the gradient of
// the full update when the KL and entropy coefficients are 0 (the skipped
// sequences keep their place in the token-mean denominator), scores only
// the other group, and takes no step when every group ties.
func TestSkipZeroAdvantage(t *testing.T) {
	trajs := recipeTrajs()
	for _, agg := range []rl.Aggregation{rl.TokenMean, rl.SeqMeanTokenMean} {
		loss := rl.Loss{ClipLow: 0.2, ClipHigh: 0.2, KL: rl.KLNone, Aggregation: agg}
		rewards := []float64{0, 1, 0.5, 1, 1, 1} // the second group ties
		run := func(skip bool) (Batch, UpdateStats, [][]float32) {
			u, e := recipeUpdater(t, loss)
			u.skipZeroAdvantage = skip
			u.miniBatches = 2 // off-policy: old logprobs come from prepare
			var st UpdateStats
			samples := batchOf(trajs, rewards, 3, false)
			if err := u.prepare(context.Background(), samples, &st); err != nil {
				t.Fatal(err)
			}
			if _, err := u.accumulate(context.Background(), samples, &st); err != nil {
				t.Fatal(err)
			}
			return samples, st, grads(e)
		}
		full, stFull, gFull := run(false)
		skipped, stSkip, gSkip := run(true)
		for i, s := range skipped {
			if want := i >= 3; s.skip != want || (s.old == nil) != want {
				t.Errorf("%s: sample %d: skip %v, old logprobs %v; want skipped %v", agg, i, s.skip, s.old != nil, want)
			}
			if full[i].skip {
				t.Errorf("%s: sample %d skipped without the option", agg, i)
			}
		}
		var norm float64
		for _, g := range gFull {
			for _, x := range g {
				norm = max(norm, math.Abs(float64(x)))
			}
		}
		if d := maxDiff(gFull, gSkip); norm == 0 || d > 1e-5*norm {
			t.Errorf("%s: gradients differ by %g (largest %g)", agg, d, norm)
		}
		if math.Abs(stFull.PGLoss-stSkip.PGLoss) > 1e-8+1e-6*math.Abs(stFull.PGLoss) {
			t.Errorf("%s: pg loss %g full, %g skipping", agg, stFull.PGLoss, stSkip.PGLoss)
		}
	}
	u, e := recipeUpdater(t, rl.Loss{ClipLow: 0.2, ClipHigh: 0.2, KL: rl.KLNone, Aggregation: rl.TokenMean})
	u.skipZeroAdvantage = true
	if _, err := u.run(context.Background(), batchOf(trajs, []float64{1, 1, 1, 0.1, 0.1, 0.1}, 3, false)); err != nil {
		t.Fatal(err)
	}
	if e.Steps() != 0 {
		t.Errorf("%d optimizer steps with every group tied, want 0", e.Steps())
	}
}

// TestDynamicSampling: groups of tied rewards are dropped and counted,
// more questions are rolled out up to the cap, and the data order moves
// past them.
func TestDynamicSampling(t *testing.T) {
	cfg := toyRun(t)
	cfg.Train.Steps, cfg.Train.ValEvery = 2, 0
	cfg.Algorithm.FilterGroups = FilterGroups{Enable: true, Metric: MetricSeqReward, MaxNumGenBatches: 3}
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	// Questions q0 … q3 tie (reward 0.5 for every rollout); the others vary.
	tr.Scorer = score.Func(func(t *rollout.Trajectory) float64 {
		if t.ExampleID < "q4" {
			return 0.5
		}
		return asciiShare(t)
	})
	tr.Log = io.Discard
	m, trajs, err := tr.Step(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var tied int
	ids := map[string]bool{}
	for _, x := range trajs {
		ids[x.ExampleID] = true
	}
	for id := range ids {
		if id < "q4" {
			tied++
		}
	}
	if m.GroupsDropped != tied || m.GenBatches < 1 || m.GenBatches > 3 || len(trajs) != m.GenBatches*4*4 {
		t.Errorf("dropped %d (want %d tied), %d batches, %d trajectories", m.GroupsDropped, tied, m.GenBatches, len(trajs))
	}
	if tied > 0 && m.GenBatches == 1 {
		t.Errorf("%d groups dropped and no batch rolled out to refill", tied)
	}
	t.Logf("dropped %d, batches %d", m.GroupsDropped, m.GenBatches)
	if tr.extra != (m.GenBatches-1)*4 {
		t.Errorf("%d extra questions drawn, want %d", tr.extra, (m.GenBatches-1)*4)
	}
	if !strings.Contains(func() string { b, _ := tr.Config.YAML(); return string(b) }(), "max_num_gen_batches: 3") {
		t.Error("resolved config lacks algorithm.filter_groups")
	}
}
