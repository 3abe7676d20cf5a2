package dense

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"research/search/dense/hnsw"
)

// tableEncoder maps "vN", with any prefix, to row N of a table of
// random unit vectors, and records the texts it saw.
type tableEncoder struct {
	d    int
	rows [][]float32
	mu   sync.Mutex
	seen []string
}

func newTable(n, d int, seed uint64) *tableEncoder {
	rng := rand.New(rand.NewPCG(seed, 1))
	t := &tableEncoder{d: d}
	for range n {
		v := make([]float32, d)
		var ss float64
		for j := range v {
			v[j] = float32(rng.NormFloat64())
			ss += float64(v[j] * v[j])
		}
		for j := range v {
			v[j] /= float32(math.Sqrt(ss))
		}
		t.rows = append(t.rows, v)
	}
	return t
}

func (t *tableEncoder) Encode(_ context.Context, texts []string) ([][]float32, error) {
	t.mu.Lock()
	t.seen = append(t.seen, texts...)
	t.mu.Unlock()
	out := make([][]float32, len(texts))
	for i, s := range texts {
		n, err := strconv.Atoi(s[strings.LastIndex(s, "v")+1:])
		if err != nil || n >= len(t.rows) {
			return nil, fmt.Errorf("bad text %q", s)
		}
		out[i] = t.rows[n]
	}
	return out, nil
}

func corpus(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"id\":\"p%d\",\"contents\":\"v%d\"}\n", i, i)
	}
	return b.String()
}

