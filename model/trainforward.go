package model

import (
	"fmt"
	"math"

	"research/tensor"
)

// TrainOptions configures a training pass.
type TrainOptions struct {
	// Temperature divides the logits before logprobs and entropies are
	// taken, as it did when the tokens were sampled; it must be > 0.
	Temperature float64
	// LoRA, if set, adapts the projections in the forward; its gradients
	// are what a LoRA run trains.
	LoRA *LoRA
	// Recompute keeps only each layer's input and recomputes the layer's
	// activations during backward: about one layer's activations in memory
	// instead of all of them, for one more forward's worth of work.
	Recompute bool
	// Skip, if set, flags per sequence (nil: none) each scored token
	// (len(seq)−from of them) to leave out: its Logp and Entropy are 0
	// and its weights in Backward are ignored. Tokens a loss masks out,
	// such as retrieved results, then cost no LM head.
	Skip [][]bool
}

// Tape is one training forward over a batch of sequences: the logprob of
// every scored token and the entropy of the distribution it was drawn from,
// plus what Backward needs to turn weights on those into parameter
// gradients.
type Tape struct {
	// Logp[i][j] is log p(seq_i[from_i+j] | seq_i[:from_i+j]) under
	// softmax(logits / temperature); Entropy[i][j] is that distribution's
	// entropy in nats.
	Logp, Entropy [][]float64

	m      *Model
	opt    TrainOptions
	seqs   []tapeSeq
	tokens []int     // per row: the token fed
	cos    []float32 // per row: rotary cos, headDim/2 each
	sin    []float32
	negSin []float32    // −sin, which rotates back: RoPE's backward
	acts   []*layerActs // per layer; with Recompute only their x is kept
	last   []float32    // the residual stream after the last layer

	scored  []int // rows whose next-token logits are scored, in output order
	targets []int // the token each scored row predicts
	xF      []float32
	rstdF   []float32
	nF      []float32   // final-norm output of the scored rows
	logits  [][]float32 // per head chunk, scaled and shifted; nil when too large to keep
}

// tapeSeq is one sequence's place among the rows: rows start..start+n-1 hold
// its tokens 0..n-1 (all but its last token, which predicts nothing scored).
type tapeSeq struct {
	start, n int
}

// layerActs is what one decoder layer's backward reads.
type layerActs struct {
	x            []float32 // the layer's input [n][hidden]
	rstd1, rstd2 []float32 // reciprocal RMS of x and x2, per row
	n1, n2       []float32 // normed inputs of attention and MLP [n][hidden]
	q, k, v      []float32 // projections, q and k rotated
	lse          []float32 // attention log-sum-exp per [row][head]
	att          []float32 // attention output [n][qDim]
	x2           []float32 // the residual after attention
	gate, up     []float32 // MLP projections [n][ffn], before the activation
	act          []float32 // silu(gate)·up
	xa           map[string][]float32
}

func newLayerActs(c *Config, n int, lora *LoRA) *layerActs {
	h, q, kv, f := c.HiddenSize, c.QDim(), c.KVDim(), c.IntermediateSize
	a := &layerActs{
		x: make([]float32, n*h), rstd1: make([]float32, n), rstd2: make([]float32, n),
		n1: make([]float32, n*h), n2: make([]float32, n*h),
		q: make([]float32, n*q), k: make([]float32, n*kv), v: make([]float32, n*kv),
		lse: make([]float32, n*c.NumHeads), att: make([]float32, n*q), x2: make([]float32, n*h),
		gate: make([]float32, n*f), up: make([]float32, n*f), act: make([]float32, n*f),
	}
	if lora != nil {
		a.xa = map[string][]float32{}
		for _, t := range lora.Targets {
			a.xa[t] = make([]float32, n*lora.Rank)
		}
	}
	return a
}

