package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"research/rollout"
)

// OpenAIConfig configures an OpenAI-compatible completions policy.
type OpenAIConfig struct {
	BaseURL     string // e.g. http://127.0.0.1:8000/v1
	APIKey      string
	Model       string
	Temperature float64
	TopP        float64 // 0 means the server's default
	// TokenPrompt sends the prompt as token ids (vLLM and SGLang accept
	// them); otherwise it is decoded to text, special tokens kept.
	TokenPrompt bool
	// Plain sends only standard OpenAI fields. By default the request also
	// carries the vLLM/SGLang extensions that make the answer exact:
	// stop_token_ids, include_stop_str_in_output, skip_special_tokens=false
	// and return_tokens_as_token_ids.
	Plain      bool
	Timeout    time.Duration // per request; 0 means 10 minutes
	MaxRetries int           // the client's retries on 429/5xx; keep low so failures show
}

// OpenAI is a rollout.Policy served by POST {BaseURL}/completions.
type OpenAI struct {
	cfg    OpenAIConfig
	client openai.Client
	tok    rollout.Tokenizer
}

// NewOpenAI returns a policy for the server at cfg.BaseURL; tok must be the
// tokenizer of the served model.
func NewOpenAI(cfg OpenAIConfig, tok rollout.Tokenizer) (*OpenAI, error) {
	if cfg.BaseURL == "" || cfg.Model == "" {
		return nil, fmt.Errorf("policy: an OpenAI-compatible policy needs a base URL and a model name")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Minute
	}
	opts := []option.RequestOption{
		option.WithBaseURL(cfg.BaseURL),
		option.WithMaxRetries(cfg.MaxRetries),
		option.WithRequestTimeout(cfg.Timeout),
		option.WithAPIKey(cfg.APIKey),
	}
	return &OpenAI{cfg: cfg, client: openai.NewClient(opts...), tok: tok}, nil
}

// Generate implements rollout.Policy.
func (p *OpenAI) Generate(ctx context.Context, req rollout.Request) (rollout.Completion, error) {
	params := openai.CompletionNewParams{
		Model:       openai.CompletionNewParamsModel(p.cfg.Model),
		MaxTokens:   openai.Int(int64(req.MaxTokens)),
		Temperature: openai.Float(p.cfg.Temperature),
		Logprobs:    openai.Int(1),
	}
	if p.cfg.TopP > 0 {
		params.TopP = openai.Float(p.cfg.TopP)
	}
	if len(req.StopStrings) > 0 {
		params.Stop = openai.CompletionNewParamsStopUnion{OfStringArray: req.StopStrings}
	}
	if p.cfg.TokenPrompt {
		ids := make([]int64, len(req.Tokens))
		for i, id := range req.Tokens {
			ids[i] = int64(id)
		}
		params.Prompt = openai.CompletionNewParamsPromptUnion{OfArrayOfTokens: ids}
	} else {
		text, err := p.tok.Decode(req.Tokens, false)
		if err != nil {
			return rollout.Completion{}, fmt.Errorf("policy: decode the prompt: %w", err)
		}
		params.Prompt = openai.CompletionNewParamsPromptUnion{OfString: openai.String(text)}
	}
	if !p.cfg.Plain {
		params.SetExtraFields(map[string]any{
			"stop_token_ids":             req.StopIDs,
			"include_stop_str_in_output": true,
			"skip_special_tokens":        false,
			"return_tokens_as_token_ids": true,
		})
	}
	resp, err := p.client.Completions.New(ctx, params)
	if err != nil {
		var apiErr *openai.Error
		if errors.As(err, &apiErr) && apiErr.Message != "" {
			return rollout.Completion{}, fmt.Errorf("policy: %s: %w: %s", p.cfg.BaseURL, err, apiErr.Message)
		}
		return rollout.Completion{}, fmt.Errorf("policy: %s: %w", p.cfg.BaseURL, err)
	}
	if len(resp.Choices) == 0 {
		return rollout.Completion{}, fmt.Errorf("policy: %s answered no choices", p.cfg.BaseURL)
	}
	ch := resp.Choices[0]
	return p.completion(ch.Text, string(ch.FinishReason), stopReason(ch), ch.Logprobs.Tokens, ch.Logprobs.TokenLogprobs, req)
}

// stopReason reads the server's note of what stopped it: vLLM's
// stop_reason, SGLang's matched_stop, llama.cpp's stopping_word. It is a
// string (a stop string), a number (a stop token id) or nil (EOS, or a
// server that does not say).
func stopReason(ch openai.CompletionChoice) any {
	for _, field := range []string{"stop_reason", "matched_stop", "stopping_word"} {
		f, ok := ch.JSON.ExtraFields[field]
		if !ok {
			continue
		}
		var v any
		if json.Unmarshal([]byte(f.Raw()), &v) == nil && v != nil && v != "" {
			return v
		}
	}
	return nil
}

// completion turns a server's answer into token ids. Ids come from
// "token_id:N" logprob tokens when the server gives them, else from
// re-tokenizing the text.
func (p *OpenAI) completion(text, finish string, reason any, tokens []string, logprobs []float64, req rollout.Request) (rollout.Completion, error) {
	c := rollout.Completion{StopID: -1, Finish: rollout.FinishLength}
	ids, ok := tokenIDs(tokens)
	if ok {
		c.Logprobs = logprobs
	}
	if finish == "stop" {
		c.Finish = rollout.FinishStop
		switch r := reason.(type) {
		case string:
			c.StopString = r
			// A server that trims the stop string gets it back, as the
			// reference does for SGLang.
			if !strings.HasSuffix(text, r) {
				text += r
				ok = false
			}
		case float64:
			c.StopID = int(r)
		default:
			c.StopString = matchStop(text, req.StopStrings)
		}
	}
	if !ok {
		ids, c.Logprobs = p.tok.Encode(text), nil
	}
	if c.Finish == rollout.FinishStop && c.StopString == "" {
		ids, c.StopID = withEOS(ids, c.StopID, req.StopIDs)
	}
	if len(ids) > req.MaxTokens {
		return c, fmt.Errorf("policy: %s returned %d tokens for max_tokens %d", p.cfg.BaseURL, len(ids), req.MaxTokens)
	}
	c.Tokens = ids
	return c, nil
}

// tokenIDs parses vLLM's "token_id:N" logprob tokens.
func tokenIDs(tokens []string) ([]int, bool) {
	if len(tokens) == 0 {
		return nil, false
	}
	ids := make([]int, len(tokens))
	for i, t := range tokens {
		n, err := strconv.Atoi(strings.TrimPrefix(t, "token_id:"))
		if err != nil || !strings.HasPrefix(t, "token_id:") {
			return nil, false
		}
		ids[i] = n
	}
	return ids, true
}

// matchStop finds the stop string a text ends with, for servers that keep
// it in the text but do not say which one matched.
func matchStop(text string, stops []string) string {
	for _, s := range stops {
		if strings.HasSuffix(text, s) {
			return s
		}
	}
	return ""
}

// withEOS makes a response that stopped on a stop id end with that id: the
// servers strip special tokens from the text, the reward wants them.
func withEOS(ids []int, stopID int, stopIDs []int) ([]int, int) {
	if n := len(ids); n > 0 && slices.Contains(stopIDs, ids[n-1]) {
		return ids, ids[n-1]
	}
	if stopID < 0 {
		if len(stopIDs) == 0 {
			return ids, -1
		}
		stopID = stopIDs[0]
	}
	return append(ids, stopID), stopID
}
