package trainer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"research/dataset"
	"research/generate"
	"research/internal/progress"
	"research/model"
	"research/policy"
	"research/protocol"
	"research/reward"
	"research/rl"
	"research/rollout"
	"research/search"
	"research/search/bm25"
	"research/tokenizer"
	"research/train"
)

// Trainer runs one training job.
type Trainer struct {
	Config Config
	// Reward, when set, replaces the ReSearch reward of each trajectory
	// (for toy tasks); by default the reward the rollout computed is used.
	Reward func(*rollout.Trajectory) float64
	// Log receives one line per step and notes; default os.Stderr.
	Log io.Writer

	tok       *tokenizer.Tokenizer
	retriever search.Retriever
	policy    *model.Model // the trained model (the frozen base under LoRA)
	ref       *model.Model // the KL reference: a frozen copy, or the base under LoRA
	lora      *model.LoRA
	gen       *model.Model // generates and scores: policy, or under LoRA a copy with the adapters merged
	engine    *train.Engine
	up        *updater
	template  protocol.Template
	eosIDs    []int
	eosText   string
	trainData []dataset.Example
	valData   []dataset.Example
	closers   []func()

	step      int
	extra     int // questions drawn beyond step·batch_size, by dynamic sampling's extra batches
	history   []Metrics
	guardFrom int     // history index the collapse guard watches from
	best      float64 // best validation reward so far
}

// New opens what cfg names: data, tokenizer, model (twice, the second a
// frozen reference when the loss has a KL term), retriever.
func New(cfg Config) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Trainer{Config: cfg, Log: os.Stderr, best: -1}
	ok := false
	defer func() {
		if !ok {
			t.Close()
		}
	}()
	var err error
	if t.trainData, err = readAll(cfg.Data.Train); err != nil {
		return nil, err
	}
	if t.valData, err = readAll(cfg.Data.Val); err != nil {
		return nil, err
	}
	if cfg.Data.ValSize > 0 && len(t.valData) > cfg.Data.ValSize {
		t.valData = t.valData[:cfg.Data.ValSize]
	}
	tokPath := cfg.Tokenizer
	if tokPath == "" {
		tokPath = cfg.Model
	}
	if t.tok, err = tokenizer.Load(tokPath); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	if t.policy, err = model.Load(cfg.Model); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	t.closers = append(t.closers, func() { t.policy.Close() })
	kl, _ := rl.ParseKL(cfg.Algorithm.KL)
	if err := t.setupModels(kl); err != nil {
		return nil, err
	}
	if err := t.setupRetriever(); err != nil {
		return nil, err
	}
	t.template = protocol.Template(cfg.Template)
	t.eosText = cfg.EOSText
	if t.eosText == "" {
		t.eosText = t.template.EOSText()
	}
	t.eosIDs = rollout.StopIDs(t.tok, t.policy.Config.EOSTokenIDs)
	if err := t.setupEngine(kl); err != nil {
		return nil, err
	}
	ok = true
	return t, nil
}

// setupModels loads the second copy the run needs: the frozen reference
// for full fine-tuning with a KL term, or the generation copy under LoRA
// (the frozen base is then the reference).
func (t *Trainer) setupModels(kl rl.KLEstimator) error {
	t.gen = t.policy
	lc := t.Config.LoRA
	if lc.Rank == 0 {
		if kl == rl.KLNone {
			return nil
		}
		ref, err := model.Load(t.Config.Model)
		if err != nil {
			return fmt.Errorf("reference model: %w", err)
		}
		t.ref = ref
		t.closers = append(t.closers, func() { ref.Close() })
		return nil
	}
	var err error
	t.lora, err = model.NewLoRA(t.policy, lc.Rank, lc.Alpha, lc.Targets, rand.New(rand.NewPCG(t.Config.Train.Seed, 5)))
	if err != nil {
		return fmt.Errorf("lora: %w", err)
	}
	gen, err := model.Load(t.Config.Model)
	if err != nil {
		return fmt.Errorf("generation copy: %w", err)
	}
	t.gen = gen
	t.closers = append(t.closers, func() { gen.Close() })
	if kl != rl.KLNone {
		t.ref = t.policy
	}
	t.lora.MergeFrom(t.gen, t.policy)
	return nil
}

