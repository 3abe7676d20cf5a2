package model

import (
	"fmt"
	"strings"

	"research/safetensors"
	"research/tensor"
)

// DType is how a model keeps its weight matrices in memory: the q, k, v and
// o projections, the MLP's, the embedding and the LM head. Norm weights and
// biases stay float32 either way, and so do activations, the KV cache and
// every accumulation.
type DType string

const (
	// F32 keeps every weight in float32: the one dtype that trains.
	F32 DType = "f32"
	// BF16 keeps the weight matrices as bfloat16 bits, for inference only:
	// a decode step streams half the bytes, and the kernels widen each
	// weight exactly and accumulate in float32 in the F32 kernels' order,
	// so a BF16 model's logits have the bits of the F32 model whose weights
	// are the same bfloat16 values.
	BF16 DType = "bf16"
)

// ParseDType reads a dtype as flags and config files give it: f32 (or
// float32, or empty) and bf16 (or bfloat16), in any case.
func ParseDType(s string) (DType, error) {
	switch strings.ToLower(s) {
	case "", "f32", "float32":
		return F32, nil
	case "bf16", "bfloat16":
		return BF16, nil
	}
	return "", fmt.Errorf("dtype %q: want f32 or bf16", s)
}

// DType reports how m keeps its weight matrices.
func (m *Model) DType() DType {
	if m.EmbedBF16 != nil {
		return BF16
	}
	return F32
}

// LoadAs reads a model as Load does, keeping its weight matrices in dtype.
// With BF16, a BF16 safetensors checkpoint (as HF ships Qwen2.5) is copied
// from its mapping into the kernels' layout (tensor.BF16Matrix), with no
// round trip through float32; F32 and F16 checkpoints and GGUF files are
// rounded to the nearest bfloat16 (ties to even) as they are read.
func LoadAs(path string, dtype DType) (*Model, error) {
	if dtype != F32 && dtype != BF16 {
		return nil, fmt.Errorf("load %s: dtype %q: want f32 or bf16", path, dtype)
	}
	if strings.HasSuffix(path, ".gguf") {
		return loadGGUF(path, dtype)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		return nil, err
	}
	ckpt, err := OpenCheckpoint(path)
	if err != nil {
		return nil, err
	}
	return fill(cfg, ckpt, dtype)
}

// bf16Source is a tensorSource that reads bfloat16 itself (a safetensors
// checkpoint, which can alias BF16 tensors in place).
type bf16Source interface {
	TensorBF16(name string, shape ...int) ([]uint16, error)
}

// tensorBF16 reads the named weight matrix from src as bfloat16, in the
// kernels' layout: from its bfloat16 bits where src has them, else read as
// float32 and rounded.
func tensorBF16(src tensorSource, name string, shape ...int) (*tensor.BF16Matrix, error) {
	var b []uint16
	if s, ok := src.(bf16Source); ok {
		var err error
		if b, err = s.TensorBF16(name, shape...); err != nil {
			return nil, err
		}
	} else {
		f, err := src.Tensor(name, shape...)
		if err != nil {
			return nil, err
		}
		b = roundBF16(f)
	}
	return tensor.LayoutBF16(b, shape[0], shape[1]), nil
}

// roundBF16 returns f rounded to bfloat16, nearest, ties to even.
func roundBF16(f []float32) []uint16 {
	b := make([]uint16, len(f))
	for i, v := range f {
		b[i] = safetensors.F32ToBF16(v)
	}
	return b
}

// ToBF16 switches m to BF16 in place (see BF16): its weight matrices are
// rounded to the nearest bfloat16 (ties to even) and the float32 copies
// dropped. A model already in BF16 is left as it is.
func (m *Model) ToBF16() {
	if m.DType() == BF16 {
		return
	}
	for _, r := range m.tensors() {
		if r.bf16 != nil {
			*r.bf16 = tensor.LayoutBF16(roundBF16(*r.dst), r.shape[0], r.shape[1])
			*r.dst = nil
		}
	}
	if m.Config.TieWordEmbeddings {
		m.LMHead, m.LMHeadBF16 = nil, m.EmbedBF16
	}
}

// weights returns the float32 data of r, widened from bfloat16 where m
// keeps r in BF16 (for Save).
func (r tensorRef) weights() []float32 {
	if r.bf16 != nil && *r.bf16 != nil {
		b := (*r.bf16).Bits()
		f := make([]float32, len(b))
		tensor.WidenBF16(f, b)
		return f
	}
	return *r.dst
}
