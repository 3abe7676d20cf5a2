package model

import (
	"math"
	"testing"
)

// TestLogprobsChunks scores a sequence longer than a chunk, from inside the
// first chunk and from past it, and compares with one forward over the
// whole sequence.
func TestLogprobsChunks(t *testing.T) {
	m, _ := loadReference(t, "testdata/tiny")
	seq := make([]int, 600)
	for i := range seq {
		seq[i] = (i*53 + 7) % m.Config.VocabSize
	}
	all, err := m.Forward([]Input{{Cache: m.NewCache(0), Tokens: seq, AllLogits: true}})
	if err != nil {
		t.Fatal(err)
	}
	v := m.Config.VocabSize
	for _, tc := range []struct {
		from int
		temp float64
	}{{100, 1}, {100, 0.7}, {300, 1}} {
		from, temp := tc.from, tc.temp
		got, err := m.Logprobs([][]int{seq, seq[:5]}, []int{from, 1}, temp)
		if err != nil {
			t.Fatal(err)
		}
		if len(got[0]) != len(seq)-from || len(got[1]) != 4 {
			t.Fatalf("got %d and %d scores, want %d and 4", len(got[0]), len(got[1]), len(seq)-from)
		}
		for tpos := from; tpos < len(seq); tpos++ {
			want := logSoftmaxAt(all[0][(tpos-1)*v:tpos*v], seq[tpos], temp)
			if d := math.Abs(got[0][tpos-from] - want); d > 1e-4 {
				t.Fatalf("from %d, temperature %g, position %d: %v, want %v", from, temp, tpos, got[0][tpos-from], want)
			}
		}
	}
	for _, tc := range []struct {
		from []int
		temp float64
	}{{[]int{0, 1}, 1}, {[]int{601, 1}, 1}, {[]int{1}, 1}, {[]int{1, 1}, 0}} {
		if _, err := m.Logprobs([][]int{seq, seq[:5]}, tc.from, tc.temp); err == nil {
			t.Errorf("from %v temperature %v: no error", tc.from, tc.temp)
		}
	}
}

// logSoftmaxAt is the reference: log softmax(row / temperature)[id] in
// float64 throughout.
func logSoftmaxAt(row []float32, id int, temperature float64) float64 {
	mx := float64(row[0])
	for _, z := range row[1:] {
		mx = max(mx, float64(z))
	}
	var sum float64
	for _, z := range row {
		sum += math.Exp((float64(z) - mx) / temperature)
	}
	return (float64(row[id])-mx)/temperature - math.Log(sum)
}
