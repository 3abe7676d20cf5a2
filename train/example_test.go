package train_test

import (
	"log"
	"math/rand/v2"

	"research/model"
	"research/train"
)

// An RL trainer's update: score each micro-batch, let the loss weigh every
// token's logprob and entropy (rl.Loss.Compute returns those weights as
// DLogp and DEntropy), take them back into gradients, and step once per
// mini-batch.
func Example() {
	m, err := model.Load("../model/testdata/tiny")
	if err != nil {
		log.Fatal(err)
	}
	cfg := train.DefaultConfig()
	cfg.Recompute = true // long rollouts: one layer's activations at a time
	e, err := train.New(m, nil, cfg)
	if err != nil {
		log.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	prompt, response := []int{3, 14, 15, 92}, []int{65, 35, 89, 79}
	batch := []train.Sequence{{Tokens: append(prompt, response...), From: len(prompt)}}
	for _, mb := range train.MicroBatches([]int{len(batch[0].Tokens)}, 4096) {
		var seqs []train.Sequence
		for _, i := range mb {
			seqs = append(seqs, batch[i])
		}
		pass, err := e.Score(seqs)
		if err != nil {
			log.Fatal(err)
		}
		// A REINFORCE-style token-mean loss −A·logp − 0.001·H, standing in
		// for rl.Loss.Compute over the pass's Logp and Entropy.
		dLogp, dEntropy := make([][]float64, len(seqs)), make([][]float64, len(seqs))
		for i := range seqs {
			adv, n := rng.NormFloat64(), float64(len(pass.Logp[i]))
			for range pass.Logp[i] {
				dLogp[i] = append(dLogp[i], -adv/n)
				dEntropy[i] = append(dEntropy[i], -0.001/n)
			}
		}
		if err := pass.Backward(dLogp, dEntropy); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := e.Step(); err != nil {
		log.Fatal(err)
	}
	if err := e.Save("checkpoint", nil); err != nil {
		log.Fatal(err)
	}
}
