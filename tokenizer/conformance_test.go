package tokenizer

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// shared is the team's read-only reference folder, ../shared from the repo.
const shared = "../../shared"

// needShared skips a test when the reference folder is absent (a clean
// clone); the committed fixtures in testdata/ still run.
func needShared(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(shared, rel)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference file %s not found (../shared is absent on a clean clone): %v", p, err)
	}
	return p
}

var (
	qwenTok *Tokenizer
	gpt2Tok *Tokenizer
)

func qwen(t testing.TB) *Tokenizer {
	t.Helper()
	p := needShared(t, "tokenizers/qwen2.5/tokenizer.json")
	if qwenTok == nil {
		tk, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		qwenTok = tk
	}
	return qwenTok
}

func gpt2(t testing.TB) *Tokenizer {
	t.Helper()
	p := needShared(t, "tokenizers/gpt2")
	if gpt2Tok == nil {
		tk, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		gpt2Tok = tk
	}
	return gpt2Tok
}

type encodingCase struct {
	Text string `json:"text"`
	IDs  []int  `json:"ids"`
}

func readEncodings(t *testing.T, path string) []encodingCase {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cases []encodingCase
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var c encodingCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		cases = append(cases, c)
	}
	return cases
}

// checkEncodings encodes every case and compares ids, and checks that
// decoding gives back the text.
func checkEncodings(t *testing.T, tk *Tokenizer, cases []encodingCase) {
	t.Helper()
	bad := 0
	for i, c := range cases {
		got := tk.Encode(c.Text)
		if !slices.Equal(got, c.IDs) {
			bad++
			if bad <= 5 {
				t.Errorf("case %d %q:\n got %v\nwant %v", i, trunc(c.Text), got, c.IDs)
			}
			continue
		}
		text, err := tk.Decode(got, false)
		if tk.addPrefixSpace {
			continue // the decoded text keeps the added spaces, as in HF
		}
		if err != nil || text != normNFCIf(tk, c.Text) {
			t.Errorf("case %d: decode = %q, %v; want %q", i, trunc(text), err, trunc(c.Text))
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d cases differ", bad, len(cases))
	}
	t.Logf("%d cases", len(cases))
}

func normNFCIf(tk *Tokenizer, s string) string {
	if tk.nfc {
		return normNFC(s)
	}
	return s
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// readLlamaCppVectors reads llama.cpp's test-tokenizer-0 files: inputs
// separated by "\n__ggml_vocab_test__\n", one line of ids per input.
func readLlamaCppVectors(t *testing.T, name string) []encodingCase {
	inp, err := os.ReadFile("testdata/reference/" + name + ".inp")
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile("testdata/reference/" + name + ".out")
	if err != nil {
		t.Fatal(err)
	}
	texts := strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	texts = texts[:len(texts)-1] // the file ends with a separator
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(texts) != len(lines) {
		t.Fatalf("%s: %d inputs but %d outputs", name, len(texts), len(lines))
	}
	cases := make([]encodingCase, len(texts))
	for i, text := range texts {
		cases[i].Text = text
		for _, f := range strings.Fields(lines[i]) {
			id, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%s.out line %d: %v", name, i+1, err)
			}
			cases[i].IDs = append(cases[i].IDs, id)
		}
	}
	return cases
}

// TestReference checks every reference file against the full tokenizer
// (when ../shared is present) and against its committed subset fixture
// (always): HF's 229 Qwen2.5 encodings, llama.cpp's qwen2 and gpt-2
// vectors, and HF's encodings of the edge-case texts and rendered chats.
func TestReference(t *testing.T) {
	for _, sf := range subsetFixtures {
		sub, err := Load(sf.file)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range sf.cases {
			cases := loadCases(t, name)
			if strings.HasSuffix(name, "qwen2.5_encodings.jsonl") && len(cases) != 229 {
				t.Errorf("%s: %d cases, want 229", name, len(cases))
			}
			t.Run("subset/"+name, func(t *testing.T) { checkEncodings(t, sub, cases) })
			t.Run("full/"+name, func(t *testing.T) { checkEncodings(t, sf.full(t), cases) })
		}
	}
}

// TestAddPrefixSpace: GPT-2 with ByteLevel add_prefix_space, against HF.
func TestAddPrefixSpace(t *testing.T) {
	tk, err := LoadVocabMerges(needShared(t, "tokenizers/gpt2/encoder.json"), needShared(t, "tokenizers/gpt2/vocab.bpe"), PatternGPT2, false)
	if err != nil {
		t.Fatal(err)
	}
	tk.addPrefixSpace = true
	cases := readEncodings(t, "testdata/gpt2_prefix_space.jsonl")
	checkEncodings(t, tk, cases)
	checkEncodings(t, saveAndLoad(t, tk), cases)
}

// TestSaveRoundTrip: Save writes a tokenizer.json that loads back into a
// tokenizer giving the same ids.
func TestSaveRoundTrip(t *testing.T) {
	tk := saveAndLoad(t, qwen(t))
	checkEncodings(t, tk, readEncodings(t, "testdata/qwen2.5_edge.jsonl"))
	checkEncodings(t, tk, readEncodings(t, "testdata/reference/qwen2.5_encodings.jsonl"))
}

func saveAndLoad(t *testing.T, tk *Tokenizer) *Tokenizer {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokenizer.json")
	if err := tk.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return back
}
