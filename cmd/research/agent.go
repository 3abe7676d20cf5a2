package main

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"research/agent"
)

// agentFlags are the flags every command that runs the ReSearch loop shares:
// where the policy, the tokenizer and the retriever come from.
type agentFlags struct {
	model, dtype, tokenizer     string
	template                    string
	llmURL, llmModel, llmAPI    string
	apiKey                      string
	index, searchURL, searchAPI string
	temperature, topP           float64
	seed                        uint64
	eosText                     string
}

func (a *agentFlags) register(f *pflag.FlagSet) {
	f.StringVar(&a.model, "model", "", "in-process policy: a model directory (config.json + safetensors) or .gguf file")
	f.StringVar(&a.dtype, "dtype", "f32", "in-process policy: "+dtypeUsage)
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

// agentKeys names the builder's keys (agent.FieldError) as this CLI's
// flags, where they differ.
var agentKeys = map[string]string{
	"url": "search-url", "protocol": "search-protocol", "api": "llm-api", "dense_index": "dense-index", "embed_url": "embed-url",
}

// flagError words a builder error with the flag that set the key.
func flagError(err error) error {
	var fe *agent.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	name, ok := agentKeys[fe.Key]
	if !ok {
		name = fe.Key
	}
	return fmt.Errorf("--%s: %w", name, fe.Err)
}

// build checks the flags and opens what they name.
func (f *agentFlags) build() (*agent.Agent, error) {
	if (f.model == "") == (f.llmURL == "") {
		return nil, fmt.Errorf("give exactly one policy: --model DIR or --llm-url URL")
	}
	if (f.index == "") == (f.searchURL == "") {
		return nil, fmt.Errorf("give exactly one retriever: --index DIR or --search-url URL")
	}
	if f.tokenizer == "" && f.model == "" {
		return nil, fmt.Errorf("a remote policy needs --tokenizer (the served model's tokenizer.json)")
	}
	a, err := agent.Open(agent.Config{
		Template: f.template, EOSText: f.eosText, Tokenizer: f.tokenizer,
		Policy: agent.PolicyConfig{Model: f.model, DType: f.dtype, URL: f.llmURL, API: f.llmAPI, ModelName: f.llmModel, APIKey: f.apiKey,
			Temperature: f.temperature, TopP: f.topP, Seed: f.seed},
		Retriever: agent.RetrieverConfig{Index: f.index, URL: f.searchURL, Protocol: f.searchAPI},
	})
	return a, flagError(err)
}
