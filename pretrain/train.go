package pretrain

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"

	"research/internal/progress"
	"research/model"
	"research/train"
)

// Options configure language-model training.
type Options struct {
	Epochs      int
	LR          float64 // peak; cosine decay to 10% after Warmup steps
	Warmup      int
	Constant    bool    // hold LR from the first step instead
	Beta2       float64 // AdamW's second-moment decay; 0 keeps train.DefaultConfig's
	BatchTokens int     // tokens per optimizer step
	Seed        uint64
	Log         io.Writer // one line per Report steps
	Report      int
	// Probe, when set, is logged every ProbeEvery steps: a measure of a
	// skill the loss hides.
	Probe      func() string
	ProbeEvery int
}

// Train fits m to the sequences with the next-token loss on their masked
// tokens (token mean per batch), AdamW and a cosine schedule. It returns
// the mean loss of each epoch.
func Train(m *model.Model, seqs []Sequence, opt Options) ([]float64, error) {
	batches := batchesOf(seqs, opt.BatchTokens)
	steps := opt.Epochs * len(batches)
	if steps == 0 {
		return nil, fmt.Errorf("pretrain: nothing to train on")
	}
	cfg := train.DefaultConfig()
	cfg.LR = opt.LR
	if opt.Beta2 != 0 {
		cfg.AdamW.Beta2 = opt.Beta2
	}
	cfg.Schedule = train.Schedule{Kind: train.Cosine, Warmup: min(opt.Warmup, steps-1), Total: steps, MinRatio: 0.1}
	if opt.Constant {
		cfg.Schedule = train.Schedule{Kind: train.Constant}
	}
	e, err := train.New(m, nil, cfg)
	if err != nil {
		return nil, err
	}
	var total int64
	for _, s := range seqs {
		total += int64(len(s.Tokens))
	}
	bar := progress.New(total*int64(opt.Epochs), "pretraining", "tokens")
	defer bar.Finish()
	rng := rand.New(rand.NewPCG(opt.Seed, 11))
	var losses []float64
	for epoch := 0; epoch < opt.Epochs; epoch++ {
		rng.Shuffle(len(batches), func(i, j int) { batches[i], batches[j] = batches[j], batches[i] })
		var sum, n float64
		for b, idx := range batches {
			loss, tokens, err := step(e, seqs, idx)
			if err != nil {
				return losses, fmt.Errorf("epoch %d batch %d: %w", epoch+1, b+1, err)
			}
			sum, n = sum+loss*tokens, n+tokens
			for _, i := range idx {
				bar.Add(len(seqs[i].Tokens))
			}
			if opt.Log != nil && opt.Report > 0 && (b+1)%opt.Report == 0 {
				fmt.Fprintf(opt.Log, "epoch %d step %d/%d: loss %.4f\n", epoch+1, b+1, len(batches), loss)
			}
			if opt.Log != nil && opt.Probe != nil && opt.ProbeEvery > 0 && (b+1)%opt.ProbeEvery == 0 {
				fmt.Fprintf(opt.Log, "epoch %d step %d/%d: %s\n", epoch+1, b+1, len(batches), opt.Probe())
			}
		}
		losses = append(losses, sum/n)
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, "epoch %d: mean loss %.4f\n", epoch+1, sum/n)
		}
	}
	return losses, nil
}

// step takes one optimizer step on a batch: loss = −Σ mask·logp / Σ mask.
func step(e *train.Engine, seqs []Sequence, idx []int) (loss, tokens float64, err error) {
	batch := make([]train.Sequence, len(idx))
	for k, i := range idx {
		skip := make([]bool, len(seqs[i].Mask))
		for j, w := range seqs[i].Mask {
			tokens += w
			skip[j] = w == 0
		}
		batch[k] = train.Sequence{Tokens: seqs[i].Tokens, From: seqs[i].From, Skip: skip}
	}
	if tokens == 0 {
		return 0, 0, nil
	}
	pass, err := e.Score(batch)
	if err != nil {
		return 0, 0, err
	}
	dLogp, dEnt := make([][]float64, len(idx)), make([][]float64, len(idx))
	for k, i := range idx {
		mask := seqs[i].Mask
		dLogp[k], dEnt[k] = make([]float64, len(mask)), make([]float64, len(mask))
		for j, w := range mask {
			dLogp[k][j] = -w / tokens
			loss -= w * pass.Logp[k][j] / tokens
		}
	}
	if err := pass.Backward(dLogp, dEnt); err != nil {
		return 0, 0, err
	}
	if _, err := e.Step(); err != nil {
		return 0, 0, err
	}
	return loss, tokens, nil
}

// batchesOf groups sequences of similar length into batches of at most
// budget tokens, so little compute goes to very different lengths.
func batchesOf(seqs []Sequence, budget int) [][]int {
	order := make([]int, len(seqs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(seqs[a].Tokens) - len(seqs[b].Tokens) })
	lens := make([]int, len(order))
	for k, i := range order {
		lens[k] = len(seqs[i].Tokens)
	}
	var out [][]int
	for _, g := range train.MicroBatches(lens, budget) {
		batch := make([]int, len(g))
		for k, j := range g {
			batch[k] = order[j]
		}
		out = append(out, batch)
	}
	return out
}
