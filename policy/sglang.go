package policy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"research/rollout"
)

// SGLangConfig configures a policy on SGLang's native POST /generate.
type SGLangConfig struct {
	URL         string // the server root, e.g. http://127.0.0.1:30000
	APIKey      string
	Temperature float64
	TopP        float64 // 0 means 1
	Timeout     time.Duration
}

// SGLang is a rollout.Policy on SGLang's native /generate endpoint. It
// sends token ids and keeps the ids SGLang sampled (output_token_logprobs),
// so nothing is re-tokenized.
type SGLang struct {
	cfg    SGLangConfig
	client *http.Client
}

// NewSGLang returns a policy for the server at cfg.URL.
func NewSGLang(cfg SGLangConfig) (*SGLang, error) {
	if cfg.URL == "" {
		return nil, fmt.Errorf("policy: an SGLang policy needs the server URL")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Minute
	}
	if cfg.TopP == 0 {
		cfg.TopP = 1
	}
	return &SGLang{cfg: cfg, client: &http.Client{Timeout: cfg.Timeout}}, nil
}

type sglangRequest struct {
	InputIDs       []int          `json:"input_ids"`
	SamplingParams map[string]any `json:"sampling_params"`
	ReturnLogprob  bool           `json:"return_logprob"`
}

type sglangResponse struct {
	Text     string `json:"text"`
	MetaInfo struct {
		FinishReason struct {
			Type    string `json:"type"`
			Matched any    `json:"matched"` // the stop string, or the stop token id
		} `json:"finish_reason"`
		// Each entry is [logprob, token id, token text or null].
		OutputTokenLogprobs [][]any `json:"output_token_logprobs"`
	} `json:"meta_info"`
}

// Generate implements rollout.Policy.
func (p *SGLang) Generate(ctx context.Context, req rollout.Request) (rollout.Completion, error) {
	body, err := json.Marshal(sglangRequest{
		InputIDs: req.Tokens,
		SamplingParams: map[string]any{
			"max_new_tokens":      req.MaxTokens,
			"temperature":         p.cfg.Temperature,
			"top_p":               p.cfg.TopP,
			"stop":                req.StopStrings,
			"stop_token_ids":      req.StopIDs,
			"skip_special_tokens": false,
			"no_stop_trim":        true,
		},
		ReturnLogprob: true,
	})
	if err != nil {
		return rollout.Completion{}, fmt.Errorf("policy: %w", err)
	}
	url := strings.TrimSuffix(p.cfg.URL, "/") + "/generate"
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return rollout.Completion{}, fmt.Errorf("policy: %w", err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	if p.cfg.APIKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+p.cfg.APIKey)
	}
	resp, err := p.client.Do(hreq)
	if err != nil {
		return rollout.Completion{}, fmt.Errorf("policy: %s: %w", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return rollout.Completion{}, fmt.Errorf("policy: %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return rollout.Completion{}, fmt.Errorf("policy: %s: %s: %.200s", url, resp.Status, data)
	}
	var out sglangResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return rollout.Completion{}, fmt.Errorf("policy: %s: malformed answer: %w", url, err)
	}
	return out.completion(req)
}

func (r *sglangResponse) completion(req rollout.Request) (rollout.Completion, error) {
	c := rollout.Completion{StopID: -1, Finish: rollout.FinishLength}
	for i, entry := range r.MetaInfo.OutputTokenLogprobs {
		if len(entry) < 2 {
			return c, fmt.Errorf("policy: SGLang output_token_logprobs[%d] is not [logprob, id, …]", i)
		}
		lp, ok1 := entry[0].(float64)
		id, ok2 := entry[1].(float64)
		if !ok1 || !ok2 {
			return c, fmt.Errorf("policy: SGLang output_token_logprobs[%d] is not [logprob, id, …]", i)
		}
		c.Tokens = append(c.Tokens, int(id))
		c.Logprobs = append(c.Logprobs, lp)
	}
	if r.MetaInfo.OutputTokenLogprobs == nil && r.Text != "" {
		return c, fmt.Errorf("policy: SGLang answered without output_token_logprobs; is return_logprob supported?")
	}
	switch fr := r.MetaInfo.FinishReason; fr.Type {
	case "length":
	case "stop":
		c.Finish = rollout.FinishStop
		switch m := fr.Matched.(type) {
		case string:
			c.StopString = m
		case float64:
			c.StopID = int(m)
		default: // EOS of the model
			if n := len(c.Tokens); n > 0 {
				c.StopID = c.Tokens[n-1]
			}
		}
	default:
		return c, fmt.Errorf("policy: SGLang finish reason %q", fr.Type)
	}
	if len(c.Tokens) > req.MaxTokens {
		return c, fmt.Errorf("policy: SGLang returned %d tokens for max_new_tokens %d", len(c.Tokens), req.MaxTokens)
	}
	return c, nil
}
