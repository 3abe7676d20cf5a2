package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"research/generate"
	"research/model"
	"research/policy"
	"research/protocol"
	"research/rollout"
	"research/search"
	"research/search/bm25"
	"research/tokenizer"
)

// agentFlags are the flags every command that runs the ReSearch loop shares:
// where the policy, the tokenizer and the retriever come from.
type agentFlags struct {
	model, tokenizer, template  string
	llmURL, llmModel, llmAPI    string
	apiKey                      string
	index, searchURL, searchAPI string
	temperature, topP           float64
	seed                        uint64
	eosText                     string
}

func (a *agentFlags) register(f *pflag.FlagSet) {
	f.StringVar(&a.model, "model", "", "in-process policy: a model directory (config.json + safetensors) or .gguf file")
	f.StringVar(&a.llmURL, "llm-url", "", "remote policy: base URL of an OpenAI-compatible server (…/v1) or, with --llm-api sglang, an SGLang server; several comma-separated URLs share the load")
	f.StringVar(&a.llmModel, "llm-model", "", "model name to ask the remote policy server for")
	f.StringVar(&a.llmAPI, "llm-api", "openai", "remote policy API: openai (completions, vLLM/SGLang extensions) or sglang (/generate)")
	f.StringVar(&a.apiKey, "api-key", "", "bearer token for the remote policy server")
	f.StringVar(&a.tokenizer, "tokenizer", "", "tokenizer.json or a directory holding one (default: --model)")
	f.StringVar(&a.template, "template", "instruct", "prompt template: instruct (Qwen2.5 chat) or base")
	f.StringVar(&a.index, "index", "", "in-process retriever: a BM25 index directory")
	f.StringVar(&a.searchURL, "search-url", "", "remote retriever: a FlashRAG/ReSearch or Search-R1 server root")
	f.StringVar(&a.searchAPI, "search-protocol", "flashrag", "remote retriever protocol: flashrag or search-r1")
	f.Float64Var(&a.temperature, "temperature", 0, "sampling temperature (0: greedy)")
	f.Float64Var(&a.topP, "top-p", 1, "nucleus sampling mass")
	f.Uint64Var(&a.seed, "seed", 0, "random seed of the in-process policy")
	f.StringVar(&a.eosText, "eos-text", "", "EOS token text the reward expects (default: <|im_end|> for instruct, <|endoftext|> for base)")
}

// agent is what the flags built; close releases it.
type agent struct {
	template  protocol.Template
	tok       *tokenizer.Tokenizer
	policy    rollout.Policy
	retriever search.Retriever
	eosIDs    []int
	eosText   string
	closers   []io.Closer
}

func (a *agent) close() {
	for _, c := range a.closers {
		c.Close()
	}
}

type closerFunc func()

func (f closerFunc) Close() error { f(); return nil }

// build checks the flags and opens what they name.
func (f *agentFlags) build() (*agent, error) {
	if (f.model == "") == (f.llmURL == "") {
		return nil, fmt.Errorf("give exactly one policy: --model DIR or --llm-url URL")
	}
	if (f.index == "") == (f.searchURL == "") {
		return nil, fmt.Errorf("give exactly one retriever: --index DIR or --search-url URL")
	}
	tpl, err := protocol.ParseTemplate(f.template)
	if err != nil {
		return nil, fmt.Errorf("--template: %w", err)
	}
	a := &agent{template: tpl, eosText: f.eosText}
	if a.eosText == "" {
		a.eosText = tpl.EOSText()
	}
	ok := false
	defer func() {
		if !ok {
			a.close()
		}
	}()
	tokPath := f.tokenizer
	if tokPath == "" {
		tokPath = f.model
	}
	if tokPath == "" {
		return nil, fmt.Errorf("a remote policy needs --tokenizer (the served model's tokenizer.json)")
	}
	if a.tok, err = tokenizer.Load(tokPath); err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	a.eosIDs = rollout.StopIDs(a.tok, nil)
	if err := f.buildPolicy(a); err != nil {
		return nil, err
	}
	if len(a.eosIDs) == 0 {
		return nil, fmt.Errorf("the tokenizer has no <|im_end|> or <|endoftext|> and the model config names no eos_token_id")
	}
	if f.index != "" {
		ix, err := bm25.Open(f.index, bm25.OpenOptions{})
		if err != nil {
			return nil, fmt.Errorf("--index: %w", err)
		}
		a.retriever = ix
		a.closers = append(a.closers, ix)
	} else {
		proto, err := search.ParseProtocol(f.searchAPI)
		if err != nil {
			return nil, fmt.Errorf("--search-protocol: %w", err)
		}
		a.retriever = &search.Client{BaseURL: f.searchURL, Protocol: proto}
	}
	ok = true
	return a, nil
}

func (f *agentFlags) buildPolicy(a *agent) error {
	if f.model == "" {
		var backends []rollout.Policy
		for _, url := range strings.Split(f.llmURL, ",") {
			p, err := f.remotePolicy(strings.TrimSpace(url), a.tok)
			if err != nil {
				return err
			}
			backends = append(backends, p)
		}
		if len(backends) == 1 {
			a.policy = backends[0]
			return nil
		}
		r, err := policy.NewRouter(backends...)
		a.policy = r
		return err
	}
	m, err := model.Load(f.model)
	if err != nil {
		return fmt.Errorf("--model: %w", err)
	}
	a.closers = append(a.closers, closerFunc(func() { m.Close() }))
	a.eosIDs = rollout.StopIDs(a.tok, m.Config.EOSTokenIDs)
	e, err := generate.NewEngine(m, generate.Options{
		Sampling: generate.Sampling{Temperature: f.temperature, TopP: f.topP, Seed: f.seed},
		Decoder:  decoderOf(a.tok),
	})
	if err != nil {
		return err
	}
	a.closers = append(a.closers, closerFunc(e.Close))
	a.policy = policy.Local{Engine: e}
	return nil
}

// remotePolicy is a policy on the server at url.
func (f *agentFlags) remotePolicy(url string, tok *tokenizer.Tokenizer) (rollout.Policy, error) {
	switch f.llmAPI {
	case "openai":
		return policy.NewOpenAI(policy.OpenAIConfig{BaseURL: url, APIKey: f.apiKey, Model: f.llmModel,
			Temperature: f.temperature, TopP: f.topP, TokenPrompt: true}, tok)
	case "sglang":
		return policy.NewSGLang(policy.SGLangConfig{URL: url, APIKey: f.apiKey, Temperature: f.temperature, TopP: f.topP})
	}
	return nil, fmt.Errorf("--llm-api %q: want openai or sglang", f.llmAPI)
}

// rolloutConfig is the paper's loop configuration for this agent.
func (a *agent) rolloutConfig() rollout.Config {
	return rollout.Defaults(a.template, a.eosIDs, a.eosText)
}
