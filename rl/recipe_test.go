package rl

import (
	"reflect"
	"testing"
)

// TestOverlongPenalty checks DAPO's soft overlong punishment against
// values worked by hand from veRL's dapo reward manager:
// min(−(L − (L_max − buf)) / buf · factor, 0).
func TestOverlongPenalty(t *testing.T) {
	for _, c := range []struct {
		length, maxLen, buf int
		factor, want        float64
	}{
		{10000, 20480, 4096, 1, 0},    // well short: min(+, 0)
		{16384, 20480, 4096, 1, 0},    // the buffer's first token
		{18432, 20480, 4096, 1, -0.5}, // half way
		{20480, 20480, 4096, 1, -1},   // the budget
		{18432, 20480, 4096, 0.5, -0.25},
		{1000, 1024, 256, 1, -232.0 / 256}, // the demo's budget
		{768, 1024, 256, 2, 0},
	} {
		if got := OverlongPenalty(c.length, c.maxLen, c.buf, c.factor); got != c.want {
			t.Errorf("OverlongPenalty(%d, %d, %d, %g) = %g, want %g", c.length, c.maxLen, c.buf, c.factor, got, c.want)
		}
	}
}

// TestVaryingGroups: DAPO keeps a group whose metric is not constant, or
// that has a single rollout; groups are named, not positions.
func TestVaryingGroups(t *testing.T) {
	for _, c := range []struct {
		name   string
		metric []float64
		group  []int
		want   []bool
	}{
		{"mixed", []float64{0, 1, 0, 0, 0, 0, 1, 1, 1, 0.1, 0.1, 1}, []int{0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3},
			[]bool{true, true, true, false, false, false, false, false, false, true, true, true}},
		{"all wrong", []float64{0.1, 0.1, 0.1, 0.1}, []int{0, 0, 1, 1}, []bool{false, false, false, false}},
		{"singletons", []float64{0, 1}, []int{0, 1}, []bool{true, true}},
		{"short last group", []float64{1, 1, 0}, []int{0, 0, 1}, []bool{false, false, true}},
		{"interleaved", []float64{1, 0, 1, 0}, []int{7, 3, 7, 3}, []bool{false, false, false, false}},
		{"interleaved, varying", []float64{1, 0, 0, 0}, []int{7, 3, 7, 3}, []bool{true, false, true, false}},
	} {
		if got := VaryingGroups(c.metric, c.group); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
