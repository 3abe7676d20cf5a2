package judge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

// Config says which model judges and how hard to try.
type Config struct {
	BaseURL string // an OpenAI-compatible API root, e.g. https://api.openai.com/v1
	APIKey  string
	Model   string // e.g. gpt-4o-mini, the paper's judge
	// Attempts is how many times one verdict is asked for before it is
	// recorded as a failure (the reference retries 5 times).
	Attempts  int
	Backoff   time.Duration // wait before the second attempt; doubles after each
	Timeout   time.Duration // per request
	MaxTokens int           // of the reply (the reference's 1024)
	// CachePath, when set, keeps verdicts on disk across runs.
	CachePath string
}

// Defaults are the reference's settings: 5 attempts, 1 s apart at first,
// 1024 reply tokens, plus a 2-minute request timeout.
func Defaults(baseURL, apiKey, model string) Config {
	return Config{BaseURL: baseURL, APIKey: apiKey, Model: model, Attempts: 5, Backoff: time.Second, Timeout: 2 * time.Minute, MaxTokens: 1024}
}

// Judge asks one model for verdicts. It is safe for concurrent use.
type Judge struct {
	cfg    Config
	client openai.Client
	cache  *Cache
}

// New checks cfg and opens the cache.
func New(cfg Config) (*Judge, error) {
	switch {
	case cfg.BaseURL == "" || cfg.Model == "":
		return nil, errors.New("judge: a base URL and a model name are required")
	case cfg.Attempts <= 0 || cfg.MaxTokens <= 0 || cfg.Timeout <= 0 || cfg.Backoff < 0:
		return nil, fmt.Errorf("judge: attempts %d, max tokens %d and timeout %v must be > 0, backoff %v >= 0", cfg.Attempts, cfg.MaxTokens, cfg.Timeout, cfg.Backoff)
	}
	j := &Judge{cfg: cfg, client: openai.NewClient(
		option.WithBaseURL(cfg.BaseURL),
		option.WithAPIKey(cfg.APIKey),
		option.WithMaxRetries(0), // our own loop retries, and also on unreadable replies
		option.WithRequestTimeout(cfg.Timeout),
	)}
	if cfg.CachePath != "" {
		c, err := OpenCache(cfg.CachePath)
		if err != nil {
			return nil, err
		}
		j.cache = c
	}
	return j, nil
}

// Close closes the cache.
func (j *Judge) Close() error {
	if j.cache == nil {
		return nil
	}
	return j.cache.Close()
}

// Judge returns the verdict on pred. It never returns an error: a verdict
// that could not be had is returned with Judgement "" and the last error,
// so that the caller counts it. Only a cancelled ctx stops early, with the
// verdict failed for that reason.
func (j *Judge) Judge(ctx context.Context, question string, golds []string, pred string) Verdict {
	prompt := Prompt(question, golds, pred)
	key := CacheKey(j.cfg.Model, prompt)
	if j.cache != nil {
		if v, ok := j.cache.Get(key); ok {
			v.Cached = true
			return v
		}
	}
	v := Verdict{Model: j.cfg.Model}
	wait := j.cfg.Backoff
	var err error
	for v.Attempts < j.cfg.Attempts {
		if v.Attempts > 0 {
			select {
			case <-ctx.Done():
				v.Error = ctx.Err().Error()
				return v
			case <-time.After(wait):
			}
			wait *= 2
		}
		v.Attempts++
		var content string
		if content, err = j.ask(ctx, prompt); err == nil {
			if v.Judgement, v.Rationale, err = Parse(content); err == nil {
				if j.cache != nil {
					if cerr := j.cache.Put(key, v); cerr != nil {
						v.Error = "cache: " + cerr.Error() // the verdict stands; only its reuse is lost
					}
				}
				return v
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	v.Error = fmt.Sprintf("after %d attempts: %v", v.Attempts, err)
	return v
}

// ask sends one chat completion at temperature 0 in JSON mode and returns
// the reply's text.
func (j *Judge) ask(ctx context.Context, prompt string) (string, error) {
	resp, err := j.client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:       j.cfg.Model,
		Messages:    []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
		Temperature: openai.Float(0),
		MaxTokens:   openai.Int(int64(j.cfg.MaxTokens)),
		ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{
			OfJSONObject: &shared.ResponseFormatJSONObjectParam{},
		},
	})
	if err != nil {
		return "", err
	}
	if len(resp.Choices) == 0 {
		return "", errors.New("reply has no choices")
	}
	return resp.Choices[0].Message.Content, nil
}
