package bm25

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"research/search/analysis"
)

// randomCorpus writes n passages over a Zipf-distributed vocabulary of
// vocab words; every tenth passage repeats an earlier one, so that scores
// tie and the tie-break is exercised.
func randomCorpus(t *testing.T, rng *rand.Rand, n, vocab int) (string, []string) {
	t.Helper()
	words := make([]string, vocab)
	for i := range words {
		words[i] = fmt.Sprintf("w%sx", strings.Repeat(string(rune('a'+i%26)), 1+i/26))
	}
	zipf := rand.NewZipf(rng, 1.1, 2, uint64(vocab-1))
	var sb strings.Builder
	var contents []string
	for i := range n {
		var c string
		if i%10 == 9 {
			c = contents[rng.IntN(len(contents))]
		} else {
			var body []string
			for range 3 + rng.IntN(40) {
				body = append(body, words[zipf.Uint64()])
			}
			c = fmt.Sprintf("\"Title %d\"\n%s", i, strings.Join(body, " "))
		}
		contents = append(contents, c)
		line, _ := json.Marshal(map[string]any{"id": fmt.Sprint(i), "contents": c})
		sb.Write(line)
		sb.WriteByte('\n')
	}
	return sb.String(), contents
}

// buildIndex builds corpus into a temporary directory and opens it.
func buildIndex(t *testing.T, corpus string, opt BuildOptions) *Index {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "index")
	if _, err := Build(context.Background(), strings.NewReader(corpus), "corpus.jsonl", dir, opt); err != nil {
		t.Fatal(err)
	}
	ix, err := Open(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

// oracle is textbook BM25 computed straight from the analyzed passages,
// without an index: the reference for rankings.
type oracle struct {
	tfs   []map[string]int
	lens  []int
	df    map[string]int
	avgdl float64
	p     Params
}

func newOracle(contents []string, p Params) *oracle {
	o := &oracle{df: map[string]int{}, p: p}
	total := 0
	for _, c := range contents {
		tf := map[string]int{}
		terms := analysis.Analyze(c)
		for _, t := range terms {
			tf[t]++
		}
		for t := range tf {
			o.df[t]++
		}
		o.tfs = append(o.tfs, tf)
		o.lens = append(o.lens, len(terms))
		total += len(terms)
	}
	o.avgdl = float64(total) / float64(len(contents))
	return o
}

func (o *oracle) topK(query string, k int) []Hit {
	qtf := map[string]int{}
	for _, t := range analysis.Analyze(query) {
		qtf[t]++
	}
	var terms []string
	for t := range qtf {
		if o.df[t] > 0 {
			terms = append(terms, t)
		}
	}
	slices.Sort(terms)
	n := float64(len(o.tfs))
	var hits []Hit
	for d, tf := range o.tfs {
		score, matched := 0.0, false
		norm := o.p.K1 * (1 - o.p.B + o.p.B*float64(o.lens[d])/o.avgdl)
		for _, t := range terms {
			f := float64(tf[t])
			df := float64(o.df[t])
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			score += float64(qtf[t]) * (idf * (f / (f + norm)))
			matched = matched || tf[t] > 0
		}
		if matched {
			hits = append(hits, Hit{uint32(d), score})
		}
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return int(a.Doc) - int(b.Doc)
	})
	return hits[:min(k, len(hits))]
}

// TestRankingExact checks on random corpora and queries that the pruned
// search, the exhaustive search and textbook BM25 return the same passages
// with bit-identical scores, including the order of ties. A small memory
// budget forces the build through several spilled segments.
func TestRankingExact(t *testing.T) {
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 6))
		n := 300 + rng.IntN(900)
		corpus, contents := randomCorpus(t, rng, n, 50+rng.IntN(400))
		p := Params{K1: 0.5 + rng.Float64(), B: rng.Float64()}
		ix := buildIndex(t, corpus, BuildOptions{Params: p, MemBytes: 20_000, Workers: 3})
		o := newOracle(contents, p)
		for q := range 200 {
			words := strings.Fields(contents[rng.IntN(n)])
			var query []string
			for range 1 + rng.IntN(6) {
				query = append(query, words[rng.IntN(len(words))])
			}
			if q%7 == 0 {
				query = append(query, "unknownword")
			}
			qs := strings.Join(query, " ")
			k := 1 + rng.IntN(12)
			want := o.topK(qs, k)
			if got := ix.topK(qs, k, false); !slices.Equal(got, want) {
				t.Fatalf("seed %d query %q k %d: exhaustive\n got %v\nwant %v", seed, qs, k, got, want)
			}
			if got := ix.TopK(qs, k); !slices.Equal(got, want) {
				t.Fatalf("seed %d query %q k %d: pruned\n got %v\nwant %v", seed, qs, k, got, want)
			}
		}
	}
}

