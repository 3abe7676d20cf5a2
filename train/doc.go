// Package train turns the model's training pass into optimisation steps:
// an Engine scores batches of sequences (per-token logprobs and entropies),
// takes the loss's weights on them back into parameter gradients,
// accumulates those over micro-batches, and steps AdamW with global
// grad-norm clipping and a learning-rate schedule; it saves and resumes
// checkpoints (weights, optimizer state, RNG state, step) atomically.
//
// Three packages train: this one is the mechanics under the other two (an
// optimizer step on any per-token loss, no algorithm); rl/trainer is the
// GRPO loop, reinforcement learning with search; pretrain makes the
// synthetic world's base policy from scratch, as a language model.
package train
