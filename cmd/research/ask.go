package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"research/dataset"
	"research/rollout"
	"research/score"
	"research/search"
)

func init() { rootCmd.AddCommand(newAskCmd()) }

func newAskCmd() *cobra.Command {
	var (
		flags     agentFlags
		maxTokens int
		maxTurns  int
		topK      int
		gold      []string
	)
	cmd := &cobra.Command{
		Use:   `ask "QUESTION" (--model DIR | --llm-url URL) (--index DIR | --search-url URL)`,
		Short: "Answer one question with the ReSearch loop, streamed to the terminal",
		Long: `Ask runs one question through the ReSearch loop — the policy thinks,
searches, reads the inserted results and answers — and prints each turn as
it comes: thoughts dim, queries cyan, results yellow, the answer green (on a
terminal). With --gold it also prints the reward.`,
		Example: `  research ask "Where was the director of Koza born?" --model ckpt --index world/bm25
  research ask "Who wrote Dune?" --llm-url http://127.0.0.1:8000/v1 --llm-model Qwen2.5-7B-Instruct \
      --tokenizer Qwen2.5-7B-Instruct --search-url http://127.0.0.1:8001`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := flags.build()
			if err != nil {
				return err
			}
			defer a.Close()
			cfg := a.RolloutConfig()
			cfg.N, cfg.MaxResponseTokens, cfg.MaxTurns, cfg.TopK = 1, maxTokens, maxTurns, topK
			// A dead retriever is reported within seconds: the loop retries
			// twice (0.5 s, 1 s) and the client not again inside each try
			// (4 × 4 tries with backoff took 58 s), then the run stops.
			cfg.StopOnSearchError, cfg.SearchRetries = true, 2
			if c, ok := a.Retriever.(*search.Client); ok {
				c.Retries = -1
			}
			out := cmd.OutOrStdout()
			style := rollout.Style{}
			if f, ok := out.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				style = rollout.ANSI
			}
			r := &rollout.Runner{Policy: a.Policy, Retriever: a.Retriever, Tokenizer: a.Tokenizer, Config: cfg,
				OnText: func(_ *rollout.Trajectory, text string, _ bool) { fmt.Fprint(out, style.Paint(text)) }}
			trajs, err := r.Run(context.Background(), []dataset.Example{{ID: "ask", Question: args[0], Answers: gold}})
			if err != nil {
				return err
			}
			t := trajs[0]
			fmt.Fprintf(out, "\n\n%d searches, %d tokens (%d written by the policy), finish: %s\n", len(t.Searches), len(t.Response), t.PolicyTokens(), t.Finish)
			if len(gold) > 0 {
				score.All(score.ReSearch{}, t)
				fmt.Fprintf(out, "reward %.4g: %s\n", t.Reward, t.Reason)
			}
			return nil
		},
	}
	flags.register(cmd.Flags())
	cmd.Flags().IntVar(&maxTokens, "max-tokens", 8192, "response budget, inserted results included")
	cmd.Flags().IntVar(&maxTurns, "max-turns", 0, "search turns allowed (0: no limit)")
	cmd.Flags().IntVar(&topK, "top-k", 5, "passages per search")
	cmd.Flags().StringArrayVar(&gold, "gold", nil, "a gold answer, to print the reward (repeatable)")
	return cmd
}
