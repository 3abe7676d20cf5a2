package train

import (
	"fmt"
	"math"
)

// Schedule shapes the learning rate over steps as HF transformers'
// get_{constant,linear,cosine}_schedule_with_warmup do: a linear warmup
// from 0 over Warmup steps, then constant, or a linear or cosine decay that
// reaches MinRatio × the peak at step Total.
type Schedule struct {
	Kind     string // "constant", "linear" or "cosine"
	Warmup   int
	Total    int     // steps of the whole run; needed by linear and cosine
	MinRatio float64 // floor of the decay, as a fraction of the peak
}

// Schedule kinds.
const (
	Constant = "constant"
	Linear   = "linear"
	Cosine   = "cosine"
)

func (s Schedule) check() error {
	switch s.Kind {
	case Constant, "":
	case Linear, Cosine:
		if s.Total <= s.Warmup {
			return fmt.Errorf("schedule %s: total steps %d must exceed warmup %d", s.Kind, s.Total, s.Warmup)
		}
	default:
		return fmt.Errorf("schedule %q: want %s, %s or %s", s.Kind, Constant, Linear, Cosine)
	}
	if s.Warmup < 0 || !(s.MinRatio >= 0 && s.MinRatio <= 1) {
		return fmt.Errorf("schedule: warmup %d must be ≥ 0 and min ratio %g in [0, 1]", s.Warmup, s.MinRatio)
	}
	return nil
}

// Factor is the multiplier on the peak learning rate for the update that
// follows step completed updates.
func (s Schedule) Factor(step int) float64 {
	if step < s.Warmup {
		return float64(step) / float64(s.Warmup)
	}
	if s.Kind == Constant || s.Kind == "" {
		return 1
	}
	progress := min(1, float64(step-s.Warmup)/float64(s.Total-s.Warmup))
	decay := 1 - progress
	if s.Kind == Cosine {
		decay = 0.5 * (1 + math.Cos(math.Pi*progress))
	}
	return s.MinRatio + (1-s.MinRatio)*decay
}
