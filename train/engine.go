package train

import (
	"fmt"
	"math"

	"research/model"
)

// Config sets up an Engine.
type Config struct {
	LR          float64 // peak learning rate
	Schedule    Schedule
	AdamW       AdamW
	MaxGradNorm float64 // global grad-norm clip; 0 disables it
	Temperature float64 // of the logprobs and entropies (the sampling temperature)
	Recompute   bool    // recompute each layer's activations in backward to save memory
}

// DefaultConfig is the paper's recipe: constant LR 1e-6, AdamW
// β = (0.9, 0.999), weight decay 0.01, clip 1.0, temperature 1.
func DefaultConfig() Config {
	return Config{LR: 1e-6, Schedule: Schedule{Kind: Constant}, AdamW: DefaultAdamW(), MaxGradNorm: 1, Temperature: 1}
}

func (c Config) check() error {
	if !(c.LR >= 0) || math.IsInf(c.LR, 0) {
		return fmt.Errorf("train: learning rate %g: want a finite value ≥ 0", c.LR)
	}
	if !(c.Temperature > 0) || math.IsInf(c.Temperature, 0) {
		return fmt.Errorf("train: temperature %g: want a finite value > 0", c.Temperature)
	}
	if !(c.MaxGradNorm >= 0) {
		return fmt.Errorf("train: max grad norm %g: want ≥ 0", c.MaxGradNorm)
	}
	if err := c.Schedule.check(); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return c.AdamW.check()
}

// Engine trains a model — all of its weights, or only LoRA adapters on a
// frozen base — one optimizer step at a time. Gradients accumulate over
// every Pass.Backward until Step applies and clears them.
type Engine struct {
	Model *model.Model
	LoRA  *model.LoRA // nil for full fine-tuning
	cfg   Config

	params, grads []model.Param // trained tensors and their gradients, in checkpoint order
	g             *model.Model  // gradients of the base (nil under LoRA)
	gl            *model.LoRA   // gradients of the adapters (nil without LoRA)
	adam          *adamState
	step          int
}

// New returns an engine that trains m, or with lora non-nil only lora's
// adapters (m stays frozen).
func New(m *model.Model, lora *model.LoRA, cfg Config) (*Engine, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	e := &Engine{Model: m, LoRA: lora, cfg: cfg}
	if lora != nil {
		e.gl = lora.NewGrads(&m.Config)
		e.params, e.grads = lora.Params(), e.gl.Params()
	} else {
		e.g = m.NewGrads()
		e.params, e.grads = m.Params(), e.g.Params()
	}
	e.adam = newAdamState(e.params)
	return e, nil
}

// Steps is the number of optimizer steps taken.
func (e *Engine) Steps() int { return e.step }

// Params lists the trained tensors (the adapters under LoRA), and Grads their
// accumulated gradients, in the same order.
func (e *Engine) Params() []model.Param { return e.params }

// Grads lists the accumulated gradients, in the order of Params.
func (e *Engine) Grads() []model.Param { return e.grads }

// Sequence is one sequence to score: the prompt then the response, with
// From the index of the first response token (≥ 1). Tokens from From on are
// scored; the earlier ones are context.
type Sequence struct {
	Tokens []int
	From   int
	// Skip, if set, flags each token from From on that the loss ignores
	// (model.TrainOptions.Skip): its logprob and entropy read 0 and cost
	// no LM head.
	Skip []bool
}

// Pass is one scored micro-batch, holding the activations its Backward
// needs; drop it to free them.
type Pass struct {
	// Logp[i][j] and Entropy[i][j] belong to token From+j of sequence i:
	// its log-probability and the entropy of the distribution it was drawn
	// from, both under softmax(logits / temperature).
	Logp, Entropy [][]float64

	e    *Engine
	tape *model.Tape
	done bool
}

// Score runs the training forward over a micro-batch of sequences of any
// lengths.
func (e *Engine) Score(batch []Sequence) (*Pass, error) {
	seqs, from, skip := unzip(batch)
	tape, err := e.Model.TrainForward(seqs, from, model.TrainOptions{Temperature: e.cfg.Temperature, LoRA: e.LoRA, Recompute: e.cfg.Recompute, Skip: skip})
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	return &Pass{Logp: tape.Logp, Entropy: tape.Entropy, e: e, tape: tape}, nil
}