// TrainForward runs the model over whole sequences and scores, for every
// sequence i, its tokens from position from[i] on (from[i] ≥ 1: the prompt
// is context, the response is scored). Sequences may have different
// lengths; each attends only to itself.
func (m *Model) TrainForward(seqs [][]int, from []int, opt TrainOptions) (*Tape, error) {
	if err := m.checkTrainInput(seqs, from, opt); err != nil {
		return nil, err
	}
	t := &Tape{m: m, opt: opt, Logp: make([][]float64, len(seqs)), Entropy: make([][]float64, len(seqs))}
	for i, s := range seqs {
		n := len(s) - 1
		t.seqs = append(t.seqs, tapeSeq{start: len(t.tokens), n: n})
		for p := range n {
			if p+1 >= from[i] && !t.skipped(i, p+1-from[i]) {
				t.scored = append(t.scored, len(t.tokens))
				t.targets = append(t.targets, s[p+1])
			}
			t.tokens = append(t.tokens, s[p])
		}
	}
	t.ropeTables()
	t.forward()
	lp, ent := t.headForward()
	k := 0
	for i, s := range seqs {
		n := len(s) - from[i]
		t.Logp[i], t.Entropy[i] = make([]float64, n), make([]float64, n)
		for j := range n {
			if !t.skipped(i, j) {
				t.Logp[i][j], t.Entropy[i][j] = lp[k], ent[k]
				k++
			}
		}
	}
	return t, nil
}

// skipped reports whether scored token j of sequence i is left out.
func (t *Tape) skipped(i, j int) bool {
	return t.opt.Skip != nil && t.opt.Skip[i] != nil && t.opt.Skip[i][j]
}

func (m *Model) checkTrainInput(seqs [][]int, from []int, opt TrainOptions) error {
	if m.DType() != F32 {
		return fmt.Errorf("train forward: the model keeps its weights in %s, which is for inference only; load it with dtype f32 to train", m.DType())
	}
	if len(from) != len(seqs) {
		return fmt.Errorf("train forward: %d sequences but %d start positions", len(seqs), len(from))
	}
	if !(opt.Temperature > 0) || math.IsInf(opt.Temperature, 0) {
		return fmt.Errorf("train forward: temperature %g: want a finite value > 0", opt.Temperature)
	}
	if opt.Skip != nil && len(opt.Skip) != len(seqs) {
		return fmt.Errorf("train forward: %d sequences but %d skip lists", len(seqs), len(opt.Skip))
	}
	for i, s := range seqs {
		if from[i] < 1 || from[i] > len(s) {
			return fmt.Errorf("train forward: sequence %d: start %d outside [1, %d]", i, from[i], len(s))
		}
		if opt.Skip != nil && opt.Skip[i] != nil && len(opt.Skip[i]) != len(s)-from[i] {
			return fmt.Errorf("train forward: sequence %d: %d skip flags for %d scored tokens", i, len(opt.Skip[i]), len(s)-from[i])
		}
		for j, tok := range s {
			if tok < 0 || tok >= m.Config.VocabSize {
				return fmt.Errorf("train forward: sequence %d, token %d: id %d outside the vocabulary [0, %d)", i, j, tok, m.Config.VocabSize)
			}
		}
	}
	if opt.LoRA != nil {
		return opt.LoRA.check(&m.Config)
	}
	return nil
}

// check reports whether l's adapters fit the model shape c.
func (l *LoRA) check(c *Config) error {
	if len(l.Layers) != c.NumLayers {
		return fmt.Errorf("lora: %d layers of adapters for a model of %d layers", len(l.Layers), c.NumLayers)
	}
	for i, layer := range l.Layers {
		for _, t := range l.Targets {
			out, in := linearShape(c, t)
			a := layer[t]
			if a == nil || len(a.A) != l.Rank*in || len(a.B) != out*l.Rank {
				return fmt.Errorf("lora: layer %d %s: adapter does not fit [%d][%d] at rank %d", i, t, out, in, l.Rank)
			}
		}
	}
	return nil
}

