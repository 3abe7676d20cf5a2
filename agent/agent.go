// Package agent builds what the ReSearch loop runs on — the tokenizer, the
// policy (the in-process engine or remote servers) and the retriever (BM25,
// dense or hybrid in process, or a search server) — from one Config, for
// the CLI, the trainer and the demo alike.
package agent

import (
	"errors"
	"fmt"

	"research/model"
	"research/protocol"
	"research/rollout"
	"research/search"
	"research/tokenizer"
)

// Config describes an agent. Every part is optional: a zero PolicyConfig
// opens no policy (the trainer samples from its training backend), a zero
// RetrieverConfig no retriever.
type Config struct {
	Template  string // instruct or base
	EOSText   string // the EOS text the reward expects; default by template
	Tokenizer string // tokenizer.json or a directory holding one; default Policy.Model
	Policy    PolicyConfig
	Retriever RetrieverConfig
}

// Agent is what a Config opened; Close releases it.
type Agent struct {
	Template  protocol.Template
	Tokenizer *tokenizer.Tokenizer
	Policy    rollout.Policy   // nil without a policy
	Model     *model.Model     // the in-process policy's weights, or nil
	Retriever search.Retriever // nil without a retriever
	// EOSIDs end a response: the tokenizer's stop tokens and the
	// in-process model's eos_token_id (rollout.StopIDs).
	EOSIDs  []int
	EOSText string

	closers []func()
}

// FieldError is an error about one setting, named by its config key
// (model, tokenizer, template, index, dense_index, encoder, embed_url,
// url, protocol, api, …), so that each caller can name it as its users
// know it: a flag, or a key of a config file.
type FieldError struct {
	Key string
	Err error
}

// Error names the key, then what is wrong with it.
func (e *FieldError) Error() string { return e.Key + ": " + e.Err.Error() }

// Unwrap returns the error without the key.
func (e *FieldError) Unwrap() error { return e.Err }

func fieldError(key string, err error) error { return &FieldError{Key: key, Err: err} }

// Open opens what c names.
func Open(c Config) (*Agent, error) {
	tpl, err := protocol.ParseTemplate(c.Template)
	if err != nil {
		return nil, fieldError("template", err)
	}
	a := &Agent{Template: tpl, EOSText: c.EOSText}
	if a.EOSText == "" {
		a.EOSText = tpl.EOSText()
	}
	ok := false
	defer func() {
		if !ok {
			a.Close()
		}
	}()
	tokPath := c.Tokenizer
	if tokPath == "" {
		tokPath = c.Policy.Model
	}
	if tokPath == "" {
		return nil, fieldError("tokenizer", errors.New("none given, and no in-process model to take it from"))
	}
	if a.Tokenizer, err = tokenizer.Load(tokPath); err != nil {
		return nil, fieldError("tokenizer", err)
	}
	a.EOSIDs = rollout.StopIDs(a.Tokenizer, nil)
	if err := a.openPolicy(c.Policy); err != nil {
		return nil, err
	}
	if a.Policy != nil && len(a.EOSIDs) == 0 {
		return nil, fmt.Errorf("the tokenizer has no <|im_end|> or <|endoftext|> and the model config names no eos_token_id")
	}
	if !c.Retriever.empty() {
		r, closeFn, err := OpenRetriever(c.Retriever)
		if err != nil {
			return nil, err
		}
		a.Retriever = r
		a.closers = append(a.closers, closeFn)
	}
	ok = true
	return a, nil
}

// Close releases what Open opened, last opened first.
func (a *Agent) Close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}

// RolloutConfig is the paper's loop configuration for this agent.
func (a *Agent) RolloutConfig() rollout.Config {
	return rollout.Defaults(a.Template, a.EOSIDs, a.EOSText)
}
