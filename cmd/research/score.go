package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"research/dataset"
	"research/protocol"
	"research/reward"
)

func init() { rootCmd.AddCommand(newScoreCmd()) }

func newScoreCmd() *cobra.Command {
	var eos string
	cmd := &cobra.Command{
		Use:   "score [FILE|-]",
		Short: "Score rollouts with the ReSearch reward",
		Long: `Score reads JSON Lines records {solution_str, ground_truth, eos_token?}
(the decoded prompt and response, the gold answers as a list or a string, the
EOS token text) and writes each record back with "score" and "reason" added,
computed exactly as the ReSearch reference compute_score. A summary (mean
score, count per reason) goes to standard error.

The EOS text is the record's eos_token, else --eos, else inferred from the
prompt: <|im_end|> for the chat template, <|endoftext|> for the base one.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, name, err := openInput(args)
			if err != nil {
				return err
			}
			defer in.Close()
			return runScore(in, name, cmd.OutOrStdout(), cmd.ErrOrStderr(), eos)
		},
	}
	cmd.Flags().StringVar(&eos, "eos", "", "EOS token text for records without eos_token (default: inferred from the template)")
	return cmd
}

func runScore(in io.Reader, name string, out, summary io.Writer, defaultEOS string) error {
	var total float64
	reasons := map[string]int{}
	n := 0
	err := mapJSONL(in, name, out, func(rec jsonObject) error {
		var solution string
		var golds dataset.Answers
		eos := defaultEOS
		if err := rec.decodeField("solution_str", &solution, false); err != nil {
			return err
		}
		if err := rec.decodeField("ground_truth", &golds, false); err != nil {
			return err
		}
		if err := rec.decodeField("eos_token", &eos, true); err != nil {
			return err
		}
		if eos == "" {
			eos = inferEOS(solution)
		}
		r := reward.ScoreSolution(solution, golds, eos)
		total += r.Score
		reasons[reasonCategory(r.Reason)]++
		n++
		if err := rec.set("score", r.Score); err != nil {
			return err
		}
		return rec.set("reason", r.Reason)
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: no records", name)
	}
	fmt.Fprintf(summary, "%d rollouts, mean score %.4f\n", n, total/float64(n))
	cats := make([]string, 0, len(reasons))
	for c := range reasons {
		cats = append(cats, c)
	}
	sort.Slice(cats, func(i, j int) bool {
		return reasons[cats[i]] > reasons[cats[j]] || reasons[cats[i]] == reasons[cats[j]] && cats[i] < cats[j]
	})
	for _, c := range cats {
		fmt.Fprintf(summary, "%6d  %s\n", reasons[c], c)
	}
	return nil
}

// inferEOS picks the EOS text of the template a solution was written with:
// Qwen2.5-Instruct ends its turns with <|im_end|>, the base model its
// documents with <|endoftext|>.
func inferEOS(solution string) string {
	if strings.Contains(solution, protocol.Instruct.ResponseMarker()) {
		return protocol.Instruct.EOSText()
	}
	return protocol.Base.EOSText()
}

// reasonCategory drops the variable tail of a reward reason (the F1 value or
// the wrong answer) so that reasons can be counted.
func reasonCategory(reason string) string {
	for _, prefix := range []string{"correct answer", "wrong answer but good format", "find box error"} {
		if strings.HasPrefix(reason, prefix) {
			return prefix
		}
	}
	return reason
}