func (t *Tape) ropeTables() {
	hd := t.m.Config.HeadDim
	half := hd / 2
	n := len(t.tokens)
	t.cos, t.sin, t.negSin = make([]float32, n*half), make([]float32, n*half), make([]float32, n*half)
	for _, s := range t.seqs {
		for p := range s.n {
			r := s.start + p
			tensor.RopeAngles(t.cos[r*half:(r+1)*half], t.sin[r*half:(r+1)*half], p, hd, t.m.Config.RopeTheta)
		}
	}
	for i, v := range t.sin {
		t.negSin[i] = -v
	}
}

// forward embeds the tokens and runs every layer, keeping each layer's
// activations (or, with Recompute, only its input).
func (t *Tape) forward() {
	c := &t.m.Config
	h, n := c.HiddenSize, len(t.tokens)
	x := make([]float32, n*h)
	for r, tok := range t.tokens {
		copy(x[r*h:(r+1)*h], t.m.Embed[tok*h:(tok+1)*h])
	}
	t.acts = make([]*layerActs, c.NumLayers)
	var work *layerActs
	for l := range t.acts {
		a := work
		if a == nil {
			a = newLayerActs(c, n, t.opt.LoRA)
		}
		copy(a.x, x)
		t.layerForward(l, a, x)
		if t.opt.Recompute {
			t.acts[l] = &layerActs{x: a.x}
			a.x = make([]float32, n*h)
			work = a
		} else {
			t.acts[l] = a
		}
	}
	t.last = x
}

// layerForward runs decoder layer l on a.x, filling a, and writes the layer's
// output to out.
func (t *Tape) layerForward(l int, a *layerActs, out []float32) {
	c, w := &t.m.Config, &t.m.Layers[l]
	n := len(t.tokens)
	rmsNormTrain(a.n1, a.rstd1, a.x, w.AttnNorm, c.RMSNormEps)
	projectAll(a.n1, n, a.xa, []proj{t.proj(l, "q_proj"), t.proj(l, "k_proj"), t.proj(l, "v_proj")}, a.q, a.k, a.v)
	t.rope(a.q, c.NumHeads, t.sin)
	t.rope(a.k, c.NumKVHeads, t.sin)
	t.attentionForward(a)
	projectAll(a.att, n, a.xa, []proj{t.proj(l, "o_proj")}, a.x2)
	tensor.Add(a.x2, a.x)
	rmsNormTrain(a.n2, a.rstd2, a.x2, w.MLPNorm, c.RMSNormEps)
	projectAll(a.n2, n, a.xa, []proj{t.proj(l, "gate_proj"), t.proj(l, "up_proj")}, a.gate, a.up)
	tensor.SwiGLU(a.act, a.gate, a.up)
	projectAll(a.act, n, a.xa, []proj{t.proj(l, "down_proj")}, out)
	tensor.Add(out, a.x2)
}

// rope rotates every head of every row of x (heads·headDim wide) by its
// row's angles; with the sines negated it undoes the rotation, which is
// its backward.
func (t *Tape) rope(x []float32, heads int, sin []float32) {
	hd := t.m.Config.HeadDim
	half, width := hd/2, heads*hd
	tensor.Parallel(len(t.tokens), 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			cos, sin := t.cos[r*half:(r+1)*half], sin[r*half:(r+1)*half]
			for h := range heads {
				tensor.Rope(x[r*width+h*hd:r*width+(h+1)*hd], cos, sin)
			}
		}
	})
}

// rmsNormTrain normalises each row of x into out, keeping the reciprocal
// RMS of each row for the backward.
func rmsNormTrain(out, rstd, x, w []float32, eps float64) {
	h := len(w)
	tensor.Parallel(len(rstd), 16, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			rstd[r] = tensor.RMSNorm(out[r*h:(r+1)*h], x[r*h:(r+1)*h], w, float32(eps))
		}
	})
}
