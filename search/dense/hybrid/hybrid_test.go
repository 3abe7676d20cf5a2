package hybrid

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"research/search"
)

// fixed returns the same ranked ids for every query.
type fixed struct {
	ids []string
	err error
}

func (f fixed) Search(_ context.Context, queries []string, k int) ([][]search.Doc, error) {
	if f.err != nil {
		return nil, f.err
	}
	out := make([][]search.Doc, len(queries))
	for q := range queries {
		for _, id := range f.ids[:min(k, len(f.ids))] {
			out[q] = append(out[q], search.Doc{ID: id, Contents: "c" + id})
		}
	}
	return out, nil
}

func ids(docs []search.Doc) string {
	var s []string
	for _, d := range docs {
		s = append(s, d.ID)
	}
	return strings.Join(s, ",")
}

func TestFuse(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lists [][]string
		k     int
		want  string
	}{
		{"one list keeps its order", [][]string{{"a", "b", "c"}}, 3, "a,b,c"},
		{"agreement wins", [][]string{{"a", "b", "c"}, {"c", "b", "x"}}, 4, "c,b,a,x"},
		{"tie goes to first seen", [][]string{{"a", "b"}, {"b", "a"}}, 2, "a,b"},
		{"k truncates", [][]string{{"a", "b"}, {"c", "d"}}, 1, "a"},
		{"empty", [][]string{{}, {}}, 3, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lists [][]search.Doc
			for _, l := range tc.lists {
				var docs []search.Doc
				for _, id := range l {
					docs = append(docs, search.Doc{ID: id})
				}
				lists = append(lists, docs)
			}
			if got := ids(Fuse(lists, tc.k, 60)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	got := Fuse([][]search.Doc{{{ID: "a"}}, {{ID: "b"}, {ID: "a"}}}, 1, 60)
	if want := 1.0/61 + 1.0/62; math.Abs(got[0].Score-want) > 1e-12 {
		t.Errorf("fused score %g, want %g", got[0].Score, want)
	}
}

func TestRetriever(t *testing.T) {
	r := &Retriever{Retrievers: []search.Retriever{fixed{ids: []string{"a", "b", "c"}}, fixed{ids: []string{"c", "b"}}}}
	// c: 1/63 + 1/61 beats b: 2/62 beats a: 1/61.
	docs, err := r.Search(context.Background(), []string{"q1", "q2"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || ids(docs[0]) != "c,b" || docs[1][0].Contents != "cc" {
		t.Errorf("got %v", docs)
	}
	r.Retrievers = append(r.Retrievers, fixed{err: errors.New("down")})
	if _, err := r.Search(context.Background(), []string{"q"}, 2); err == nil || !strings.Contains(err.Error(), "retriever 2: down") {
		t.Errorf("err = %v", err)
	}
	if _, err := r.Search(context.Background(), []string{"q"}, 0); err == nil {
		t.Error("k = 0 accepted")
	}
}
