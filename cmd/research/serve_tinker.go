package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"research/generate"
	"research/internal/httpserve"
	"research/tinker/server"
	"research/tokenizer"
)

func init() { rootCmd.AddCommand(newServeTinkerCmd()) }

func newServeTinkerCmd() *cobra.Command {
	var (
		sm         servedModel
		addr, data string
		maxModels  int
	)
	cmd := &cobra.Command{
		Use:   "serve-tinker --model DIR [--addr 127.0.0.1:8000]",
		Short: "Serve LoRA training of a model over the Tinker training API",
		Long: `serve-tinker trains LoRA adapters on the Qwen2-family model in DIR on the
in-process CPU engine, over the Tinker training API (/api/v1/...): sessions,
create_model (LoRA rank as asked, alpha 32), forward_backward with
cross_entropy, importance_sampling, ppo and cispo (JSON as SDK <= 0.24
sends it, protobuf as SDK 0.25 does), optim_step (AdamW), save_weights,
save_weights_for_sampler and load_weights under tinker:// paths kept in
--data, sampling sessions and asample, and retrieve_future with long-poll.
Point the official Python SDK (base_url) at it.`,
		Example: `  research serve-tinker --model ckpt --addr 127.0.0.1:8000 --data runs/tinker
  curl -s localhost:8000/api/v1/get_server_capabilities`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := sm.open("serve-tinker")
			if err != nil {
				return err
			}
			defer m.Close()
			// Stop strings need a tokenizer; without one, stop token ids
			// still work.
			var dec generate.Decoder
			if tok, err := tokenizer.Load(sm.tokenizer); err == nil {
				dec = decoderOf(tok)
			} else {
				fmt.Fprintf(os.Stderr, "serve-tinker: no tokenizer (%v): stop strings will be refused\n", err)
			}
			if data == "" {
				data = "tinker-data"
			}
			s, err := server.New(server.Config{Model: m, Name: sm.name, Decoder: dec, DataDir: data, APIKey: sm.apiKey, MaxModels: maxModels})
			if err != nil {
				return fmt.Errorf("serve-tinker: %w", err)
			}
			defer s.Close()
			// retrieve_future long-polls for 30 s: no write timeout.
			t := httpserve.Timeouts{ReadHeader: 10 * time.Second, Read: 120 * time.Second, Idle: 120 * time.Second, Shutdown: 30 * time.Second}
			return listenAndServe(cmd, "serve-tinker", addr,
				func(a net.Addr) string { return fmt.Sprintf("%s on http://%s (checkpoints in %s)", sm.name, a, data) },
				func(ctx context.Context, ln net.Listener) error { return httpserve.Serve(ctx, ln, s, t) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&sm.dir, "model", "", "model directory (config.json + safetensors)")
	f.StringVar(&sm.tokenizer, "tokenizer", "", "tokenizer.json or a directory holding one, for stop strings (default: --model)")
	f.StringVar(&addr, "addr", "127.0.0.1:8000", "address to listen on")
	f.StringVar(&sm.apiKey, "api-key", "", "require this key in X-API-Key (default $RESEARCH_API_KEY)")
	f.StringVar(&sm.name, "served-model-name", "", "base model name clients ask for (default: the directory name)")
	f.StringVar(&data, "data", "", "directory for tinker:// checkpoints (default ./tinker-data)")
	f.IntVar(&maxModels, "max-models", 4, "training models held at once")
	return cmd
}