// TestLuceneScore checks the BM25 formula on a hand-computed case: N = 2,
// df = 1, tf = 1, dl = avgdl, so idf = ln(1 + 1.5/1.5) = ln 2 and the
// score is ln 2 * 1 / (1 + k1).
// TestZeroParamsMeanDefaults: options without parameters build a BM25
// index with the defaults, where a term's frequency counts (with k1 = 0 it
// would not).
func TestZeroParamsMeanDefaults(t *testing.T) {
	corpus := `{"id":"once","contents":"Gugungu lies near Kroldu"}
{"id":"thrice","contents":"Gugungu is a city. Gugungu lies near Gugungu"}
`
	ix := buildIndex(t, corpus, BuildOptions{})
	if ix.Params() != DefaultParams {
		t.Errorf("params %+v, want %+v", ix.Params(), DefaultParams)
	}
	docs, err := ix.Search(context.Background(), []string{"Gugungu"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if docs[0][0].ID != "thrice" || !(docs[0][0].Score > docs[0][1].Score) {
		t.Errorf("ranking %+v: want the passage with three mentions first", docs[0])
	}
}

func TestLuceneScore(t *testing.T) {
	ix := buildIndex(t, `{"id":"a","contents":"apple banana"}`+"\n"+`{"id":"b","contents":"cherry grape"}`+"\n", BuildOptions{})
	hits := ix.TopK("apple", 5)
	want := math.Ln2 / (1 + 0.9)
	if len(hits) != 1 || hits[0].Doc != 0 || math.Abs(hits[0].Score-want) > 1e-12 {
		t.Fatalf("TopK(apple) = %v, want doc 0 with score %v", hits, want)
	}
}

func TestPassageStore(t *testing.T) {
	corpus := `{"id": "1", "contents": "\"Kansas Song\"\nKansas Song is the fight song."}
{"id": 42, "title": "Lawrence", "text": "A city in Kansas."}

{"id": "x", "contents": "no title line", "extra": [1, 2]}
`
	ix := buildIndex(t, corpus, BuildOptions{})
	docs, err := ix.Search(context.Background(), []string{"fight song", "city of Lawrence", "title", "zzz"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	type want struct{ id, title, text, contents string }
	cases := []want{
		{"1", "Kansas Song", "Kansas Song is the fight song.", "\"Kansas Song\"\nKansas Song is the fight song."},
		{"42", "Lawrence", "A city in Kansas.", "\"Lawrence\"\nA city in Kansas."},
		{"x", "", "no title line", "no title line"},
	}
	for i, c := range cases {
		if len(docs[i]) == 0 {
			t.Fatalf("query %d: no result", i)
		}
		d := docs[i][0]
		if (want{d.ID, d.Title, d.Text, d.Contents}) != c || d.Score <= 0 {
			t.Errorf("query %d: got %+v, want %+v", i, d, c)
		}
	}
	if len(docs[3]) != 0 {
		t.Errorf("query with no indexed term returned %v", docs[3])
	}
	if _, err := ix.Search(context.Background(), []string{"x"}, 0); err == nil {
		t.Error("k = 0 accepted")
	}
}

func TestBuildErrors(t *testing.T) {
	cases := []struct{ corpus, want string }{
		{`{"id":"1","contents":"ok"}` + "\n" + `{"id":"2","contents":`, "corpus.jsonl line 2: invalid JSON"},
		{`{"contents":"no id"}`, `line 1: missing "id"`},
		{`{"id":"1"}`, `line 1: need "contents" or "text"`},
		{`{"id":[1],"contents":"x"}`, `line 1: "id" must be a string or a number`},
		{"\n\n", "no passages"},
	}
	for _, c := range cases {
		dir := filepath.Join(t.TempDir(), "index")
		_, err := Build(context.Background(), strings.NewReader(c.corpus), "corpus.jsonl", dir, BuildOptions{Params: DefaultParams})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("corpus %q: error %v, want %q", c.corpus, err, c.want)
		}
		if _, serr := os.Stat(dir); serr == nil {
			t.Errorf("corpus %q: failed build left %s behind", c.corpus, dir)
		}
		if m, _ := filepath.Glob(dir + ".tmp-*"); len(m) > 0 {
			t.Errorf("corpus %q: failed build left %v behind", c.corpus, m)
		}
	}
	if _, err := Build(context.Background(), strings.NewReader(""), "c", t.TempDir(), BuildOptions{Params: Params{K1: -1}}); err == nil {
		t.Error("k1 = -1 accepted")
	}
}

// TestOpenRefusesDamage checks that a flipped byte, a truncated file and an
// unknown version are refused with a message naming the problem.
func TestOpenRefusesDamage(t *testing.T) {
	corpus := `{"id":"1","contents":"apple banana"}` + "\n"
	fresh := func() string {
		dir := filepath.Join(t.TempDir(), "index")
		if _, err := Build(context.Background(), strings.NewReader(corpus), "c", dir, BuildOptions{Params: DefaultParams}); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	dir := fresh()
	if _, err := Build(context.Background(), strings.NewReader(corpus), "c", dir, BuildOptions{Params: DefaultParams}); err == nil {
		t.Error("build over an existing index without Overwrite succeeded")
	}
	if _, err := Build(context.Background(), strings.NewReader(corpus), "c", dir, BuildOptions{Params: DefaultParams, Overwrite: true}); err != nil {
		t.Errorf("overwrite: %v", err)
	}

	path := filepath.Join(dir, "postings.bin")
	data, _ := os.ReadFile(path)
	data[len(data)-1] ^= 1
	os.WriteFile(path, data, 0o644)
	if _, err := Open(dir, OpenOptions{}); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("flipped byte: %v", err)
	}

	dir = fresh()
	os.WriteFile(filepath.Join(dir, "store.bin"), []byte("RBM25STO"), 0o644)
	if _, err := Open(dir, OpenOptions{}); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("truncated file: %v", err)
	}

	dir = fresh()
	meta, _ := os.ReadFile(filepath.Join(dir, "meta.json"))
	os.WriteFile(filepath.Join(dir, "meta.json"), []byte(strings.Replace(string(meta), `"version": 1`, `"version": 99`, 1)), 0o644)
	if _, err := Open(dir, OpenOptions{}); err == nil || !strings.Contains(err.Error(), "version 99") {
		t.Errorf("unknown version: %v", err)
	}

	if _, err := Open(t.TempDir(), OpenOptions{}); err == nil || !strings.Contains(err.Error(), "meta.json") {
		t.Errorf("empty dir: %v", err)
	}
}

// TestParamsOverride checks that overriding k1 and b at open time scores
// with the new parameters (exactly, without pruning).
func TestParamsOverride(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	corpus, contents := randomCorpus(t, rng, 400, 100)
	dir := filepath.Join(t.TempDir(), "index")
	if _, err := Build(context.Background(), strings.NewReader(corpus), "c", dir, BuildOptions{Params: DefaultParams}); err != nil {
		t.Fatal(err)
	}
	p := Params{K1: 1.2, B: 0.75}
	ix, err := Open(dir, OpenOptions{Params: &p})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	o := newOracle(contents, p)
	for i := range 50 {
		q := strings.Join(strings.Fields(contents[i])[1:3], " ")
		if got, want := ix.TopK(q, 5), o.topK(q, 5); !slices.Equal(got, want) {
			t.Fatalf("query %q: got %v, want %v", q, got, want)
		}
	}
}

// FuzzDamagedIndex flips bytes of an index opened without its checksum
// pass and searches it: results may be wrong, but nothing may panic.
func FuzzDamagedIndex(f *testing.F) {
	rng := rand.New(rand.NewPCG(1, 2))
	var sb strings.Builder
	for i := range 300 {
		fmt.Fprintf(&sb, `{"id":"%d","contents":"w%d w%d w%d common"}`+"\n", i, rng.IntN(50), rng.IntN(50), i%7)
	}
	dir := filepath.Join(f.TempDir(), "index")
	if _, err := Build(context.Background(), strings.NewReader(sb.String()), "c", dir, BuildOptions{Params: DefaultParams}); err != nil {
		f.Fatal(err)
	}
	names := []string{"terms.bin", "postings.bin", "skips.bin", "doclen.bin", "store.bin", "storeidx.bin"}
	orig := map[string][]byte{}
	for _, n := range names {
		orig[n], _ = os.ReadFile(filepath.Join(dir, n))
	}
	f.Add(uint8(1), uint32(100), uint8(0xff))
	f.Add(uint8(2), uint32(20), uint8(0x80))
	f.Fuzz(func(t *testing.T, file uint8, off uint32, xor uint8) {
		name := names[int(file)%len(names)]
		data := slices.Clone(orig[name])
		data[headerSize+int(off)%(len(data)-headerSize)] ^= xor
		os.WriteFile(filepath.Join(dir, name), data, 0o644)
		defer os.WriteFile(filepath.Join(dir, name), orig[name], 0o644)
		ix, err := Open(dir, OpenOptions{SkipVerify: true})
		if err != nil {
			return
		}
		defer ix.Close()
		ix.Search(context.Background(), []string{"common w3", "w1 w2 w4 w5", "w6"}, 10)
	})
}

// TestBuildForceRefusesNonIndex checks that Overwrite (index --force)
// refuses a folder of notes and a file at the output instead of deleting
// them.
func TestBuildForceRefusesNonIndex(t *testing.T) {
	corpus := `{"id":"1","contents":"apple banana"}` + "\n"
	for _, tc := range []struct {
		name string
		make func(out string) error
	}{
		{"folder of notes", func(out string) error {
			if err := os.Mkdir(out, 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(out, "notes.md"), []byte("keep"), 0o644)
		}},
		{"jsonl file", func(out string) error { return os.WriteFile(out, []byte("keep"), 0o644) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			if err := tc.make(out); err != nil {
				t.Fatal(err)
			}
			_, err := Build(context.Background(), strings.NewReader(corpus), "c", out, BuildOptions{Params: DefaultParams, Overwrite: true})
			if err == nil || !strings.Contains(err.Error(), "refusing to replace") {
				t.Fatalf("error %v, want a refusal", err)
			}
			if _, err := os.Stat(out); err != nil {
				t.Errorf("out is gone: %v", err)
			}
		})
	}
}
