package tokenizer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/trained/tokenizer.json from the shared corpus")

// The committed trained tokenizer: 1,024 ids learnt from the first 800
// passages of ../shared/data/corpus/wiki18_sample_1000.jsonl.
var trainedFixture = TrainOptions{
	VocabSize: 1024,
	Special:   []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>"},
	Pattern:   PatternQwen2,
	NFC:       true,
}

const (
	trainedJSON    = "testdata/trained/tokenizer.json"
	trainedHeldout = "testdata/trained/heldout_hf.jsonl"
	trainPassages  = 800
)

func wikiPassages(t *testing.T) []string {
	f, err := os.Open(needShared(t, "data/corpus/wiki18_sample_1000.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var p struct{ Contents string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p.Contents)
	}
	return out
}

// TestTrainReproducesFixture retrains the committed tokenizer and checks
// that training is deterministic and Save writes the same bytes.
func TestTrainReproducesFixture(t *testing.T) {
	tr, err := NewTrainer(trainedFixture)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range wikiPassages(t)[:trainPassages] {
		tr.Add(p)
	}
	tk, err := tr.Train()
	if err != nil {
		t.Fatal(err)
	}
	if tk.VocabSize() != trainedFixture.VocabSize {
		t.Errorf("vocab size %d, want %d", tk.VocabSize(), trainedFixture.VocabSize)
	}
	got, err := tk.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(trainedJSON), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := tk.Save(trainedJSON); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(trainedJSON)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("retrained tokenizer differs from %s (run with -update after an intended change)", trainedJSON)
	}
}

// TestTrainedMatchesHF: HF tokenizers loaded our trained tokenizer.json
// and encoded held-out text (testdata/generate.sh); we must agree.
func TestTrainedMatchesHF(t *testing.T) {
	tk, err := Load(trainedJSON)
	if err != nil {
		t.Fatal(err)
	}
	cases := readEncodings(t, trainedHeldout)
	if len(cases) < 100 {
		t.Fatalf("only %d held-out cases", len(cases))
	}
	checkEncodings(t, tk, cases)
}

func TestTrainSmall(t *testing.T) {
	corpus := []string{
		"the cat sat on the mat", "the cat ate the rat", "a hat for the cat",
		"<|end|>the mat is flat", "that cat, the fat cat, sat", "naïve café",
	}
	tr, err := NewTrainer(TrainOptions{VocabSize: 280, Special: []string{"<|end|>"}, NFC: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range corpus {
		tr.Add(c)
	}
	tk, err := tr.Train()
	if err != nil {
		t.Fatal(err)
	}
	if n := tk.VocabSize(); n <= 257 || n > 280 {
		t.Fatalf("vocab size %d, want in (257, 280]", n)
	}
	if id, ok := tk.TokenID("Ġcat"); !ok || id < 256 {
		t.Errorf(`"Ġcat" should be a merged token, got %d %v`, id, ok)
	}
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := tk.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range append(corpus, "unseen words: dog, 123 🐈<|end|>") {
		a, b := tk.Encode(text), back.Encode(text)
		if !slices.Equal(a, b) {
			t.Errorf("%q: trained %v, reloaded %v", text, a, b)
		}
		if got, _ := back.Decode(b, false); got != normNFC(text) {
			t.Errorf("decode(encode(%q)) = %q", text, got)
		}
	}
	if ids := tk.Encode("<|end|>"); len(ids) != 1 || !tk.IsSpecial(ids[0]) {
		t.Errorf("special token encodes to %v", ids)
	}
}

func TestTrainOptionErrors(t *testing.T) {
	for _, o := range []TrainOptions{
		{VocabSize: 100},
		{VocabSize: 300, Special: []string{"<a>", "<a>"}},
		{VocabSize: 300, Special: []string{""}},
		{VocabSize: 300, Special: []string{"\xff"}},
	} {
		if _, err := NewTrainer(o); err == nil {
			t.Errorf("NewTrainer(%+v) succeeded, want an error", o)
		}
	}
	tr, _ := NewTrainer(TrainOptions{VocabSize: 300})
	if _, err := tr.Train(); err == nil {
		t.Error("training on an empty corpus succeeded")
	}
}
