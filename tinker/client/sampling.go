package client

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync/atomic"

	"research/tinker"
)

// SamplingClient samples from one set of weights: a sampling session on a
// tinker:// sampler checkpoint or on the base model.
type SamplingClient struct {
	c  *Client
	ID string // sampling_session_id
	// seq numbers the session's samples 0, 1, 2, … (the SDK's seq_id).
	seq atomic.Int64
}

// CreateSamplingClient opens a sampling session on modelPath (a tinker://
// path from SaveWeightsForSampler) or, when it is empty, on baseModel.
func (c *Client) CreateSamplingClient(ctx context.Context, modelPath, baseModel string) (*SamplingClient, error) {
	if modelPath == "" && baseModel == "" {
		return nil, fmt.Errorf("tinker: create_sampling_session: want a model_path or a base_model")
	}
	c.mu.Lock()
	seq := c.samplingSeq
	c.samplingSeq++
	c.mu.Unlock()
	req := tinker.CreateSamplingSessionRequest{SessionID: c.SessionID, SamplingSessionSeqID: int64(seq), Type: "create_sampling_session"}
	if modelPath != "" {
		req.ModelPath = modelPath
	} else {
		req.BaseModel = baseModel
	}
	var out tinker.CreateSamplingSessionResponse
	if err := c.postJSON(ctx, "create_sampling_session", req, &out); err != nil {
		return nil, err
	}
	if out.SamplingSessionID == "" {
		return nil, &APIError{Route: "create_sampling_session", Status: 200, Detail: "sampling_session_id: missing from the answer"}
	}
	return &SamplingClient{c: c, ID: out.SamplingSessionID}, nil
}

// Sample draws n continuations of prompt. With promptLogprobs the result
// carries the prompt's logprobs too (NaN where there is none: the first
// token).
func (s *SamplingClient) Sample(ctx context.Context, prompt []int, n int, p tinker.SamplingParams, promptLogprobs bool) (*tinker.SampleResponse, error) {
	if len(prompt) == 0 {
		return nil, fmt.Errorf("tinker: asample: prompt: no tokens")
	}
	if n < 1 {
		return nil, fmt.Errorf("tinker: asample: num_samples %d: want ≥ 1", n)
	}
	seq := s.seq.Add(1) - 1
	req := tinker.SampleRequest{NumSamples: n, Prompt: tinker.TextInput(prompt), SamplingParams: p,
		SamplingSessionID: s.ID, SeqID: &seq, PromptLogprobs: promptLogprobs, Type: "sample"}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("tinker: asample: %w", err)
	}
	r := request{body: body, headers: map[string]string{"X-Tinker-Sampling-Backpressure": "1"}}
	f, err := s.c.submit(ctx, "asample", "Sample", r, true)
	if err != nil {
		return nil, err
	}
	a, err := s.c.result(ctx, f)
	if err != nil {
		return nil, err
	}
	var out tinker.SampleResponse
	if strings.HasPrefix(strings.ToLower(a.contentType), tinker.ProtoContentType) {
		if out, err = tinker.DecodeSampleResponse(a.body); err != nil {
			return nil, &APIError{Route: "retrieve_future", Status: a.status, Detail: fmt.Sprintf("result of asample request %s: %v", f.requestID, err)}
		}
	} else if out, err = decodeSampleJSON(a.body); err != nil {
		return nil, &APIError{Route: "retrieve_future", Status: a.status, Detail: fmt.Sprintf("result of asample request %s: %v", f.requestID, err)}
	}
	if len(out.Sequences) != n {
		return nil, &APIError{Route: "retrieve_future", Status: a.status, Detail: fmt.Sprintf("result of asample request %s: %d sequences for num_samples %d", f.requestID, len(out.Sequences), n)}
	}
	if promptLogprobs && len(out.PromptLogprobs) != len(prompt) {
		return nil, &APIError{Route: "retrieve_future", Status: a.status, Detail: fmt.Sprintf("result of asample request %s: prompt_logprobs holds %d values for %d prompt tokens", f.requestID, len(out.PromptLogprobs), len(prompt))}
	}
	return &out, nil
}

// ComputeLogprobs returns the logprob of each prompt token after the ones
// before it under the session's weights (NaN for the first), as the SDK's
// compute_logprobs does: a one-token sample with prompt logprobs.
func (s *SamplingClient) ComputeLogprobs(ctx context.Context, prompt []int) ([]float64, error) {
	one := 1
	res, err := s.Sample(ctx, prompt, 1, tinker.SamplingParams{MaxTokens: &one, Temperature: 1, TopK: -1, TopP: 1}, true)
	if err != nil {
		return nil, err
	}
	out := make([]float64, len(res.PromptLogprobs))
	for i, v := range res.PromptLogprobs {
		out[i] = float64(v)
	}
	return out, nil
}

// decodeSampleJSON reads the JSON SampleResponse of SDK ≤ 0.24: sequences
// with tokens, logprobs (or null) and stop_reason; prompt_logprobs with
// null where there is none.
func decodeSampleJSON(body []byte) (tinker.SampleResponse, error) {
	var raw struct {
		Sequences []struct {
			Tokens     []int      `json:"tokens"`
			Logprobs   []*float64 `json:"logprobs"`
			StopReason string     `json:"stop_reason"`
		} `json:"sequences"`
		PromptLogprobs []*float64 `json:"prompt_logprobs"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return tinker.SampleResponse{}, err
	}
	f32 := func(v []*float64) []float32 {
		if v == nil {
			return nil
		}
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(math.NaN())
			if x != nil {
				out[i] = float32(*x)
			}
		}
		return out
	}
	var out tinker.SampleResponse
	for i, s := range raw.Sequences {
		switch s.StopReason {
		case tinker.StopReasonStop, tinker.StopReasonLength:
		default:
			return out, fmt.Errorf("sequences[%d].stop_reason: %q: want %q or %q", i, s.StopReason, tinker.StopReasonStop, tinker.StopReasonLength)
		}
		if s.Logprobs != nil && len(s.Logprobs) != len(s.Tokens) {
			return out, fmt.Errorf("sequences[%d]: %d logprobs for %d tokens", i, len(s.Logprobs), len(s.Tokens))
		}
		out.Sequences = append(out.Sequences, tinker.SampledSequence{Tokens: s.Tokens, Logprobs: f32(s.Logprobs), StopReason: s.StopReason})
	}
	out.PromptLogprobs = f32(raw.PromptLogprobs)
	return out, nil
}