// Evaluate returns the per-token logprobs and entropies of a micro-batch
// without keeping what a backward would need (old-policy logprobs, or
// metrics): it holds one layer's activations at a time.
func (e *Engine) Evaluate(batch []Sequence) (logp, entropy [][]float64, err error) {
	seqs, from, skip := unzip(batch)
	tape, err := e.Model.TrainForward(seqs, from, model.TrainOptions{Temperature: e.cfg.Temperature, LoRA: e.LoRA, Recompute: true, Skip: skip})
	if err != nil {
		return nil, nil, fmt.Errorf("evaluate: %w", err)
	}
	return tape.Logp, tape.Entropy, nil
}

// unzip splits a batch into TrainForward's arguments; skip is nil unless
// some sequence skips tokens.
func unzip(batch []Sequence) (seqs [][]int, from []int, skip [][]bool) {
	seqs, from = make([][]int, len(batch)), make([]int, len(batch))
	for i, s := range batch {
		seqs[i], from[i] = s.Tokens, s.From
		if s.Skip != nil {
			if skip == nil {
				skip = make([][]bool, len(batch))
			}
			skip[i] = s.Skip
		}
	}
	return seqs, from, skip
}

// Backward accumulates into the engine's gradients the gradient of
// Σ dLogp·Logp + dEntropy·Entropy: the loss's derivatives with respect to
// each token's logprob and entropy (rl.Result's DLogp and DEntropy), shaped
// like Logp. A pass can be taken back once.
func (p *Pass) Backward(dLogp, dEntropy [][]float64) error {
	if p.done {
		return fmt.Errorf("backward: this pass was already taken back")
	}
	if err := p.tape.Backward(dLogp, dEntropy, p.e.g, p.e.gl); err != nil {
		return err
	}
	p.done = true
	p.tape = nil
	return nil
}

// StepStats describes one optimizer step.
type StepStats struct {
	Step     int     // steps taken, this one included
	LR       float64 // the learning rate it used
	GradNorm float64 // global gradient norm before clipping
}

// Step clips the accumulated gradients, applies one AdamW update at the
// scheduled learning rate, and clears the gradients. A non-finite gradient
// norm skips the update (the gradients are still cleared) and is reported
// as an error.
func (e *Engine) Step() (StepStats, error) {
	return e.step1(e.cfg.LR*e.cfg.Schedule.Factor(e.step), e.cfg.AdamW, e.cfg.MaxGradNorm)
}

// StepParams are one optimizer step's settings, for a caller that chooses
// them per step (a remote training API sends them with every step) rather
// than at construction.
type StepParams struct {
	LR          float64 // this step's learning rate; the schedule is not applied
	AdamW       AdamW
	MaxGradNorm float64 // 0 disables clipping
}

// StepWith is Step with p's settings in place of the engine's config and
// schedule; AdamW's moments and step count carry on across both.
func (e *Engine) StepWith(p StepParams) (StepStats, error) {
	if err := (Config{LR: p.LR, Schedule: Schedule{Kind: Constant}, AdamW: p.AdamW, MaxGradNorm: p.MaxGradNorm, Temperature: 1}).check(); err != nil {
		return StepStats{Step: e.step}, err
	}
	return e.step1(p.LR, p.AdamW, p.MaxGradNorm)
}

func (e *Engine) step1(lr float64, opt AdamW, maxNorm float64) (StepStats, error) {
	norm := ClipGrads(e.grads, maxNorm)
	defer e.ZeroGrads()
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return StepStats{Step: e.step, LR: lr, GradNorm: norm}, fmt.Errorf("step %d: gradient norm is %g; update skipped", e.step+1, norm)
	}
	opt.update(e.adam, e.params, e.grads, lr)
	e.step++
	return StepStats{Step: e.step, LR: lr, GradNorm: norm}, nil
}

// ZeroGrads clears the accumulated gradients.
func (e *Engine) ZeroGrads() {
	for _, g := range e.grads {
		clear(g.Data)
	}
}
