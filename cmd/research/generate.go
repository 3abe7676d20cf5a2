package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"research/generate"
	"research/internal/progress"
	"research/model"
)

func init() {
	var (
		dir       string
		prompts   []string
		n         int
		maxTokens int
		stopIDs   []int
		noEOS     bool
		batch     int
		samp      generate.Sampling
	)
	cmd := &cobra.Command{
		Use:   "generate --model DIR --ids 1,2,3 [--ids …]",
		Short: "Continue token-id prompts with a Qwen2 model",
		Long: `generate samples continuations of one or more prompts (each --ids flag is one
prompt, given as comma-separated token ids) from the Qwen2-family model in DIR,
all sequences advancing together through one batched forward per step. It
prints one JSON object per sequence:
  {"prompt": i, "sample": j, "tokens": [...], "logprobs": [...], "finish": "stop"|"length", "stop_id": id}
logprobs are under softmax(logits / temperature) (temperature 1 when greedy).
Generation stops at the model's eos_token_id (unless --no-eos), at any
--stop-id, or after --max-tokens. Temperature 0 is greedy.
(--prompt TEXT and stop strings will come once the tokenizer package is wired in.)`,
		Example: `  research generate --model models/tiny --ids 10,200,33 --max-tokens 12
  research generate --model DIR --ids 1,2 --ids 3,4,5 --n 4 --temperature 1 --top-p 0.95 --seed 7`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" || len(prompts) == 0 {
				return fmt.Errorf("generate: --model and at least one --ids are required")
			}
			if n < 1 || maxTokens < 1 {
				return fmt.Errorf("generate: --n %d and --max-tokens %d must be ≥ 1", n, maxTokens)
			}
			m, err := model.Load(dir)
			if err != nil {
				return fmt.Errorf("generate: %w", err)
			}
			defer m.Close()
			stops := append([]int(nil), stopIDs...)
			if !noEOS {
				stops = append(stops, m.Config.EOSTokenIDs...)
			}
			var reqs []generate.Request
			for i, p := range prompts {
				ids, err := parseTokenIDs(p)
				if err != nil {
					return fmt.Errorf("generate: --ids #%d: %w", i+1, err)
				}
				for range n {
					reqs = append(reqs, generate.Request{Prompt: ids, MaxTokens: maxTokens, StopIDs: stops})
				}
			}
			b, err := generate.NewBatch(m, reqs, generate.Options{Sampling: samp, MaxBatch: batch})
			if err != nil {
				return err
			}
			bar := progress.New(int64(len(reqs)*maxTokens), "generating", "tokens")
			made := make([]int, len(reqs))
			for !b.Done() {
				toks, err := b.Step()
				if err != nil {
					return err
				}
				for _, t := range toks {
					made[t.Seq]++
					bar.Add(1)
					if t.Done { // count the budget the sequence will not use
						bar.Add(maxTokens - made[t.Seq])
					}
				}
			}
			bar.Finish()
			enc := json.NewEncoder(cmd.OutOrStdout())
			for i, r := range b.Results() {
				out := generateLine{Prompt: i / n, Sample: i % n, Tokens: r.Tokens, Logprobs: r.Logprobs, Finish: r.Finish}
				if r.StopID >= 0 {
					out.StopID = &r.StopID
				}
				if err := enc.Encode(out); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "model", "", "model directory (config.json + safetensors)")
	f.StringArrayVar(&prompts, "ids", nil, "a prompt as comma-separated token ids (repeat for more prompts)")
	f.IntVar(&n, "n", 1, "samples per prompt")
	f.IntVar(&maxTokens, "max-tokens", 64, "tokens to generate per sequence at most")
	f.IntSliceVar(&stopIDs, "stop-id", nil, "extra token ids that end a sequence")
	f.BoolVar(&noEOS, "no-eos", false, "do not stop at the config's eos_token_id")
	f.IntVar(&batch, "batch", 0, "sequences decoding at once (0: all)")
	f.Float64Var(&samp.Temperature, "temperature", 0, "sampling temperature (0: greedy)")
	f.IntVar(&samp.TopK, "top-k", 0, "sample among the k most likely tokens (0: all)")
	f.Float64Var(&samp.TopP, "top-p", 1, "nucleus sampling mass (1: all)")
	f.Uint64Var(&samp.Seed, "seed", 0, "random seed")
	rootCmd.AddCommand(cmd)
}

// generateLine is one sequence of generate's output.
type generateLine struct {
	Prompt   int       `json:"prompt"`
	Sample   int       `json:"sample"`
	Tokens   []int     `json:"tokens"`
	Logprobs []float64 `json:"logprobs"`
	Finish   string    `json:"finish"`
	StopID   *int      `json:"stop_id,omitempty"`
}
