package rl

import (
	"fmt"
	"math"
)

// Aggregation says how per-token losses become one number.
type Aggregation string

const (
	// TokenMean averages over every loss token of the mini-batch, so long
	// responses weigh more (veRL's default, the paper's).
	TokenMean Aggregation = "token-mean"
	// SeqMeanTokenMean averages within each sequence, then over sequences.
	SeqMeanTokenMean Aggregation = "seq-mean-token-mean"
	// SeqMeanTokenSumNorm sums each sequence's token losses and divides by
	// a constant (Dr. GRPO): Σ loss / (sequences · NormTokens), free of the
	// length bias of per-sequence means.
	SeqMeanTokenSumNorm Aggregation = "seq-mean-token-sum-norm"
)

// ParseAggregation accepts the aggregation names of a config.
func ParseAggregation(s string) (Aggregation, error) {
	switch a := Aggregation(s); a {
	case TokenMean, SeqMeanTokenMean, SeqMeanTokenSumNorm:
		return a, nil
	}
	return "", fmt.Errorf("unknown loss aggregation %q (want %s, %s or %s)", s, TokenMean, SeqMeanTokenMean, SeqMeanTokenSumNorm)
}

// Loss configures the policy loss:
//
//	L = agg(max(−A·ρ, −A·clip(ρ, 1−ε_low, 1+ε_high))) + β·agg(KL) − η·agg(H)
//
// with ρ = exp(logp − old logp), KL an estimator against the reference
// policy and H the entropy of the policy at each token.
type Loss struct {
	ClipLow, ClipHigh float64 // ε_low, ε_high: 0.2 and 0.2 in the paper
	KL                KLEstimator
	KLCoef            float64 // β, 0.001
	EntropyCoef       float64 // η, 0.001
	Aggregation       Aggregation
	NormTokens        int // the constant of SeqMeanTokenSumNorm, e.g. the response budget
}

// PaperLoss is the ReSearch recipe.
func PaperLoss() Loss {
	return Loss{ClipLow: 0.2, ClipHigh: 0.2, KL: K3, KLCoef: 0.001, EntropyCoef: 0.001, Aggregation: TokenMean}
}

// Sequence is one response's per-token inputs to the loss; all slices have
// one entry per response token.
type Sequence struct {
	Advantage float64
	// Advantages, when set, holds one advantage per token instead
	// (a per-token reward shaping, or a training backend's per-token
	// inputs).
	Advantages []float64
	Mask       []float64 // 1 where the loss applies (policy tokens), 0 on inserted results
	OldLogp    []float64 // at sampling time (or recomputed before the update)
	RefLogp    []float64 // under the frozen reference; unused when KL is none
	Logp       []float64 // under the policy being trained
	Entropy    []float64 // of the policy's distribution at each token
}

// Result is the loss of a mini-batch, its gradient with respect to each
// token's logp and entropy (same shapes as the inputs), and diagnostics,
// each aggregated like the loss except where noted.
type Result struct {
	Loss     float64
	DLogp    [][]float64
	DEntropy [][]float64

	PGLoss   float64
	KL       float64
	Entropy  float64
	ClipFrac float64 // token-mean fraction of tokens where the clipped term is taken
	PPOKL    float64 // token-mean of old logp − logp
}

// Compute evaluates the loss over a mini-batch of sequences.
func (l Loss) Compute(batch []Sequence) (Result, error) {
	weights, err := l.weights(batch)
	if err != nil {
		return Result{}, err
	}
	var r Result
	var maskSum float64
	r.DLogp = make([][]float64, len(batch))
	r.DEntropy = make([][]float64, len(batch))
	for i, s := range batch {
		r.DLogp[i] = make([]float64, len(s.Mask))
		r.DEntropy[i] = make([]float64, len(s.Mask))
		w := weights[i]
		for t, m := range s.Mask {
			if m == 0 {
				continue
			}
			adv := s.Advantage
			if s.Advantages != nil {
				adv = s.Advantages[t]
			}
			pg, dpg, clipped := l.surrogate(adv, s.Logp[t], s.OldLogp[t])
			var kl, dkl float64
			if l.KL != KLNone {
				kl, dkl = l.KL.Value(s.Logp[t], s.RefLogp[t])
			}
			wt := w * m
			r.PGLoss += wt * pg
			r.KL += wt * kl
			r.Entropy += wt * s.Entropy[t]
			r.DLogp[i][t] = wt * (dpg + l.KLCoef*dkl)
			r.DEntropy[i][t] = -wt * l.EntropyCoef
			maskSum += m
			if clipped {
				r.ClipFrac += m
			}
			r.PPOKL += m * (s.OldLogp[t] - s.Logp[t])
		}
	}
	r.ClipFrac /= maskSum
	r.PPOKL /= maskSum
	r.Loss = r.PGLoss + l.KLCoef*r.KL - l.EntropyCoef*r.Entropy
	return r, nil
}