func readAll(files []string) ([]dataset.Example, error) {
	var all []dataset.Example
	for _, f := range files {
		exs, err := dataset.ReadFile(f)
		if err != nil {
			return nil, err
		}
		all = append(all, exs...)
	}
	return all, nil
}

func (t *Trainer) setupRetriever() error {
	rc := t.Config.Retriever
	if rc.Index != "" {
		ix, err := bm25.Open(rc.Index, bm25.OpenOptions{})
		if err != nil {
			return fmt.Errorf("retriever.index: %w", err)
		}
		t.retriever = ix
		t.closers = append(t.closers, func() { ix.Close() })
		return nil
	}
	proto, err := search.ParseProtocol(rc.Protocol)
	if err != nil {
		return fmt.Errorf("retriever.protocol: %w", err)
	}
	t.retriever = &search.Client{BaseURL: rc.URL, Protocol: proto}
	return nil
}

func (t *Trainer) setupEngine(kl rl.KLEstimator) error {
	c := t.Config
	o := c.Optim
	sched := train.Schedule{Kind: o.Schedule, Warmup: o.WarmupSteps, Total: c.Train.Steps * c.Train.MiniBatches * c.Train.PPOEpochs}
	ecfg := train.Config{LR: o.LR, Schedule: sched, MaxGradNorm: o.MaxGradNorm, Temperature: c.Rollout.Temperature, Recompute: o.Recompute,
		AdamW: train.AdamW{Beta1: o.Betas[0], Beta2: o.Betas[1], Eps: o.Eps, WeightDecay: o.WeightDecay}}
	var err error
	if t.engine, err = train.New(t.policy, t.lora, ecfg); err != nil {
		return fmt.Errorf("optim: %w", err)
	}
	est, _ := rl.ParseEstimator(c.Algorithm.Advantage)
	agg, _ := rl.ParseAggregation(c.Algorithm.Aggregation)
	norm := c.Algorithm.NormTokens
	if norm == 0 {
		norm = c.Rollout.MaxResponseTokens
	}
	loss := rl.Loss{ClipLow: c.Algorithm.ClipLow, ClipHigh: c.Algorithm.ClipHigh, KL: kl, KLCoef: c.Algorithm.KLCoef,
		EntropyCoef: c.Algorithm.EntropyCoef, Aggregation: agg, NormTokens: norm}
	t.up = &updater{engine: t.engine, scorer: t.gen, ref: t.ref, afterStep: t.syncGen, loss: loss, est: est, n: c.Rollout.N, miniBatches: c.Train.MiniBatches,
		epochs: c.Train.PPOEpochs, microTokens: c.Train.MicroBatchTokens, temperature: c.Rollout.Temperature,
		trainResults: !c.Algorithm.StateMasking, skipZeroAdvantage: c.Algorithm.SkipZeroAdvantage}
	return nil
}

// syncGen refreshes the generation copy after the adapters changed.
func (t *Trainer) syncGen() {
	if t.lora != nil {
		t.lora.MergeFrom(t.gen, t.policy)
	}
}

// History returns the metrics recorded so far, training steps and
// validations in order.
func (t *Trainer) History() []Metrics { return t.history }

// Close releases the models and the index.
func (t *Trainer) Close() {
	for i := len(t.closers) - 1; i >= 0; i-- {
		t.closers[i]()
	}
	t.closers = nil
}

// batch returns the questions of a step: consecutive slices of a seeded
// permutation per epoch, so the data order depends only on the seed, the
// step and the questions dynamic sampling drew before (kept in the
// checkpoint), and a resumed run sees what an unbroken one would.
func (t *Trainer) batch(step int) []dataset.Example {
	b := t.Config.Train.BatchSize
	return t.questions(step*b+t.extra, b)
}

