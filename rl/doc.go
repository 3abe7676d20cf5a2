// Package rl holds the reinforcement-learning math of the trainer:
// advantage estimators over groups of rollouts (GRPO, RLOO,
// REINFORCE++-baseline), KL estimators to a frozen reference (k1, k2, k3),
// and the clipped-surrogate policy loss with its entropy bonus and loss
// aggregations, each returning the gradient of the loss with respect to the
// per-token log-probabilities and entropies. The model's backward pass takes
// those gradients from there.
//
// The formulas follow veRL's core_algos (the ReSearch fork and later
// releases); tests check them against PyTorch autograd.
package rl