func build(t *testing.T, enc Encoder, n int, opt BuildOptions) *Index {
	t.Helper()
	out := filepath.Join(t.TempDir(), "idx")
	opt.Prefixes = E5Prefixes
	if _, err := Build(context.Background(), strings.NewReader(corpus(n)), "corpus", out, enc, opt); err != nil {
		t.Fatal(err)
	}
	ix, err := Open(out, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

// bruteForce ranks all rows in float64.
func bruteForce(rows [][]float32, q []float32, k int) []int {
	type s struct {
		i int
		v float64
	}
	all := make([]s, len(rows))
	for i, r := range rows {
		for j := range r {
			all[i].v += float64(r[j]) * float64(q[j])
		}
		all[i].i = i
	}
	slices.SortFunc(all, func(a, b s) int {
		if a.v > b.v {
			return -1
		}
		if a.v < b.v {
			return 1
		}
		return a.i - b.i
	})
	ids := make([]int, k)
	for i := range ids {
		ids[i] = all[i].i
	}
	return ids
}

// TestExact checks exact search against brute force for each storage type,
// over more vectors than one chunk.
func TestExact(t *testing.T) {
	const n, d, k = chunkRows + 500, 24, 10
	enc := newTable(n, d, 1)
	queries := newTable(20, d, 2).rows
	for _, tc := range []struct {
		dt        DType
		minRecall float64
		scoreTol  float64
	}{{F32, 1, 1e-5}, {F16, 0.97, 2e-3}, {Int8, 0.9, 2e-2}} {
		t.Run(string(tc.dt), func(t *testing.T) {
			ix := build(t, enc, n, BuildOptions{DType: tc.dt, BatchSize: 100})
			hits, err := ix.Exact(queries, k)
			if err != nil {
				t.Fatal(err)
			}
			found := 0
			for qi, q := range queries {
				want := bruteForce(enc.rows, q, k)
				for _, h := range hits[qi] {
					if slices.Contains(want, h.Doc) {
						found++
					}
					var exact float64
					for j := range q {
						exact += float64(q[j]) * float64(enc.rows[h.Doc][j])
					}
					if math.Abs(exact-float64(h.Score)) > tc.scoreTol {
						t.Fatalf("query %d doc %d: score %g, exact %g", qi, h.Doc, h.Score, exact)
					}
				}
				if !slices.IsSortedFunc(hits[qi], func(a, b Hit) int { return cmpHit(a, b) }) {
					t.Fatalf("query %d: hits not best first", qi)
				}
			}
			if r := float64(found) / float64(k*len(queries)); r < tc.minRecall {
				t.Errorf("recall@%d vs brute force = %.3f, want >= %.3f", k, r, tc.minRecall)
			}
		})
	}
}

func cmpHit(a, b Hit) int {
	if better(a, b) {
		return -1
	}
	if better(b, a) {
		return 1
	}
	return 0
}

// TestRetriever checks prefixes, passages and the HNSW path end to end.
func TestRetriever(t *testing.T) {
	const n = 2000
	enc := newTable(n, 32, 3)
	ix := build(t, enc, n, BuildOptions{DType: F16, HNSW: &hnsw.Params{M: 16, EfConstruction: 100}})
	if !slices.Contains(enc.seen, "passage: v17") {
		t.Fatalf("passage prefix not applied: %v", enc.seen[:3])
	}
	for _, ef := range []int{0, 100} {
		r, err := NewRetriever(ix, enc, ef)
		if err != nil {
			t.Fatal(err)
		}
		docs, err := r.Search(context.Background(), []string{"v5", "v1999"}, 3)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{"p5", "p1999"} {
			if len(docs[i]) != 3 || docs[i][0].ID != want || docs[i][0].Contents != docs[i][0].Text {
				t.Errorf("ef=%d query %d: got %+v, want %s first", ef, i, docs[i][0], want)
			}
		}
	}
	if !slices.Contains(enc.seen, "query: v1999") {
		t.Error("query prefix not applied")
	}
	bare := build(t, enc, 10, BuildOptions{})
	if _, err := NewRetriever(bare, enc, 10); err == nil {
		t.Error("ef > 0 accepted on an index without a graph")
	}
}

func TestBuildErrors(t *testing.T) {
	enc := newTable(5, 4, 1)
	for _, tc := range []struct{ corpus, want string }{
		{"{\"id\":\"a\",\"contents\":\"v1\"}\n{bad\n", "corpus:2"},
		{"{\"id\":\"a\",\"contents\":\"v9\"}\n", "bad text"},
		{"\n\n", "no passages"},
	} {
		out := filepath.Join(t.TempDir(), "idx")
		_, err := Build(context.Background(), strings.NewReader(tc.corpus), "corpus", out, enc, BuildOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.corpus, err, tc.want)
		}
		if _, serr := os.Stat(out); serr == nil {
			t.Errorf("%q: failed build left %s", tc.corpus, out)
		}
	}
	out := filepath.Join(t.TempDir(), "idx")
	os.Mkdir(out, 0o755)
	if _, err := Build(context.Background(), strings.NewReader(corpus(2)), "c", out, enc, BuildOptions{}); err == nil {
		t.Error("overwrote an existing directory without Overwrite")
	}
	if _, err := Build(context.Background(), strings.NewReader(corpus(2)), "c", out, enc, BuildOptions{DType: "f8"}); err == nil {
		t.Error("accepted dtype f8")
	}
}

func TestOpenRejects(t *testing.T) {
	enc := newTable(50, 8, 1)
	mk := func() string {
		out := filepath.Join(t.TempDir(), "idx")
		if _, err := Build(context.Background(), strings.NewReader(corpus(50)), "c", out, enc, BuildOptions{DType: Int8, HNSW: &hnsw.Params{M: 4}}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	edit := func(path string, f func([]byte) []byte) {
		raw, _ := os.ReadFile(path)
		os.WriteFile(path, f(raw), 0o644)
	}
	for _, tc := range []struct {
		name string
		harm func(dir string)
		want string
	}{
		{"no meta", func(d string) { os.Remove(filepath.Join(d, "meta.json")) }, "no meta.json"},
		{"version", func(d string) {
			edit(filepath.Join(d, "meta.json"), func(b []byte) []byte {
				return []byte(strings.Replace(string(b), `"version": 1`, `"version": 99`, 1))
			})
		}, "format version 99"},
		{"flipped byte", func(d string) {
			edit(filepath.Join(d, "vectors.bin"), func(b []byte) []byte { b[len(b)-1] ^= 1; return b })
		}, "checksum"},
		{"truncated", func(d string) {
			edit(filepath.Join(d, "graph.bin"), func(b []byte) []byte { return b[:len(b)-4] })
		}, "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := mk()
			tc.harm(dir)
			_, err := Open(dir, OpenOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestMetaJSON(t *testing.T) {
	enc := newTable(3, 4, 1)
	ix := build(t, enc, 3, BuildOptions{EncoderName: "table"})
	raw, _ := json.Marshal(ix.Meta)
	for _, want := range []string{`"dtype":"f32"`, `"query":"query: "`, `"encoder":"table"`, `"count":3`, `"dim":4`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("meta %s lacks %s", raw, want)
		}
	}
}

func TestSearchRejects(t *testing.T) {
	enc := newTable(5, 4, 1)
	ix := build(t, enc, 5, BuildOptions{HNSW: &hnsw.Params{M: 4}})
	q := enc.rows[0]
	for name, err := range map[string]error{
		"exact k=0":    second(ix.Exact([][]float32{q}, 0)),
		"exact dim":    second(ix.Exact([][]float32{q[:3]}, 1)),
		"approx k=0":   second(ix.Approx(q, 0, 10)),
		"approx dim":   second(ix.Approx(q[:3], 1, 10)),
		"retriever k":  second(must(NewRetriever(ix, enc, 0)).Search(context.Background(), []string{"v1"}, 0)),
		"encoder fail": second(must(NewRetriever(ix, enc, 0)).Search(context.Background(), []string{"nope"}, 1)),
	} {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	hits, err := ix.Exact([][]float32{q}, 50)
	if err != nil || len(hits[0]) != 5 {
		t.Errorf("k > count: %v, %v", hits, err)
	}
}

func second[T any](_ T, err error) error { return err }

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
