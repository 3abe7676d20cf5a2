// Package remote is a dense.Encoder that calls any OpenAI-compatible
// /v1/embeddings endpoint (TEI, vLLM, Ollama, Infinity, OpenAI) through the
// openai-go client, in batches, retrying transient failures.
package remote

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"research/search/dense"
)

// Config configures an Encoder.
type Config struct {
	BaseURL    string // e.g. http://127.0.0.1:8080/v1
	Model      string
	APIKey     string
	BatchSize  int           // texts per request; default 64
	MaxRetries int           // extra attempts per request, with backoff, on 408/409/429/5xx and connection errors
	Timeout    time.Duration // per attempt; default 60s
	Normalize  bool          // L2-normalise what the server returns
}

// Encoder embeds texts on a remote server. It is safe for concurrent use.
type Encoder struct {
	cfg    Config
	client openai.Client
}

// New checks cfg and returns an Encoder; it does not contact the server.
func New(cfg Config) (*Encoder, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("remote encoder: no base URL")
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 64
	}
	if cfg.MaxRetries < 0 {
		return nil, fmt.Errorf("remote encoder: max retries %d, want >= 0", cfg.MaxRetries)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.APIKey == "" {
		cfg.APIKey = "none" // local servers ignore it; the client insists on one
	}
	c := openai.NewClient(
		option.WithBaseURL(cfg.BaseURL),
		option.WithAPIKey(cfg.APIKey),
		option.WithMaxRetries(cfg.MaxRetries),
		option.WithRequestTimeout(cfg.Timeout),
	)
	return &Encoder{cfg: cfg, client: c}, nil
}

// Encode embeds texts, BatchSize per request, in order.
func (e *Encoder) Encode(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, 0, len(texts))
	for lo := 0; lo < len(texts); lo += e.cfg.BatchSize {
		hi := min(len(texts), lo+e.cfg.BatchSize)
		vecs, err := e.request(ctx, texts[lo:hi])
		if err != nil {
			return nil, fmt.Errorf("%s/embeddings (texts %d..%d): %w", e.cfg.BaseURL, lo, hi-1, err)
		}
		out = append(out, vecs...)
	}
	return out, nil
}

func (e *Encoder) request(ctx context.Context, texts []string) ([][]float32, error) {
	res, err := e.client.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: texts},
		Model:          openai.EmbeddingModel(e.cfg.Model),
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatFloat,
	})
	if err != nil {
		return nil, err
	}
	if len(res.Data) != len(texts) {
		return nil, fmt.Errorf("server returned %d embeddings for %d texts", len(res.Data), len(texts))
	}
	out := make([][]float32, len(texts))
	dim := -1
	for _, d := range res.Data {
		i := int(d.Index)
		if i < 0 || i >= len(texts) || out[i] != nil {
			return nil, fmt.Errorf("server returned index %d twice or out of range", d.Index)
		}
		if dim < 0 {
			dim = len(d.Embedding)
		}
		if len(d.Embedding) != dim || dim == 0 {
			return nil, fmt.Errorf("server returned embeddings of lengths %d and %d", dim, len(d.Embedding))
		}
		v := make([]float32, dim)
		for j, x := range d.Embedding {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("embedding %d has a non-finite value", i)
			}
			v[j] = float32(x)
		}
		if e.cfg.Normalize {
			dense.L2Normalize(v)
		}
		out[i] = v
	}
	return out, nil
}
