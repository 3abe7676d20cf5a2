package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"research/demo"
	"research/rollout"
)

func init() { rootCmd.AddCommand(newDemoCmd()) }

func newDemoCmd() *cobra.Command {
	cfg := demo.Defaults("runs/demo")
	cmd := &cobra.Command{
		Use:   "demo [--out DIR] [--base DIR]",
		Short: "The paper's experiment in miniature on a synthetic world",
		Long: `Demo builds a synthetic multi-hop world and its BM25 index, takes the base
policy in --base (made by research pretrain for the same world) or
pretrains one (tens of minutes), evaluates closed-book generation, naive
RAG and the ReSearch loop on held-out questions, trains the policy with
GRPO, evaluates the ReSearch loop again, and prints EM / F1 per question
type (bridge, chain, comparison, yes/no) in the layout of the paper's
Table 2, with two example traces. Everything lands in --out: the world,
the index, the training run (metrics, plots, rollouts, checkpoints) and
report.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := os.MkdirAll(cfg.Out, 0o755); err != nil {
				return err
			}
			res, err := demo.Run(ctx, cfg, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			fmt.Fprintln(out)
			res.Markdown(out)
			shown := 0
			for _, t := range res.Examples {
				if shown == 0 || (shown == 1 && len(t.Searches) > 1) {
					fmt.Fprintln(out)
					t.Render(out, rollout.Style{})
					shown++
				}
			}
			return res.WriteReport(cfg.Out)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Out, "out", cfg.Out, "output directory")
	f.StringVar(&cfg.Base, "base", cfg.Base, "base policy made by research pretrain for this world (default: pretrain one)")
	f.Uint64Var(&cfg.World.Seed, "seed", cfg.World.Seed, "world seed")
	f.IntVar(&cfg.EvalQuestions, "eval", cfg.EvalQuestions, "held-out questions evaluated (0: all)")
	f.IntVar(&cfg.Steps, "steps", cfg.Steps, "GRPO steps")
	f.IntVar(&cfg.BatchSize, "batch", cfg.BatchSize, "questions per GRPO step")
	f.IntVar(&cfg.N, "n", cfg.N, "rollouts per question")
	f.Float64Var(&cfg.LR, "lr", cfg.LR, "learning rate")
	f.IntVar(&cfg.MaxTokens, "max-tokens", cfg.MaxTokens, "response budget, inserted results included")
	f.IntVar(&cfg.TopK, "top-k", cfg.TopK, "passages per search")
	return cmd
}
