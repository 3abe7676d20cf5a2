// Package policy holds the rollout.Policy implementations that talk to
// inference servers: any OpenAI-compatible /v1/completions endpoint (vLLM,
// SGLang, llama.cpp server, Ollama), SGLang's native /generate, and a router
// that spreads requests over several endpoints, least loaded first.
//
// Remote servers take and give text unless they say otherwise. Where the
// server accepts token ids as the prompt (vLLM, SGLang) they are sent as
// ids, and where it returns the ids it sampled (vLLM with
// return_tokens_as_token_ids, SGLang's output_token_logprobs) those ids are
// kept. Otherwise, and only here in the project, text is re-tokenized; a
// re-tokenized response can differ from the ids the server sampled, which
// the trainer's logprob-gap metric makes visible.
package policy