// questions returns count questions of the data order from position from.
func (t *Trainer) questions(from, count int) []dataset.Example {
	n := len(t.trainData)
	out := make([]dataset.Example, 0, count)
	var perm []int
	epoch := -1
	for i := from; i < from+count; i++ {
		if e := i / n; e != epoch {
			epoch = e
			perm = rand.New(rand.NewPCG(t.Config.Train.Seed, uint64(e))).Perm(n)
		}
		out = append(out, t.trainData[perm[i%n]])
	}
	return out
}

// rollouts runs the loop on the current weights.
func (t *Trainer) rollouts(ctx context.Context, examples []dataset.Example, n int, temperature float64, seed uint64) ([]*rollout.Trajectory, time.Duration, error) {
	rc := t.Config.Rollout
	dec := generate.DecoderFunc(func(ids []int) string { s, _ := t.tok.Decode(ids, false); return s })
	e, err := generate.NewEngine(t.gen, generate.Options{
		Sampling: generate.Sampling{Temperature: temperature, TopP: rc.TopP, Seed: seed}, Decoder: dec})
	if err != nil {
		return nil, 0, err
	}
	defer e.Close()
	cfg := rollout.Defaults(t.template, t.eosIDs, t.eosText)
	cfg.N, cfg.MaxResponseTokens, cfg.MaxTurns, cfg.TopK = n, rc.MaxResponseTokens, rc.MaxTurns, t.Config.Retriever.TopK
	cfg.Synchronous, cfg.MaxConcurrent = rc.Synchronous, rc.MaxConcurrent
	r := &rollout.Runner{Policy: policy.Local{Engine: e}, Retriever: t.retriever, Tokenizer: t.tok, Config: cfg}
	start := time.Now()
	trajs, err := r.Run(ctx, examples)
	return trajs, time.Since(start), err
}

// scores returns each trajectory's reward before shaping: the one the
// rollout computed, or Reward's.
func (t *Trainer) scores(trajs []*rollout.Trajectory) []float64 {
	out := make([]float64, len(trajs))
	for i, tr := range trajs {
		out[i] = tr.Reward
		if t.Reward != nil {
			out[i] = t.Reward(tr)
		}
	}
	return out
}

// shape returns the rewards the advantages see: the scores plus the soft
// overlong penalty when reward_model.overlong_buffer is enabled (the
// scores themselves otherwise), and the penalties' mean.
func (t *Trainer) shape(trajs []*rollout.Trajectory, scores []float64) ([]float64, float64) {
	ob := t.Config.Reward.OverlongBuffer
	if !ob.Enable || len(trajs) == 0 {
		return scores, 0
	}
	out := make([]float64, len(scores))
	var sum float64
	for i, tr := range trajs {
		// The budget counts inserted results, so the length does too, as
		// veRL's valid response length covers every response token.
		p := rl.OverlongPenalty(len(tr.Response), t.Config.Rollout.MaxResponseTokens, ob.Len, ob.PenaltyFactor)
		out[i] = scores[i] + p
		sum += p
	}
	return out, sum / float64(len(trajs))
}

// Step runs one training step: rollouts, rewards, update. It returns the
// step's metrics and its trajectories. With dynamic sampling the
// trajectories are every batch the step generated, and the rollout
// metrics describe them all; the update sees the kept groups only.
func (t *Trainer) Step(ctx context.Context) (Metrics, []*rollout.Trajectory, error) {
	c := t.Config
	seed := c.Train.Seed*1_000_003 + uint64(t.step)
	trajs, genTime, err := t.rollouts(ctx, t.batch(t.step), c.Rollout.N, c.Rollout.Temperature, seed)
	if err != nil {
		return Metrics{}, nil, err
	}
	scoreStart := time.Now()
	scores := t.scores(trajs)
	rewards, penalty := t.shape(trajs, scores)
	scoreTime := time.Since(scoreStart)
	trainTrajs, trainRewards := trajs, rewards
	var dropped, batches int
	if c.Algorithm.FilterGroups.Enable {
		var more time.Duration
		trajs, scores, rewards, trainTrajs, trainRewards, dropped, batches, more, err = t.dynamicSampling(ctx, trajs, scores, rewards, seed)
		if err != nil {
			return Metrics{}, nil, err
		}
		genTime += more
		_, penalty = t.shape(trajs, scores)
	}
	m := rolloutMetrics(trajs, rewards, genTime)
	m.ScoreSec = scoreTime.Seconds()
	m.OverlongPenalty, m.GroupsDropped, m.GenBatches = penalty, dropped, batches
	if c.Algorithm.FilterGroups.Enable && len(trainTrajs) == 0 {
		// Every group tied in every batch: nothing to learn from.
		t.step++
		m.Step, m.Phase = t.step, "train"
		return m, trajs, nil
	}
	updStart := time.Now()
	u, err := t.up.run(trainTrajs, trainRewards)
	if err != nil {
		return m, trajs, fmt.Errorf("step %d: update: %w", t.step+1, err)
	}
	m.UpdateSec = time.Since(updStart).Seconds()
	m.addUpdate(u)
	t.step++
	m.Step, m.Phase = t.step, "train"
	return m, trajs, nil
}

