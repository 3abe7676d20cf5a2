package model

import (
	"math"
	"testing"
)

// TestLogprobsChunks scores a sequence longer than a chunk and compares with
// one forward over the whole sequence.
func TestLogprobsChunks(t *testing.T) {
	m, _ := loadReference(t, "testdata/tiny")
	seq := make([]int, 600)
	for i := range seq {
		seq[i] = (i*53 + 7) % m.Config.VocabSize
	}
	const from = 100
	got, err := m.Logprobs([][]int{seq, seq[:5]}, []int{from, 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	all, err := m.Forward([]Input{{Cache: m.NewCache(0), Tokens: seq, AllLogits: true}})
	if err != nil {
		t.Fatal(err)
	}
	v := m.Config.VocabSize
	if len(got[0]) != len(seq)-from || len(got[1]) != 4 {
		t.Fatalf("got %d and %d scores, want %d and 4", len(got[0]), len(got[1]), len(seq)-from)
	}
	for tpos := from; tpos < len(seq); tpos++ {
		want := logSoftmaxAt(all[0][(tpos-1)*v:tpos*v], seq[tpos], 1)
		if d := math.Abs(got[0][tpos-from] - want); d > 1e-4 {
			t.Fatalf("position %d: %v, want %v", tpos, got[0][tpos-from], want)
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
