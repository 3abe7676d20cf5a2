package trainer

import (
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
)

// curves are the plots refreshed as training goes: each is one PNG with a
// line per phase.
var curves = []struct {
	file, title, y string
	value          func(Metrics) float64
}{
	{"reward.png", "Reward", "mean reward", func(m Metrics) float64 { return m.RewardMean }},
	{"searches.png", "Searches per rollout", "searches", func(m Metrics) float64 { return m.SearchesPerRoll }},
	{"response_length.png", "Response length (policy tokens)", "tokens", func(m Metrics) float64 { return m.ResponseTokens }},
}

// plot writes the curves of the history to train.out/plots.
func (t *Trainer) plot() error {
	for _, c := range curves {
		p := plot.New()
		p.Title.Text = c.title
		p.X.Label.Text = "step"
		p.Y.Label.Text = c.y
		var lines []any
		for _, phase := range []string{"train", "val"} {
			var pts plotter.XYs
			for _, m := range t.history {
				if m.Phase == phase {
					pts = append(pts, plotter.XY{X: float64(m.Step), Y: c.value(m)})
				}
			}
			if len(pts) > 0 {
				lines = append(lines, phase, pts)
			}
		}
		if len(lines) == 0 {
			continue
		}
		if err := plotutil.AddLinePoints(p, lines...); err != nil {
			return err
		}
		if err := p.Save(6*vg.Inch, 4*vg.Inch, filepath.Join(t.Config.Train.Out, "plots", c.file)); err != nil {
			return err
		}
	}
	return nil
}
