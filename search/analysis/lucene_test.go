package analysis

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"testing"
)

// TestLuceneEnglish compares Analyze with Lucene 8.7's EnglishAnalyzer on
// crafted edge cases and real HotpotQA and wiki18 text (testdata/
// lucene_english.jsonl, made by make_lucene_fixture.py with Lucene itself).
func TestLuceneEnglish(t *testing.T) {
	f, err := os.Open("testdata/lucene_english.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var c struct {
			Text  string   `json:"text"`
			Terms []string `json:"terms"`
		}
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		n++
		if got := Analyze(c.Text); !slices.Equal(got, c.Terms) {
			t.Errorf("Analyze(%.200q):\n got %q\nwant %q", c.Text, got, c.Terms)
		}
	}
	if n < 500 {
		t.Fatalf("only %d cases", n)
	}
}
