// Command ann measures the dense index on synthetic clustered vectors:
// build time and peak memory, exact search QPS, and HNSW recall@10 and QPS
// against exact search at several ef.
//
//	go run ./dense/ann -n 100000 -d 768
//
// Vectors are unit-normalised c + B·z + ε: one of -clusters random centres
// c, a point z of a shared -rank-dimensional subspace B, and small
// isotropic noise ε. Text embeddings have such a low intrinsic dimension;
// purely isotropic clusters in 768-d (-rank 0) are a harder case.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"research/search/dense"
	"research/search/dense/hnsw"
)

// synth is a dense.Encoder that turns "vN" into synthetic vector N.
type synth struct {
	d, rank int
	centres [][]float32
	basis   [][]float32
	seed    uint64
	spread  float64
	noise   float64
}

func newSynth(d, clusters, rank int, seed uint64) *synth {
	rng := rand.New(rand.NewPCG(seed, 0))
	s := &synth{d: d, rank: rank, seed: seed, spread: 0.6, noise: 0.05}
	randVec := func() []float32 {
		v := make([]float32, d)
		for j := range v {
			v[j] = float32(rng.NormFloat64() / math.Sqrt(float64(d)))
		}
		return v
	}
	for range clusters {
		s.centres = append(s.centres, randVec())
	}
	for range rank {
		s.basis = append(s.basis, randVec())
	}
	if rank == 0 {
		s.noise = 0.6
	}
	return s
}

// vector is deterministic in i, so queries can be drawn from the same law.
func (s *synth) vector(i uint64) []float32 {
	rng := rand.New(rand.NewPCG(s.seed+1, i))
	v := slices.Clone(s.centres[rng.IntN(len(s.centres))])
	for _, b := range s.basis {
		z := float32(rng.NormFloat64() * s.spread)
		for j := range v {
			v[j] += z * b[j]
		}
	}
	var ss float64
	for j := range v {
		v[j] += float32(rng.NormFloat64() * s.noise / math.Sqrt(float64(s.d)))
		ss += float64(v[j]) * float64(v[j])
	}
	for j := range v {
		v[j] /= float32(math.Sqrt(ss))
	}
	return v
}

func (s *synth) Encode(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i, t := range texts {
		var n uint64
		fmt.Sscanf(t[strings.LastIndex(t, "v")+1:], "%d", &n)
		out[i] = s.vector(n)
	}
	return out, nil
}

// corpus streams n passages "vN" without holding them.
type corpus struct {
	i, n int
	buf  []byte
}

func (c *corpus) Read(p []byte) (int, error) {
	for len(c.buf) < len(p) && c.i < c.n {
		c.buf = fmt.Appendf(c.buf, "{\"id\":\"%d\",\"contents\":\"v%d\"}\n", c.i, c.i)
		c.i++
	}
	if len(c.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func main() {
	n := flag.Int("n", 100000, "vectors")
	d := flag.Int("d", 768, "dimensions")
	clusters := flag.Int("clusters", 1000, "cluster centres")
	rank := flag.Int("rank", 32, "dimension of the shared subspace (0: isotropic clusters)")
	nq := flag.Int("queries", 200, "queries")
	dtype := flag.String("dtype", "f32", "storage: f32, f16, int8")
	withHNSW := flag.Bool("hnsw", true, "build and measure the HNSW graph")
	m := flag.Int("m", 16, "HNSW M")
	efc := flag.Int("ef-construction", 200, "HNSW ef construction")
	efs := flag.String("ef", "16,32,64,128,256", "ef values to measure")
	dir := flag.String("dir", "", "where to build (default a temporary directory, removed)")
	flag.Parse()

	s := newSynth(*d, *clusters, *rank, 42)
	out := *dir
	if out == "" {
		tmp, err := os.MkdirTemp("", "dense-ann-")
		check(err)
		defer os.RemoveAll(tmp)
		out = filepath.Join(tmp, "idx")
	}
	opt := dense.BuildOptions{DType: dense.DType(*dtype), BatchSize: 1024, Overwrite: true}
	if *withHNSW {
		opt.HNSW = &hnsw.Params{M: *m, EfConstruction: *efc, Seed: 1}
	}
	start := time.Now()
	_, err := dense.Build(context.Background(), &corpus{n: *n}, "synthetic", out, s, opt)
	check(err)
	build := time.Since(start)
	ix, err := dense.Open(out, dense.OpenOptions{SkipVerify: true})
	check(err)
	defer ix.Close()
	fmt.Printf("vectors %d x %d %s, clusters %d, rank %d; build %s (HNSW %v M=%d efC=%d); peak RSS %.0f MiB\n",
		*n, *d, *dtype, *clusters, *rank, build.Round(time.Millisecond), *withHNSW, *m, *efc, peakRSS())

	queries := make([][]float32, *nq)
	for i := range queries {
		queries[i] = s.vector(uint64(1<<40 + i))
	}
	const k = 10
	start = time.Now()
	truth := make([][]dense.Hit, *nq)
	for i, q := range queries {
		h, err := ix.Exact([][]float32{q}, k)
		check(err)
		truth[i] = h[0]
	}
	el := time.Since(start)
	fmt.Printf("exact, one query at a time: %.1f QPS (%.2f ms/query)\n", float64(*nq)/el.Seconds(), el.Seconds()*1000/float64(*nq))
	start = time.Now()
	batched, err := ix.Exact(queries, k)
	check(err)
	el = time.Since(start)
	fmt.Printf("exact, %d queries in one batch: %.1f QPS\n", *nq, float64(*nq)/el.Seconds())
	for i := range truth {
		if !slices.Equal(ids(truth[i]), ids(batched[i])) {
			fmt.Printf("warning: query %d batched result differs from single\n", i)
		}
	}
	if !*withHNSW {
		return
	}
	for _, f := range strings.Split(*efs, ",") {
		var ef int
		fmt.Sscan(f, &ef)
		found := 0
		start = time.Now()
		for i, q := range queries {
			h, err := ix.Approx(q, k, ef)
			check(err)
			for _, x := range ids(h) {
				if slices.Contains(ids(truth[i]), x) {
					found++
				}
			}
		}
		el = time.Since(start)
		fmt.Printf("hnsw ef=%-4d recall@10 %.4f  %.0f QPS (one goroutine)\n", ef, float64(found)/float64(k**nq), float64(*nq)/el.Seconds())
	}
}

func ids(h []dense.Hit) []int {
	out := make([]int, len(h))
	for i, x := range h {
		out[i] = x.Doc
	}
	return out
}

func peakRSS() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Maxrss) / 1024
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "ann:", err)
		os.Exit(1)
	}
}
