// Command research trains language models to reason with search (ReSearch,
// arXiv 2503.19470) and serves, evaluates and inspects everything on the way.
//
// Each subcommand lives in its own file and registers itself on rootCmd from
// an init function, so the files stay independent of one another. The CLI
// holds no logic of its own: it parses flags and calls the packages.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

var rootCmd = &cobra.Command{
	Use:   "research",
	Short: "Learn to reason with search: GRPO with in-the-loop retrieval, on a CPU",
	Long: `research trains a language model with reinforcement learning (GRPO) to
interleave its reasoning with search calls, as in ReSearch (arXiv 2503.19470),
and provides the pieces: tokenizer, transformer, search engine, rollouts,
reward, evaluation.`,
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "research:", err)
		os.Exit(exitCode(err))
	}
}
