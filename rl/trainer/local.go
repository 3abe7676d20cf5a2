package trainer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"research/generate"
	"research/model"
	"research/policy"
	"research/rl"
	"research/rollout"
	"research/train"
)

// Local is the in-process Backend: the model, its LoRA adapters when
// configured, and a train.Engine on this machine's CPU. It computes the
// whole loss of rl.Loss, KL and entropy terms included.
type Local struct {
	policy *model.Model // the trained model (the frozen base under LoRA)
	ref    *model.Model // the KL reference: a frozen copy, or the base under LoRA; nil without a KL term or penalty
	lora   *model.LoRA
	gen    *model.Model // generates and scores: policy, or under LoRA a copy with the adapters merged
	engine *train.Engine
	// temperature is the sampling temperature, under which logprobs and
	// entropies are computed.
	temperature float64
	decoder     generate.Decoder
	closers     []func()
}

// newLocal loads cfg's model — twice when the run needs a second copy: a
// frozen reference for full fine-tuning with a KL term, or the generation
// copy under LoRA — and sets up its training engine. dec decodes the
// sampler's tokens for stop strings.
func newLocal(cfg Config, dec generate.Decoder) (*Local, error) {
	l := &Local{temperature: cfg.Rollout.Temperature, decoder: dec}
	ok := false
	defer func() {
		if !ok {
			l.Close()
		}
	}()
	var err error
	if l.policy, err = model.Load(cfg.Model); err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	l.closers = append(l.closers, func() { l.policy.Close() })
	kl, _ := rl.ParseKL(cfg.Algorithm.KL)
	if err := l.loadCopies(cfg, kl != rl.KLNone || cfg.Algorithm.KLInReward); err != nil {
		return nil, err
	}
	o := cfg.Optim
	ecfg := train.Config{LR: o.LR, Schedule: schedule(cfg), MaxGradNorm: o.MaxGradNorm, Temperature: cfg.Rollout.Temperature,
		Recompute: o.Recompute, AdamW: adamW(o)}
	if l.engine, err = train.New(l.policy, l.lora, ecfg); err != nil {
		return nil, fmt.Errorf("optim: %w", err)
	}
	ok = true
	return l, nil
}

// schedule is the run's learning-rate schedule over its optimizer steps.
func schedule(c Config) train.Schedule {
	return train.Schedule{Kind: c.Optim.Schedule, Warmup: c.Optim.WarmupSteps, Total: c.Train.Steps * c.Train.MiniBatches * c.Train.PPOEpochs}
}

func adamW(o OptimConfig) train.AdamW {
	return train.AdamW{Beta1: o.Betas[0], Beta2: o.Betas[1], Eps: o.Eps, WeightDecay: o.WeightDecay}
}

// loadCopies loads the second copy the run needs, if any; needRef: the
// run scores the reference policy (a KL term in the loss or the reward).
func (l *Local) loadCopies(cfg Config, needRef bool) error {
	l.gen = l.policy
	lc := cfg.LoRA
	if lc.Rank == 0 {
		if !needRef {
			return nil
		}
		ref, err := model.Load(cfg.Model)
		if err != nil {
			return fmt.Errorf("reference model: %w", err)
		}
		l.ref = ref
		l.closers = append(l.closers, func() { ref.Close() })
		return nil
	}
	var err error
	l.lora, err = model.NewLoRA(l.policy, lc.Rank, lc.Alpha, lc.Targets, rand.New(rand.NewPCG(cfg.Train.Seed, 5)))
	if err != nil {
		return fmt.Errorf("lora: %w", err)
	}
	gen, err := model.Load(cfg.Model)
	if err != nil {
		return fmt.Errorf("generation copy: %w", err)
	}
	l.gen = gen
	l.closers = append(l.closers, func() { gen.Close() })
	if needRef {
		l.ref = l.policy
	}
	l.syncGen()
	return nil
}

// syncGen refreshes the generation copy after the adapters changed.
func (l *Local) syncGen() {
	if l.lora != nil {
		l.lora.MergeFrom(l.gen, l.policy)
	}
}

// ForwardBackward implements Backend. Tokens outside the mask are not
// scored (their logprobs read 0) and cost no LM head.
func (l *Local) ForwardBackward(_ context.Context, data []Datum, loss rl.Loss, scale float64) (ForwardBackwardResult, error) {
	batch := make([]train.Sequence, len(data))
	for k, d := range data {
		skip := make([]bool, len(d.Mask))
		for j, m := range d.Mask {
			skip[j] = m == 0
		}
		batch[k] = train.Sequence{Tokens: d.Tokens, From: d.From, Skip: skip}
	}
	pass, err := l.engine.Score(batch)
	if err != nil {
		return ForwardBackwardResult{}, err
	}
	logp := make([][]float64, len(data))
	seqs := make([]rl.Sequence, len(data))
	for k, d := range data {
		logp[k] = slices.Clone(pass.Logp[k])
		old := d.OldLogp
		if old == nil {
			old = logp[k]
		}
		seqs[k] = rl.Sequence{Advantages: d.Advantages, Mask: d.Mask, OldLogp: old, RefLogp: d.RefLogp, Logp: pass.Logp[k], Entropy: pass.Entropy[k]}
	}
	res, err := loss.Compute(seqs)
	if err != nil {
		return ForwardBackwardResult{}, err
	}
	scaleAll(res.DLogp, scale)
	scaleAll(res.DEntropy, scale)
	if err := pass.Backward(res.DLogp, res.DEntropy); err != nil {
		return ForwardBackwardResult{}, err
	}
	res.DLogp, res.DEntropy = nil, nil
	return ForwardBackwardResult{Logprobs: logp, Loss: res}, nil
}

func scaleAll(xs [][]float64, f float64) {
	for _, x := range xs {
		for j := range x {
			x[j] *= f
		}
	}
}

// Logprobs implements Backend: Current scores with the generation copy,
// the weights the sampler uses.
func (l *Local) Logprobs(_ context.Context, data []Datum, w Weights) ([][]float64, error) {
	m := l.gen
	if w == Reference {
		if l.ref == nil {
			return nil, errors.New("no reference policy: the loss has no KL term")
		}
		m = l.ref
	}
	seqs, from := make([][]int, len(data)), make([]int, len(data))
	for i, d := range data {
		seqs[i], from[i] = d.Tokens, d.From
	}
	return m.Logprobs(seqs, from, l.temperature)
}

// OptimStep implements Backend.
func (l *Local) OptimStep(_ context.Context, p train.StepParams) (train.StepStats, error) {
	st, err := l.engine.StepWith(p)
	if err != nil {
		return st, err
	}
	l.syncGen()
	return st, nil
}

// Steps implements Backend.
func (l *Local) Steps() int { return l.engine.Steps() }

// Sampler implements Backend: a continuous-batching engine on the
// generation copy.
func (l *Local) Sampler(_ context.Context, s generate.Sampling) (rollout.Policy, func(), error) {
	e, err := generate.NewEngine(l.gen, generate.Options{Sampling: s, Decoder: l.decoder})
	if err != nil {
		return nil, nil, err
	}
	return policy.Local{Engine: e}, e.Close, nil
}

// Save implements Backend.
func (l *Local) Save(dir string) error { return l.engine.Save(dir, nil) }

// Load implements Backend.
func (l *Local) Load(dir string) error {
	if err := l.engine.Load(dir, nil); err != nil {
		return err
	}
	l.syncGen()
	return nil
}

// Close implements Backend.
func (l *Local) Close() {
	for i := len(l.closers) - 1; i >= 0; i-- {
		l.closers[i]()
	}
	l.closers = nil
}
