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

	"research/agent"
	"research/dataset"
	"research/generate"
	"research/internal/progress"
	"research/model"
	"research/protocol"
	"research/reward"
	"research/rl"
	"research/rollout"
	"research/score"
	"research/search"
	"research/tokenizer"
)

// Trainer runs one training job. A step runs the stages in order:
// rollout (rollouts), reward (newBatch with the Scorer), advantage and
// update (updater, on the Backend).
type Trainer struct {
	Config Config
	// Scorer is the reward function; nil means the ReSearch reward
	// (score.ReSearch). reward_model.overlong_buffer adds its penalty to
	// any.
	Scorer score.Scorer
	// Log receives one line per step and notes; default os.Stderr.
	Log io.Writer

	tok       *tokenizer.Tokenizer
	retriever search.Retriever
	backend   Backend
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

// New opens what cfg names: data, tokenizer and retriever (through
// package agent, as the CLI does), and the backend: the in-process
// engine's models, or with backend.url a session and a LoRA model on a
// Tinker-compatible service.
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
	// The policy is the backend's: the agent is the tokenizer and the
	// retriever.
	a, err := agent.Open(agent.Config{Template: cfg.Template, EOSText: cfg.EOSText, Tokenizer: tokPath, Retriever: cfg.Retriever.RetrieverConfig})
	if err != nil {
		return nil, configError(err)
	}
	t.closers = append(t.closers, a.Close)
	t.tok, t.retriever, t.template, t.eosText = a.Tokenizer, a.Retriever, a.Template, a.EOSText
	dec := generate.DecoderFunc(func(ids []int) string { s, _ := t.tok.Decode(ids, false); return s })
	var eos []int
	if cfg.Backend.URL == "" {
		local, err := newLocal(cfg, dec)
		if err != nil {
			return nil, err
		}
		t.backend = local
		t.closers = append(t.closers, local.Close)
		eos = local.policy.Config.EOSTokenIDs
	} else {
		// The weights are the service's; the model directory, if given,
		// only says which ids end a response.
		if cfg.Model != "" {
			mc, err := model.LoadConfig(cfg.Model)
			if err != nil {
				return nil, fmt.Errorf("model: %w", err)
			}
			eos = mc.EOSTokenIDs
		}
		remote, err := newRemote(context.Background(), cfg, dec, t.Log)
		if err != nil {
			return nil, err
		}
		t.backend = remote
		t.closers = append(t.closers, remote.Close)
	}
	t.eosIDs = rollout.StopIDs(t.tok, eos)
	t.up = newUpdater(cfg, t.backend)
	ok = true
	return t, nil
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

// configError names a builder error's key as the config file does.
func configError(err error) error {
	var fe *agent.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	key := fe.Key
	if key != "tokenizer" && key != "template" {
		key = "retriever." + key
	}
	return fmt.Errorf("%s: %w", key, fe.Err)
}

// newUpdater sets up the advantage and update stages of c on backend.
func newUpdater(c Config, backend Backend) *updater {
	est, _ := rl.ParseEstimator(c.Algorithm.Advantage)
	agg, _ := rl.ParseAggregation(c.Algorithm.Aggregation)
	kl, _ := rl.ParseKL(c.Algorithm.KL)
	norm := c.Algorithm.NormTokens
	if norm == 0 {
		norm = c.Rollout.MaxResponseTokens
	}
	loss := rl.Loss{ClipLow: c.Algorithm.ClipLow, ClipHigh: c.Algorithm.ClipHigh, KL: kl, KLCoef: c.Algorithm.KLCoef,
		EntropyCoef: c.Algorithm.EntropyCoef, Aggregation: agg, NormTokens: norm}
	klp, _ := rl.ParseKL(c.Algorithm.KLPenalty)
	return &updater{backend: backend, loss: loss, est: est, lr: c.Optim.LR, sched: schedule(c), adamW: adamW(c.Optim),
		maxGradNorm: c.Optim.MaxGradNorm, miniBatches: c.Train.MiniBatches, epochs: c.Train.PPOEpochs,
		microTokens: c.Train.MicroBatchTokens, skipZeroAdvantage: c.Algorithm.SkipZeroAdvantage,
		klInReward: c.Algorithm.KLInReward, klPenalty: klp, klCoef: c.Algorithm.KLCtrl.KLCoef, sendOld: c.Backend.URL != ""}
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

// rollouts is the rollout stage: the loop on the current weights.
func (t *Trainer) rollouts(ctx context.Context, examples []dataset.Example, n int, temperature float64, seed uint64) ([]*rollout.Trajectory, time.Duration, error) {
	rc := t.Config.Rollout
	sampler, release, err := t.backend.Sampler(ctx, generate.Sampling{Temperature: temperature, TopP: rc.TopP, Seed: seed})
	if err != nil {
		return nil, 0, err
	}
	defer release()
	cfg := rollout.Defaults(t.template, t.eosIDs, t.eosText)
	cfg.N, cfg.MaxResponseTokens, cfg.MaxTurns, cfg.TopK = n, rc.MaxResponseTokens, rc.MaxTurns, t.Config.Retriever.TopK
	cfg.Synchronous, cfg.MaxConcurrent = rc.Synchronous, rc.MaxConcurrent
	cfg.TurnSeeds, cfg.Seed = t.Config.seedPerTurn(), seed
	r := &rollout.Runner{Policy: sampler, Retriever: t.retriever, Tokenizer: t.tok, Config: cfg}
	start := time.Now()
	trajs, err := r.Run(ctx, examples)
	return trajs, time.Since(start), err
}

// scorer is the reward stage's function: Scorer, or the ReSearch reward,
// plus DAPO's soft overlong penalty when reward_model.overlong_buffer is
// enabled.
func (t *Trainer) scorer() score.Scorer {
	var s score.Scorer = score.ReSearch{}
	if t.Scorer != nil {
		s = t.Scorer
	}
	if ob := t.Config.Reward.OverlongBuffer; ob.Enable {
		s = score.Overlong{Scorer: s, MaxTokens: t.Config.Rollout.MaxResponseTokens, Buffer: ob.Len, Factor: ob.PenaltyFactor}
	}
	return s
}

// Step runs one training step: rollouts, rewards, advantages, update. It
// returns the step's metrics and its trajectories. With dynamic sampling
// the trajectories are every batch the step generated, and the rollout
// metrics describe them all; the update sees the kept groups only.
func (t *Trainer) Step(ctx context.Context) (Metrics, []*rollout.Trajectory, error) {
	c := t.Config
	seed := c.Train.Seed*1_000_003 + uint64(t.step)
	trajs, genTime, err := t.rollouts(ctx, t.batch(t.step), c.Rollout.N, c.Rollout.Temperature, seed)
	if err != nil {
		return Metrics{}, nil, err
	}
	scoreStart := time.Now()
	all := newBatch(trajs, t.scorer(), 0, !c.Algorithm.StateMasking)
	scoreTime := time.Since(scoreStart)
	kept := all
	var dropped, batches int
	if c.Algorithm.FilterGroups.Enable {
		var more time.Duration
		all, kept, dropped, batches, more, err = t.dynamicSampling(ctx, all, seed)
		if err != nil {
			return Metrics{}, nil, err
		}
		genTime += more
	}
	trajs = all.Trajectories()
	m := rolloutMetrics(trajs, all.Rewards(), genTime)
	m.ScoreSec = scoreTime.Seconds()
	m.OverlongPenalty, m.GroupsDropped, m.GenBatches = all.penaltyMean(), dropped, batches
	if c.Algorithm.FilterGroups.Enable && len(kept) == 0 {
		// Every group tied in every batch: nothing to learn from.
		t.step++
		m.Step, m.Phase = t.step, "train"
		return m, trajs, nil
	}
	updStart := time.Now()
	u, err := t.up.run(ctx, kept)
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
// batch_size kept groups. It returns every sample generated, the kept
// ones, the groups dropped, the batches generated and the extra
// generation time.
func (t *Trainer) dynamicSampling(ctx context.Context, first Batch, seed uint64) (
	all, kept Batch, dropped, batches int, genTime time.Duration, err error) {
	c := t.Config
	n, b := c.Rollout.N, c.Train.BatchSize
	fg := c.Algorithm.FilterGroups
	cur, keptGroups := first, 0
	all = first
	for batches = 1; ; batches++ {
		keep := rl.VaryingGroups(t.filterMetric(cur), cur.Groups())
		groups, members := cur.groupOrder()
		for _, g := range groups {
			idx := members[g]
			if !keep[idx[0]] {
				dropped++
				continue
			}
			if keptGroups < b {
				keptGroups++
				for _, i := range idx {
					kept = append(kept, cur[i])
				}
			}
		}
		if keptGroups >= b || batches >= fg.MaxNumGenBatches {
			return all, kept, dropped, batches, genTime, nil
		}
		qs := t.questions((t.step+1)*b+t.extra, b)
		t.extra += b
		trajs, d, err := t.rollouts(ctx, qs, n, c.Rollout.Temperature, seed+uint64(batches)<<32)
		if err != nil {
			return nil, nil, 0, 0, 0, err
		}
		genTime += d
		cur = newBatch(trajs, t.scorer(), all.nextGroup(), !c.Algorithm.StateMasking)
		all = append(all, cur...)
	}
}

// filterMetric is the per-rollout value dynamic sampling compares within
// a group (FilterGroups.Metric).
func (t *Trainer) filterMetric(b Batch) []float64 {
	switch t.Config.Algorithm.FilterGroups.Metric {
	case MetricScore:
		return b.Scores()
	case MetricAcc:
		out := make([]float64, len(b))
		for i, s := range b {
			if ans, ok := protocol.ExtractAnswer(s.Traj.ResponseText); ok {
				out[i] = reward.Evaluate(ans, s.Traj.Golds).EM
			}
		}
		return out
	}
	return b.Rewards()
}

// Validate rolls out the validation questions greedily, one rollout each.
func (t *Trainer) Validate(ctx context.Context) (Metrics, []*rollout.Trajectory, error) {
	trajs, genTime, err := t.rollouts(ctx, t.valData, 1, 0, 0)
	if err != nil {
		return Metrics{}, nil, err
	}
	// Unshaped, so that runs with and without the overlong penalty compare.
	results := score.All(t.scorer(), trajs...)
	scores := make([]float64, len(results))
	for i, r := range results {
		scores[i] = r.Score
	}
	m := rolloutMetrics(trajs, scores, genTime)
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
