package dataset

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadFileDialects(t *testing.T) {
	tests := []struct {
		file  string
		first Example
		n     int
	}{
		{"flashrag.jsonl", Example{"test_0", "who got the first nobel prize in physics", []string{"Wilhelm Conrad Röntgen"}, "flashrag"}, 2},
		{"r1searcher.jsonl", Example{"1", "Who was president of the United States in the year that Citibank was founded?", []string{"james madison"}, "r1searcher"}, 2},
		{"hotpotqa.jsonl", Example{"5a7166395542994082a3e814", "What is the name of the fight song of the university whose main campus is in Lawrence, Kansas and whose branch campuses are in the Kansas City metropolitan area?", []string{"Kansas Song"}, "hotpotqa"}, 1},
		{"musique.json", Example{"2hop__150763_14904", "Who was the first president of the association which published Journal of Psychotherapy Integration?", []string{"G. Stanley Hall", "Stanley Hall"}, "musique"}, 2},
		{"verl_research.parquet", Example{"2hop__1", "Who founded the company that made Sunman?", []string{"Hiroshi Yamauchi", "Yamauchi"}, "musique"}, 2},
		{"verl_answer_split.parquet", Example{"hotpotqa-0", "Which was founded first, A or B?", []string{"A", "Company A"}, "hotpotqa"}, 1},
		{"verl_searchr1.parquet", Example{"7", "who got the first nobel prize in physics", []string{"Wilhelm Conrad Röntgen"}, "nq"}, 1},
	}
	for _, tt := range tests {
		got, err := ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Errorf("%s: %v", tt.file, err)
			continue
		}
		if len(got) != tt.n {
			t.Errorf("%s: %d examples, want %d", tt.file, len(got), tt.n)
		}
		if !reflect.DeepEqual(got[0], tt.first) {
			t.Errorf("%s: first example\n got %+v\nwant %+v", tt.file, got[0], tt.first)
		}
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct{ name, input, want string }{
		{"bad.jsonl", "{\"id\":\"a\",\"question\":\"q\",\"golden_answers\":[\"x\"]}\n{oops\n", "bad.jsonl:2: invalid JSON"},
		{"noanswer.jsonl", "{\"question\":\"q\"}\n", `noanswer.jsonl:1: no "golden_answers", "reward_model" or "answer" field`},
		{"noquestion.jsonl", "\n\n{\"answer\":\"a\"}", `noquestion.jsonl:3: no "question" or "prompt" field`},
		{"empty.jsonl", "  \n", "empty.jsonl: empty dataset"},
		{"scalar.jsonl", "42\n", "scalar.jsonl:1: want a JSON object per example"},
		{"badanswers.jsonl", "{\"question\":\"q\",\"golden_answers\":[{\"a\":1}]}", `field "golden_answers": want a string or number`},
		{"noanswers.jsonl", "{\"question\":\"q\",\"golden_answers\":[]}", `field "golden_answers": no answers`},
		{"blankq.jsonl", "{\"question\":\"  \",\"answer\":\"a\"}", "blankq.jsonl:1: empty question"},
		{"arr.json", "[{\"question\":\"q\",\"answer\":\"a\"}, 3]", "arr.json: element 1"},
		{"open.json", "[{\"question\":\"q\",\"answer\":\"a\"}", "open.json: unterminated JSON array"},
		{"rm.jsonl", "{\"question\":\"q\",\"reward_model\":{\"style\":\"rule\"}}", `want an object with "ground_truth"`},
		{"prompt.jsonl", "{\"prompt\":[{\"role\":\"system\",\"content\":\"s\"}],\"answer\":\"a\"}", `field "prompt": no user turn`},
	}
	for _, tt := range tests {
		_, err := Read(strings.NewReader(tt.input), tt.name, "src")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
}

func TestReadParquetErrors(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("testdata/verl_research.parquet")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"truncated.parquet": good[:len(good)/2],
		"magic.parquet":     []byte("PAR1garbage"),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error %v, want one naming the file", name, err)
		}
	}
}

// TestSharedData reads every dataset of the team's shared folder.
func TestSharedData(t *testing.T) {
	files := map[string]int{
		"benchmarks/bamboogle.jsonl":                   125,
		"benchmarks/hotpotqa_500.jsonl":                500,
		"benchmarks/2wiki_500.jsonl":                   500,
		"benchmarks/musique_500.jsonl":                 500,
		"benchmarks/nq_sample_flashrag.jsonl":          17, // test_0 … test_16; the shared README says 16
		"corpus/hotpotqa_dev500_distractor.jsonl":      500,
		"corpus/musique_train100_with_paragraphs.json": 100,
	}
	for file, want := range files {
		path := filepath.Join("../../shared/data", file)
		if _, err := os.Stat(path); err != nil {
			t.Skipf("../shared/data is absent (%v)", err)
		}
		got, err := ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if len(got) != want {
			t.Errorf("%s: %d examples, want %d", file, len(got), want)
		}
		for _, ex := range got {
			if ex.ID == "" || ex.Question == "" || len(ex.Answers) == 0 {
				t.Errorf("%s: incomplete example %+v", file, ex)
				break
			}
		}
	}
}

func FuzzRead(f *testing.F) {
	for _, name := range []string{"flashrag.jsonl", "musique.json", "verl_searchr1.parquet"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		Read(strings.NewReader(string(data)), "fuzz", "src")
		path := filepath.Join(dir, "fuzz.data")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ReadFile(path)
	})
}
