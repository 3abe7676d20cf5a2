package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"research/internal/safefile"
	"research/rollout"
	"research/score"
)

func init() { rootCmd.AddCommand(newReplayCmd()) }

func newReplayCmd() *cobra.Command {
	var traces int
	var out string
	cmd := &cobra.Command{
		Use:   "replay DUMP",
		Short: "Re-score a trajectory dump with the current reward and show its traces",
		Long: `Replay reads a trajectory dump (JSON Lines written by a rollout), scores
every trajectory again with the current ReSearch reward, prints the first
--traces traces (think / search / result / answer coloured on a terminal),
and a summary of how the rewards changed. --out writes the re-scored dump.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, name, err := openInput(args)
			if err != nil {
				return err
			}
			defer in.Close()
			trajs, err := rollout.ReadJSONL(in, name)
			if err != nil {
				return err
			}
			style := rollout.Style{}
			if f, ok := cmd.OutOrStdout().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
				style = rollout.ANSI
			}
			if err := replay(cmd.OutOrStdout(), trajs, traces, style); err != nil {
				return err
			}
			if out == "" {
				return nil
			}
			return safefile.Write(out, func(w io.Writer) error { return rollout.WriteJSONL(w, trajs) })
		},
	}
	cmd.Flags().IntVar(&traces, "traces", 3, "how many traces to print")
	cmd.Flags().StringVar(&out, "out", "", "write the re-scored dump to this file")
	return cmd
}

func replay(w io.Writer, trajs []*rollout.Trajectory, traces int, style rollout.Style) error {
	if len(trajs) == 0 {
		return fmt.Errorf("the dump holds no trajectories")
	}
	var before, after float64
	changed := 0
	for i, t := range trajs {
		old, oldReason := t.Reward, t.Reason
		score.All(score.ReSearch{}, t)
		before += old
		after += t.Reward
		if old != t.Reward || oldReason != t.Reason {
			changed++
		}
		if i < traces {
			t.Render(w, style)
			fmt.Fprintln(w)
		}
	}
	n := float64(len(trajs))
	fmt.Fprintf(w, "%d trajectories: mean reward %.4f as dumped, %.4f now; %d changed\n", len(trajs), before/n, after/n, changed)
	return nil
}