// dynamicSampling is DAPO's dynamic sampling (algorithm.filter_groups):
// it drops the groups of the first batch whose metric ties, rolls out
// further batches of questions (the next ones of the data order, which
// later steps then skip) until train.batch_size groups are kept or
// max_num_gen_batches batches were generated, and keeps the first
// batch_size kept groups. It returns every trajectory generated with its
// scores and rewards, the kept ones with theirs, the groups dropped, the
// batches generated and the extra generation time.
func (t *Trainer) dynamicSampling(ctx context.Context, trajs []*rollout.Trajectory, scores, rewards []float64, seed uint64) (
	all []*rollout.Trajectory, allScores, allRewards []float64, kept []*rollout.Trajectory, keptRewards []float64,
	dropped, batches int, genTime time.Duration, err error) {
	c := t.Config
	n, b := c.Rollout.N, c.Train.BatchSize
	fg := c.Algorithm.FilterGroups
	all, allScores, allRewards = trajs, scores, rewards
	for batches = 1; ; batches++ {
		keep := rl.VaryingGroups(t.filterMetric(trajs, scores, rewards), n)
		for g, ok := range keep {
			if !ok {
				dropped++
				continue
			}
			if len(kept) < b*n {
				kept = append(kept, trajs[g*n:(g+1)*n]...)
				keptRewards = append(keptRewards, rewards[g*n:(g+1)*n]...)
			}
		}
		if len(kept) >= b*n || batches >= fg.MaxNumGenBatches {
			return all, allScores, allRewards, kept, keptRewards, dropped, batches, genTime, nil
		}
		qs := t.questions((t.step+1)*b+t.extra, b)
		t.extra += b
		var d time.Duration
		trajs, d, err = t.rollouts(ctx, qs, n, c.Rollout.Temperature, seed+uint64(batches)<<32)
		if err != nil {
			return nil, nil, nil, nil, nil, 0, 0, 0, err
		}
		genTime += d
		scores = t.scores(trajs)
		rewards, _ = t.shape(trajs, scores)
		all = append(all, trajs...)
		allScores = append(allScores, scores...)
		allRewards = append(allRewards, rewards...)
	}
}

// filterMetric is the per-rollout value dynamic sampling compares within
// a group (FilterGroups.Metric).
func (t *Trainer) filterMetric(trajs []*rollout.Trajectory, scores, rewards []float64) []float64 {
	switch t.Config.Algorithm.FilterGroups.Metric {
	case MetricScore:
		return scores
	case MetricAcc:
		out := make([]float64, len(trajs))
		for i, tr := range trajs {
			if ans, ok := protocol.ExtractAnswer(tr.ResponseText); ok {
				out[i] = reward.Evaluate(ans, tr.Golds).EM
			}
		}
		return out
	}
	return rewards
}

// Validate rolls out the validation questions greedily, one rollout each.
func (t *Trainer) Validate(ctx context.Context) (Metrics, []*rollout.Trajectory, error) {
	trajs, genTime, err := t.rollouts(ctx, t.valData, 1, 0, 0)
	if err != nil {
		return Metrics{}, nil, err
	}
	// Unshaped, so that runs with and without the overlong penalty compare.
	m := rolloutMetrics(trajs, t.scores(trajs), genTime)
	m.Step, m.Phase = t.step, "val"
	return m, trajs, nil
}

