// Package generate samples continuations for many token-id prompts at once
// from a model with a KV cache: greedy, temperature, top-k and top-p
// sampling with a seed; stops on token ids, on stop strings found
// incrementally in the decoded text, or on a per-sequence token budget.
//
// Every sampled token comes with its log-probability under the model's
// logits divided by the temperature (the full distribution, before top-k/
// top-p truncation), which is how a trainer scores the same token.
package generate
