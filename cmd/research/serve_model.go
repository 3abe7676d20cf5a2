package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/spf13/cobra"

	"research/generate"
	"research/generate/server"
	"research/internal/httpserve"
	"research/tokenizer"
)

func init() { rootCmd.AddCommand(newServeModelCmd()) }

func newServeModelCmd() *cobra.Command {
	var (
		sm       servedModel
		addr     string
		maxBatch int
		limits   server.Config
	)
	cmd := &cobra.Command{
		Use:   "serve-model --model DIR [--addr 127.0.0.1:8000]",
		Short: "Serve a model over the OpenAI API (completions and chat), as vLLM does",
		Long: `serve-model serves the Qwen2-family model in DIR on the in-process engine
(continuous batching) over OpenAI-compatible routes: POST /v1/completions
and /v1/chat/completions (stop, stop_token_ids, n, logprobs, max_tokens,
temperature, top_p, top_k, seed, stream, and vLLM's stop_reason,
include_stop_str_in_output, skip_special_tokens, return_tokens_as_token_ids),
GET /v1/models, GET /health and GET /metrics (Prometheus). Any OpenAI
client, and research's own remote policy (--llm-url), can use it.

A request field it does not know is refused with a 400 naming it, as
OpenAI's API does (--ignore-unknown-fields ignores it, as vLLM does). Beyond
--max-in-flight requests at once it answers 503 with Retry-After; memory is
bounded by --max-in-flight × --max-sequences KV caches of the model's
context.`,
		Example: `  research serve-model --model ckpt --addr 127.0.0.1:8000
  curl -s localhost:8000/v1/completions -d '{"prompt": "The capital of France is", "max_tokens": 8, "temperature": 0}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := sm.open("serve-model")
			if err != nil {
				return err
			}
			defer m.Close()
			tok, err := tokenizer.Load(sm.tokenizer)
			if err != nil {
				return fmt.Errorf("serve-model: tokenizer (set --tokenizer): %w", err)
			}
			e, err := generate.NewEngine(m, generate.Options{Decoder: decoderOf(tok), MaxBatch: maxBatch})
			if err != nil {
				return err
			}
			defer e.Close()
			cfg := limits
			cfg.Engine, cfg.Tokenizer, cfg.ModelName, cfg.EOSIDs = e, tok, sm.name, m.Config.EOSTokenIDs
			cfg.MaxContext, cfg.APIKey = m.Config.MaxPositions, sm.apiKey
			h, err := server.New(cfg)
			if err != nil {
				return err
			}
			// Generation may stream for minutes: no write timeout.
			t := httpserve.Timeouts{ReadHeader: 10 * time.Second, Read: 60 * time.Second, Idle: 120 * time.Second, Shutdown: 30 * time.Second}
			return listenAndServe(cmd, "serve-model", addr,
				func(a net.Addr) string { return fmt.Sprintf("%s on http://%s/v1", sm.name, a) },
				func(ctx context.Context, ln net.Listener) error { return httpserve.Serve(ctx, ln, h, t) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&sm.dir, "model", "", "model directory (config.json + safetensors) or .gguf file")
	f.StringVar(&sm.tokenizer, "tokenizer", "", "tokenizer.json or a directory holding one (default: --model)")
	f.StringVar(&sm.dtype, "dtype", "f32", dtypeUsage)
	f.StringVar(&addr, "addr", "127.0.0.1:8000", "address to listen on")
	f.StringVar(&sm.apiKey, "api-key", "", "require this bearer token (default $RESEARCH_API_KEY)")
	f.StringVar(&sm.name, "served-model-name", "", "model name clients ask for (default: the directory name)")
	f.IntVar(&maxBatch, "max-batch", 0, "sequences decoding at once (0: all)")
	f.IntVar(&limits.MaxInFlight, "max-in-flight", 64, "most requests generating at once; more get 503 with Retry-After")
	f.IntVar(&limits.MaxSequences, "max-sequences", 64, "most sequences one request may generate (prompts × n)")
	f.Int64Var(&limits.MaxBodyBytes, "max-body-bytes", 16<<20, "largest request body accepted")
	f.DurationVar(&limits.Timeout, "request-timeout", 30*time.Minute, "time limit for one request's generation (0: none)")
	f.BoolVar(&limits.IgnoreUnknownFields, "ignore-unknown-fields", false, "ignore request fields this server does not know (as vLLM) instead of refusing them")
	return cmd
}
