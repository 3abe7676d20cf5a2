package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"research/dataset"
	"research/reward"
)

func init() { rootCmd.AddCommand(newMetricsCmd()) }

func newMetricsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "metrics [FILE|-]",
		Short: "Score predictions with FlashRAG's EM, acc (cover-EM) and F1",
		Long: `Metrics reads JSON Lines records {prediction, golden_answers} and writes
each record back with "em", "acc", "f1" and "normalized_prediction" added,
computed exactly as FlashRAG's evaluator (SQuAD normalisation, maximum over
the gold aliases). The means over all records go to standard error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, name, err := openInput(args)
			if err != nil {
				return err
			}
			defer in.Close()
			return runMetrics(in, name, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
}

func runMetrics(in io.Reader, name string, out, summary io.Writer) error {
	var sum reward.Metrics
	n := 0
	err := mapJSONL(in, name, out, func(rec jsonObject) error {
		var prediction string
		var golds dataset.Answers
		if err := rec.decodeField("prediction", &prediction, false); err != nil {
			return err
		}
		if err := rec.decodeField("golden_answers", &golds, false); err != nil {
			return err
		}
		m := reward.Evaluate(prediction, golds)
		sum.EM += m.EM
		sum.Acc += m.Acc
		sum.F1 += m.F1
		n++
		for field, v := range map[string]any{"em": m.EM, "acc": m.Acc, "f1": m.F1, "normalized_prediction": reward.Normalize(prediction)} {
			if err := rec.set(field, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%s: no records", name)
	}
	k := float64(n)
	fmt.Fprintf(summary, "%d predictions: em %.4f  acc %.4f  f1 %.4f\n", n, sum.EM/k, sum.Acc/k, sum.F1/k)
	return nil
}
