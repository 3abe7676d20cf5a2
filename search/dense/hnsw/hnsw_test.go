package hnsw

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"research/tensor"
)

// flat is a Space over float32 rows.
type flat struct {
	d    int
	data []float32
}

func (f flat) Len() int                            { return len(f.data) / f.d }
func (f flat) Dim() int                            { return f.d }
func (f flat) Dot(q []float32, i int) float32      { return tensor.Dot(q, f.data[i*f.d:(i+1)*f.d]) }
func (f flat) Vector(i int, _ []float32) []float32 { return f.data[i*f.d : (i+1)*f.d] }

// clustered draws n unit vectors around c random centres.
func clustered(rng *rand.Rand, n, c, d int) flat {
	centres := make([]float32, c*d)
	for i := range centres {
		centres[i] = float32(rng.NormFloat64())
	}
	f := flat{d: d, data: make([]float32, n*d)}
	for i := range n {
		ctr := centres[rng.IntN(c)*d:]
		v := f.data[i*d : (i+1)*d]
		var ss float64
		for j := range v {
			v[j] = ctr[j] + 0.5*float32(rng.NormFloat64())
			ss += float64(v[j]) * float64(v[j])
		}
		for j := range v {
			v[j] /= float32(math.Sqrt(ss))
		}
	}
	return f
}

func exact(f flat, q []float32, k int) []int {
	type hit struct {
		id int
		s  float32
	}
	hits := make([]hit, f.Len())
	for i := range hits {
		hits[i] = hit{i, f.Dot(q, i)}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if a.s > b.s {
			return -1
		}
		if a.s < b.s {
			return 1
		}
		return a.id - b.id
	})
	ids := make([]int, k)
	for i := range ids {
		ids[i] = hits[i].id
	}
	return ids
}

func recall(g *Graph, f flat, queries flat, k, ef int) float64 {
	found := 0
	for qi := range queries.Len() {
		q := queries.Vector(qi, nil)
		want := exact(f, q, k)
		for _, r := range g.Search(f, q, k, ef) {
			if slices.Contains(want, r.ID) {
				found++
			}
		}
	}
	return float64(found) / float64(k*queries.Len())
}

// TestRecall checks recall@10 against exact search on clustered vectors,
// and that a saved and reloaded graph answers identically.
func TestRecall(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	f := clustered(rng, 4000, 40, 64)
	queries := clustered(rand.New(rand.NewPCG(3, 4)), 100, 40, 64)
	g, err := Build(context.Background(), f, Params{M: 16, EfConstruction: 100, Seed: 7, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	r := recall(g, f, queries, 10, 128)
	t.Logf("recall@10 at ef=128: %.4f", r)
	if r < 0.95 {
		t.Errorf("recall@10 = %.4f, want >= 0.95", r)
	}
	var buf bytes.Buffer
	if _, err := g.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	g2, err := Load(buf.Bytes(), f.Len())
	if err != nil {
		t.Fatal(err)
	}
	for qi := range queries.Len() {
		q := queries.Vector(qi, nil)
		if a, b := g.Search(f, q, 10, 32), g2.Search(f, q, 10, 32); !slices.Equal(a, b) {
			t.Fatalf("query %d: reloaded graph answers %v, built graph %v", qi, b, a)
		}
	}
}

func TestSmall(t *testing.T) {
	for _, n := range []int{0, 1, 2, 5} {
		f := clustered(rand.New(rand.NewPCG(uint64(n), 1)), n, 2, 8)
		g, err := Build(context.Background(), f, Params{})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			continue
		}
		got := g.Search(f, f.Vector(0, nil), 3, 10)
		if len(got) != min(3, n) || got[0].ID != 0 {
			t.Errorf("n=%d: search for vector 0 got %v", n, got)
		}
	}
}

func TestLoadRejects(t *testing.T) {
	f := clustered(rand.New(rand.NewPCG(5, 6)), 50, 3, 8)
	g, err := Build(context.Background(), f, Params{M: 4})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	g.WriteTo(&buf)
	good := buf.Bytes()
	if _, err := Load(good, 51); err == nil {
		t.Error("accepted a graph for the wrong vector count")
	}
	bad := slices.Clone(good)
	bad[8] = 9
	if _, err := Load(bad, 50); err == nil {
		t.Error("accepted an unknown version")
	}
	if _, err := Load(good[:len(good)-4], 50); err == nil {
		t.Error("accepted a truncated graph")
	}
}

func FuzzLoad(f *testing.F) {
	fl := clustered(rand.New(rand.NewPCG(5, 6)), 20, 3, 8)
	g, _ := Build(context.Background(), fl, Params{M: 4})
	var buf bytes.Buffer
	g.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		g, err := Load(slices.Clone(data), 20)
		if err != nil {
			return
		}
		g.Search(fl, fl.Vector(3, nil), 5, 10) // must not panic
	})
}
