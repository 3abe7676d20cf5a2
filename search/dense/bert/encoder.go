package bert

import (
	"context"
	"fmt"
	"path/filepath"

	"research/search/dense"
	"research/search/dense/wordpiece"
)

// Pooling says how token states become one vector.
type Pooling string

// The poolings of the common retrievers.
const (
	Mean Pooling = "mean" // average over tokens: E5, GTE
	CLS  Pooling = "cls"  // the [CLS] state: DPR, BGE
)

// Options configure an Encoder.
type Options struct {
	Pooling   Pooling // default Mean
	Normalize bool    // L2-normalise the pooled vectors
	MaxLen    int     // tokens per text including [CLS] and [SEP]; 0: max_position_embeddings
	// BatchTokens bounds the tokens in one forward pass (activation memory is
	// about 4·(4·hidden + intermediate) bytes per token); 0: 8192.
	BatchTokens int
}

// Encoder embeds texts with a BERT model and its WordPiece tokenizer.
// It is safe for concurrent use.
type Encoder struct {
	Model *Model
	Tok   *wordpiece.Tokenizer
	opt   Options
}

// Open loads dir/config.json, dir/model.safetensors and dir/tokenizer.json.
func Open(dir string, opt Options) (*Encoder, error) {
	switch opt.Pooling {
	case "":
		opt.Pooling = Mean
	case Mean, CLS:
	default:
		return nil, fmt.Errorf("bert: pooling %q, want %q or %q", opt.Pooling, Mean, CLS)
	}
	m, err := Load(dir)
	if err != nil {
		return nil, err
	}
	tok, err := wordpiece.Load(filepath.Join(dir, "tokenizer.json"))
	if err != nil {
		m.Close()
		return nil, err
	}
	if n := tok.VocabSize(); n > m.VocabSize {
		m.Close()
		return nil, fmt.Errorf("bert: %s: tokenizer has %d ids, the model only %d", dir, n, m.VocabSize)
	}
	if opt.MaxLen <= 0 || opt.MaxLen > m.MaxPositionEmbeddings {
		opt.MaxLen = m.MaxPositionEmbeddings
	}
	if opt.BatchTokens <= 0 {
		opt.BatchTokens = 8192
	}
	return &Encoder{Model: m, Tok: tok, opt: opt}, nil
}

// Close releases the model.
func (e *Encoder) Close() error { return e.Model.Close() }

// Dim is the length of the vectors.
func (e *Encoder) Dim() int { return e.Model.HiddenSize }

// Encode tokenizes and embeds texts, in order.
func (e *Encoder) Encode(ctx context.Context, texts []string) ([][]float32, error) {
	seqs := make([][]int, len(texts))
	for i, t := range texts {
		seqs[i] = e.Tok.Encode(t, e.opt.MaxLen)
	}
	out := make([][]float32, 0, len(texts))
	for lo := 0; lo < len(seqs); {
		hi, tokens := lo, 0
		for hi < len(seqs) && (hi == lo || tokens+len(seqs[hi]) <= e.opt.BatchTokens) {
			tokens += len(seqs[hi])
			hi++
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		vecs, err := e.EmbedIDs(seqs[lo:hi])
		if err != nil {
			return nil, err
		}
		out = append(out, vecs...)
		lo = hi
	}
	return out, nil
}

// EmbedIDs runs the model on token ids and pools each sequence.
func (e *Encoder) EmbedIDs(seqs [][]int) ([][]float32, error) {
	hidden, start, err := e.Model.Forward(seqs)
	if err != nil {
		return nil, err
	}
	return Pool(hidden, start, e.Model.HiddenSize, e.opt.Pooling, e.opt.Normalize), nil
}

// Pool reduces the packed hidden states of Forward to one vector per
// sequence, L2-normalised if normalize is set.
func Pool(hidden []float32, start []int, h int, p Pooling, normalize bool) [][]float32 {
	out := make([][]float32, len(start)-1)
	for i := range out {
		v := make([]float32, h)
		rows := hidden[start[i]*h : start[i+1]*h]
		if p == CLS {
			copy(v, rows[:h])
		} else {
			acc := make([]float64, h)
			for r := 0; r < len(rows); r += h {
				for j := range acc {
					acc[j] += float64(rows[r+j])
				}
			}
			n := float64(start[i+1] - start[i])
			for j := range v {
				v[j] = float32(acc[j] / n)
			}
		}
		if normalize {
			dense.L2Normalize(v)
		}
		out[i] = v
	}
	return out
}
