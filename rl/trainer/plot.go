package trainer

import (
	"fmt"
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

// smoothing is the window of the trailing mean drawn over the train
// curve: one step's mean over a few groups is noisy enough to hide a trend.
const smoothing = 10

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
			if phase == "train" && len(pts) > smoothing {
				lines = append(lines, fmt.Sprintf("train, mean of %d", smoothing), trailingMean(pts, smoothing))
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

// trailingMean returns, for each point from the w-th on, the mean of the
// last w values.
func trailingMean(pts plotter.XYs, w int) plotter.XYs {
	var out plotter.XYs
	var sum float64
	for i, p := range pts {
		sum += p.Y
		if i >= w {
			sum -= pts[i-w].Y
		}
		if i >= w-1 {
			out = append(out, plotter.XY{X: p.X, Y: sum / float64(w)})
		}
	}
	return out
}
