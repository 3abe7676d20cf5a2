package trainer

import (
	"fmt"
	"path/filepath"
)

// guard watches for collapse: the training format-valid rate or the
// validation reward staying more than Margin below its best for a whole
// window of measurements. It stops the run, or rolls back to the best
// validated checkpoint and starts watching afresh, as configured.
func (t *Trainer) guard() error {
	g := t.Config.Train.Collapse
	if g.Action == "off" || g.Window < 1 {
		return nil
	}
	for _, phase := range []struct{ name, metric string }{{"train", "format-valid rate"}, {"val", "validation reward"}} {
		var series []float64
		for _, m := range t.history[t.guardFrom:] {
			switch {
			case m.Phase != phase.name:
			case phase.name == "train":
				series = append(series, m.FormatValid)
			default:
				series = append(series, m.RewardMean)
			}
		}
		if !collapsed(series, g.Window, g.Margin) {
			continue
		}
		msg := fmt.Sprintf("collapse at step %d: the %s stayed more than %.3f below its best for %d measurements",
			t.step, phase.metric, g.Margin, g.Window)
		if g.Action == "stop" {
			return fmt.Errorf("%s; stopping", msg)
		}
		dir := filepath.Join(t.checkpointDir(), "best")
		fmt.Fprintf(t.Log, "%s; rolling back to %s\n", msg, dir)
		if err := t.load(dir); err != nil {
			return fmt.Errorf("%s; rollback failed: %w", msg, err)
		}
		t.guardFrom = len(t.history)
		return nil
	}
	return nil
}

// collapsed reports whether the last window values all sit more than
// margin below the best value before them.
func collapsed(series []float64, window int, margin float64) bool {
	if len(series) <= window {
		return false
	}
	best := series[0]
	for _, v := range series[:len(series)-window] {
		best = max(best, v)
	}
	for _, v := range series[len(series)-window:] {
		if v >= best-margin {
			return false
		}
	}
	return true
}