// surrogate is the clipped objective of one token, its derivative with
// respect to logp, and whether the clipped term was the larger. On a tie
// the gradient is the same either way: inside the clip range both terms
// are −A·ρ.
func (l Loss) surrogate(adv, logp, old float64) (loss, dLogp float64, clipped bool) {
	ratio := math.Exp(logp - old)
	unclipped := -adv * ratio
	lo, hi := 1-l.ClipLow, 1+l.ClipHigh
	c := math.Max(lo, math.Min(hi, ratio))
	clippedLoss := -adv * c
	if clippedLoss > unclipped {
		// The clamp passes no gradient outside [lo, hi].
		if ratio < lo || ratio > hi {
			return clippedLoss, 0, true
		}
		return clippedLoss, -adv * ratio, true
	}
	return unclipped, -adv * ratio, false
}

// weights returns each sequence's weight per loss token under the
// aggregation, after checking shapes.
func (l Loss) weights(batch []Sequence) ([]float64, error) {
	masks := make([][]float64, len(batch))
	for i, s := range batch {
		n := len(s.Mask)
		if len(s.OldLogp) != n || len(s.Logp) != n || len(s.Entropy) != n || (l.KL != KLNone && len(s.RefLogp) != n) ||
			(s.Advantages != nil && len(s.Advantages) != n) {
			return nil, fmt.Errorf("rl: sequence %d: per-token inputs of different lengths", i)
		}
		masks[i] = s.Mask
	}
	return l.SequenceWeights(masks)
}

// SequenceWeights returns, for a mini-batch of sequences with these loss
// masks, each sequence's weight per loss token under the aggregation: the
// aggregated loss is Σ_i w_i Σ_t mask_it·loss_it. A training service that
// sums its losses over tokens computes the aggregated loss's gradient when
// these weights (and a micro-batch's share) are folded into the
// advantages, its losses being linear in them.
func (l Loss) SequenceWeights(masks [][]float64) ([]float64, error) {
	var total float64
	counts := make([]float64, len(masks))
	for i, mask := range masks {
		for _, m := range mask {
			counts[i] += m
		}
		total += counts[i]
	}
	if total == 0 {
		return nil, fmt.Errorf("rl: the mini-batch has no loss tokens")
	}
	w := make([]float64, len(masks))
	seqs := float64(len(masks))
	for i := range masks {
		switch l.Aggregation {
		case TokenMean:
			w[i] = 1 / total
		case SeqMeanTokenMean:
			if counts[i] > 0 {
				w[i] = 1 / (seqs * counts[i])
			}
		case SeqMeanTokenSumNorm:
			if l.NormTokens <= 0 {
				return nil, fmt.Errorf("rl: %s needs NormTokens > 0", SeqMeanTokenSumNorm)
			}
			w[i] = 1 / (seqs * float64(l.NormTokens))
		default:
			return nil, fmt.Errorf("rl: unknown loss aggregation %q", l.Aggregation)
		}
	}
	return w, nil
}

// Share is the weight of a micro-batch's aggregated loss within its
// mini-batch, so that micro-batches accumulate to the mini-batch's loss:
// its share of the loss tokens under TokenMean, of the sequences otherwise.
func (a Aggregation) Share(microTokens, miniTokens float64, microSeqs, miniSeqs int) float64 {
	if a == TokenMean {
		return microTokens / miniTokens
	}
	return float64(microSeqs) / float64(miniSeqs)
}
