// Package model holds the Qwen2-family decoder: its HF config.json, the
// safetensors checkpoint format (read and write; F32, F16 and BF16; single
// file or sharded; memory-mapped), and the forward pass with a per-sequence
// KV cache over a batch of sequences at different positions.
package model
