package model

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkForward times the demo's base policy in tokens per second at the
// shapes a rollout step has: 16 sequences decoding one token each after 200
// of context, one prefill of 256 tokens, both in one forward, and the
// decode steps with a short insertion (32 tokens).
func BenchmarkForward(b *testing.B) {
	if testing.Short() {
		b.Skip("loads the demo's base policy")
	}
	m, err := Load("../demo/base")
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	tokens := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = r.IntN(m.Config.VocabSize)
		}
		return out
	}
	const ctx, seqs, prefill = 200, 16, 256
	decoders := make([]*KVCache, seqs)
	for i := range decoders {
		decoders[i] = m.NewCache(ctx + 1)
		if _, err := m.Forward([]Input{{Cache: decoders[i], Tokens: tokens(ctx)}}); err != nil {
			b.Fatal(err)
		}
	}
	prompt, filler := tokens(prefill), m.NewCache(prefill)
	step := func(decode bool, fill int) int {
		var batch []Input
		fed := 0
		if decode {
			for _, c := range decoders {
				c.Truncate(ctx)
				batch = append(batch, Input{Cache: c, Tokens: []int{r.IntN(m.Config.VocabSize)}})
				fed++
			}
		}
		if fill > 0 {
			filler.Truncate(0)
			batch = append(batch, Input{Cache: filler, Tokens: prompt[:fill]})
			fed += fill
		}
		if _, err := m.Forward(batch); err != nil {
			b.Fatal(err)
		}
		return fed
	}
	for _, bc := range []struct {
		name   string
		decode bool
		fill   int
	}{{"decode16", true, 0}, {"prefill256", false, prefill}, {"mixed", true, prefill}, {"insert32", true, 32}} {
		b.Run(bc.name, func(b *testing.B) {
			fed := 0
			for b.Loop() {
				fed += step(bc.decode, bc.fill)
			}
			b.ReportMetric(float64(fed)/b.Elapsed().Seconds(), "tok/s")
		})
	}
}