// Run trains to the configured number of steps, resuming from the latest
// checkpoint in the output directory when resume is set. Cancelling ctx
// saves a checkpoint of the last finished step and returns ctx's error.
func (t *Trainer) Run(ctx context.Context, resume bool) error {
	c := t.Config
	out := c.Train.Out
	// Check before creating anything: a failed resume leaves no folder.
	if resume {
		if err := t.resume(); err != nil {
			return err
		}
	} else if _, err := os.Stat(filepath.Join(out, "metrics.jsonl")); err == nil {
		return fmt.Errorf("%s already holds a run: pass --resume to continue it, or choose another train.out", out)
	}
	if err := os.MkdirAll(filepath.Join(out, "rollouts"), 0o755); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(out, "plots"), 0o755); err != nil {
		return err
	}
	if err := t.writeConfig(); err != nil {
		return err
	}
	bar := progress.New(int64(c.Train.Steps-t.step), "training", "steps")
	defer bar.Finish()
	for t.step < c.Train.Steps {
		m, trajs, err := t.Step(ctx)
		if err != nil {
			if ctx.Err() != nil {
				fmt.Fprintf(t.Log, "interrupted: saving step %d\n", t.step)
				if serr := t.save(); serr != nil {
					return errors.Join(ctx.Err(), serr)
				}
				return ctx.Err()
			}
			return err
		}
		if err := t.record(m, trajs); err != nil {
			return err
		}
		fmt.Fprintf(t.Log, "step %d/%d  reward %.3f  valid %.2f  searches %.2f  tokens %.0f  kl %.4f  grad %.3f  %.1fs\n",
			t.step, c.Train.Steps, m.RewardMean, m.FormatValid, m.SearchesPerRoll, m.ResponseTokens, m.KL, m.GradNorm,
			m.GenerateSec+m.ScoreSec+m.UpdateSec)
		if m.SearchFailures > 0 {
			// Inserted "search failed" results train the policy on a dead
			// retriever: say so where it is seen.
			fmt.Fprintf(t.Log, "step %d: %d rollouts had a failed search (search_failures in metrics.jsonl)\n", t.step, m.SearchFailures)
		}
		bar.Add(1)
		if c.Train.ValEvery > 0 && len(t.valData) > 0 && (t.step%c.Train.ValEvery == 0 || t.step == c.Train.Steps) {
			if err := t.validate(ctx); err != nil {
				return err
			}
		}
		if c.Train.SaveEvery > 0 && (t.step%c.Train.SaveEvery == 0 || t.step == c.Train.Steps) {
			if err := t.save(); err != nil {
				return err
			}
		}
		if err := t.guard(); err != nil {
			return err
		}
	}
	return t.plot()
}

func (t *Trainer) validate(ctx context.Context) error {
	m, trajs, err := t.Validate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(t.Log, "validation at step %d: reward %.3f  EM %.3f  F1 %.3f  searches %.2f\n", t.step, m.RewardMean, m.EM, m.F1, m.SearchesPerRoll)
	if err := t.record(m, trajs); err != nil {
		return err
	}
	if m.RewardMean > t.best {
		t.best = m.RewardMean
		return t.saveTo(filepath.Join(t.Config.Train.Out, "checkpoints", "best"))
	}
	return nil
}

// record appends metrics, dumps the trajectories and refreshes the plots.
func (t *Trainer) record(m Metrics, trajs []*rollout.Trajectory) error {
	out := t.Config.Train.Out
	t.history = append(t.history, m)
	f, err := os.OpenFile(filepath.Join(out, "metrics.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	line, _ := json.Marshal(m)
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	dump, err := os.Create(filepath.Join(out, "rollouts", fmt.Sprintf("%s-step%06d.jsonl", m.Phase, m.Step)))
	if err != nil {
		return err
	}
	if err := rollout.WriteJSONL(dump, trajs); err != nil {
		dump.Close()
		return err
	}
	if err := dump.Close(); err != nil {
		return err
	}
	if every := t.Config.Train.PlotEvery; every > 0 && t.step%every == 0 {
		return t.plot()
	}
	return nil
}
