// Package train turns the model's training pass into optimisation steps:
// an Engine scores batches of sequences (per-token logprobs and entropies),
// takes the loss's weights on them back into parameter gradients,
// accumulates those over micro-batches, and steps AdamW with global
// grad-norm clipping and a learning-rate schedule; it saves and resumes
// checkpoints (weights, optimizer state, RNG state, step) atomically.
package train
