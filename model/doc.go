// Package model holds the Qwen2-family decoder: its HF config.json, its
// checkpoints (single-file or sharded safetensors, read and written through
// package safetensors; llama.cpp GGUF), and the forward pass with a
// per-sequence KV cache over a batch of sequences at different positions.
package model
