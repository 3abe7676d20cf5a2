package model

import (
	"math"
	"testing"
)

// TestBatchedForwardMatchesSingle feeds sequences in one batch — prefilling
// short and long chunks (the dot and the GEMM attention paths) and decoding
// at different positions — and checks each against the same sequence fed
// alone, one token per call.
func TestBatchedForwardMatchesSingle(t *testing.T) {
	m, ref := loadReference(t, "testdata/tiny")
	p := ref.Prompt
	alone := func(prefix, next []int) []float32 {
		c := m.NewCache(0)
		if len(prefix) > 0 {
			if _, err := m.Forward([]Input{{Cache: c, Tokens: prefix}}); err != nil {
				t.Fatal(err)
			}
		}
		var out [][]float32
		for _, tok := range next {
			var err error
			if out, err = m.Forward([]Input{{Cache: c, Tokens: []int{tok}}}); err != nil {
				t.Fatal(err)
			}
		}
		return out[0]
	}
	seqs := []struct{ prefix, next []int }{
		{nil, p},
		{p[:5], p[5:6]},
		{p[:2], p[2:4]},
		{p[:7], []int{3}},
		{p[:3], append(append([]int{}, p...), p...)},
	}
	batch := make([]Input, len(seqs))
	for i, s := range seqs {
		batch[i] = Input{Cache: m.NewCache(0), Tokens: s.next}
		if len(s.prefix) > 0 {
			if _, err := m.Forward([]Input{{Cache: batch[i].Cache, Tokens: s.prefix}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err := m.Forward(batch)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range seqs {
		want := alone(s.prefix, s.next)
		for j := range want {
			if math.Abs(float64(got[i][j]-want[j])) > 1e-5 {
				t.Fatalf("sequence %d logit %d: batched %v, alone %v", i, j, got[i][j], want[j])
			}
		}
		if n := len(s.prefix) + len(s.next); batch[i].Cache.Len != n {
			t.Errorf("sequence %d: cache holds %d positions, want %d", i, batch[i].Cache.Len, n)
		}
	}
}

func TestForwardAllLogits(t *testing.T) {
	m, ref := loadReference(t, "testdata/tiny")
	all, err := m.Forward([]Input{{Cache: m.NewCache(0), Tokens: ref.Prompt, AllLogits: true}})
	if err != nil {
		t.Fatal(err)
	}
	v := m.Config.VocabSize
	if len(all[0]) != len(ref.Prompt)*v {
		t.Fatalf("got %d logits, want %d", len(all[0]), len(ref.Prompt)*v)
	}
	for n := 1; n <= len(ref.Prompt); n++ {
		one, err := m.Forward([]Input{{Cache: m.NewCache(0), Tokens: ref.Prompt[:n]}})
		if err != nil {
			t.Fatal(err)
		}
		for j := range v {
			if d := math.Abs(float64(all[0][(n-1)*v+j] - one[0][j])); d > 1e-5 {
				t.Fatalf("position %d logit %d differs by %g", n-1, j, d)
			}
		}
	}
}

func TestForwardErrors(t *testing.T) {
	m, _ := loadReference(t, "testdata/tiny")
	shared := m.NewCache(0)
	cases := []struct {
		name  string
		batch []Input
	}{
		{"nil cache", []Input{{Tokens: []int{1}}}},
		{"no tokens", []Input{{Cache: m.NewCache(0)}}},
		{"token too large", []Input{{Cache: m.NewCache(0), Tokens: []int{1, 258}}}},
		{"negative token", []Input{{Cache: m.NewCache(0), Tokens: []int{-1}}}},
		{"shared cache", []Input{{Cache: shared, Tokens: []int{1}}, {Cache: shared, Tokens: []int{2}}}},
	}
	for _, tc := range cases {
		if _, err := m.Forward(tc.batch); err == nil {
			t.Errorf("%s: no error", tc.name)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
	}
	if shared.Len != 0 {
		t.Errorf("a refused batch changed a cache")
	}
}

// TestTruncate rewinds a cache and checks that refeeding gives the logits of
// a fresh run.
func TestTruncate(t *testing.T) {
	m, ref := loadReference(t, "testdata/tiny")
	c := m.NewCache(0)
	if _, err := m.Forward([]Input{{Cache: c, Tokens: ref.Prompt}}); err != nil {
		t.Fatal(err)
	}
	c.Truncate(3)
	if c.Len != 3 {
		t.Fatalf("Len %d after Truncate(3)", c.Len)
	}
	got, err := m.Forward([]Input{{Cache: c, Tokens: ref.Prompt[3:]}})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.Forward([]Input{{Cache: m.NewCache(0), Tokens: ref.Prompt}})
	for j := range want[0] {
		if math.Abs(float64(got[0][j]-want[0][j])) > 1e-5 {
			t.Fatalf("logit %d: %v after rewind, %v fresh", j, got[0][j], want[0][j])
		}
	}
}

// TestLongPrefill feeds 300 tokens after a 5-token prefix in one call (the
// blocked GEMM attention, across several row blocks) and checks every
// position's logits against feeding them one at a time.
func TestLongPrefill(t *testing.T) {
	m, _ := loadReference(t, "testdata/tiny")
	toks := make([]int, 305)
	for i := range toks {
		toks[i] = (i*37 + 11) % m.Config.VocabSize
	}
	c := m.NewCache(0)
	if _, err := m.Forward([]Input{{Cache: c, Tokens: toks[:5]}}); err != nil {
		t.Fatal(err)
	}
	all, err := m.Forward([]Input{{Cache: c, Tokens: toks[5:], AllLogits: true}})
	if err != nil {
		t.Fatal(err)
	}
	v := m.Config.VocabSize
	step := m.NewCache(0)
	for i, tok := range toks {
		one, err := m.Forward([]Input{{Cache: step, Tokens: []int{tok}}})
		if err != nil {
			t.Fatal(err)
		}
		if i < 5 {
			continue
		}
		got := all[0][(i-5)*v : (i-4)*v]
		for j := range v {
			if d := math.Abs(float64(got[j] - one[0][j])); d > 1e-4 {
				t.Fatalf("position %d logit %d: one call %v, stepwise %v", i, j, got[j], one[0][j])
			}
		}
	}
}

func TestNoLogits(t *testing.T) {
	m, ref := loadReference(t, "testdata/tiny")
	a, b := m.NewCache(0), m.NewCache(0)
	out, err := m.Forward([]Input{{Cache: a, Tokens: ref.Prompt[:5], NoLogits: true}, {Cache: b, Tokens: ref.Prompt}})
	if err != nil {
		t.Fatal(err)
	}
	if out[0] != nil || len(out[1]) != m.Config.VocabSize || a.Len != 5 {
		t.Fatalf("NoLogits input got %d logits (cache %d); other got %d", len(out[0]), a.Len, len(out[1]))
	}
	rest, err := m.Forward([]Input{{Cache: a, Tokens: ref.Prompt[5:]}})
	if err != nil {
		t.Fatal(err)
	}
	for j := range rest[0] {
		if math.Abs(float64(rest[0][j]-out[1][j])) > 1e-5 {
			t.Fatalf("logit %d after a NoLogits prefix: %v, want %v", j, rest[0][j], out[1][j])
		}
	}
}
