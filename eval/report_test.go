package eval

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"research/eval/judge"
	"research/reward"
	"research/rollout"
)

// TestAggregatesMatchFlashRAG: the report's means over the conformance
// predictions equal the means of FlashRAG's own per-question scores
// (../reward/testdata/metric_cases.jsonl, from ../shared/conformance).
func TestAggregatesMatchFlashRAG(t *testing.T) {
	f, err := os.Open("../reward/testdata/metric_cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var records []Record
	var em, acc, f1 float64
	for s := bufio.NewScanner(f); s.Scan(); {
		var c struct {
			ID, Prediction string
			Golds          []string `json:"golden_answers"`
			EM, Acc, F1    float64
		}
		if err := json.Unmarshal(s.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		em, acc, f1 = em+c.EM, acc+c.Acc, f1+c.F1
		records = append(records, Record{ID: c.ID, Prediction: c.Prediction, Golds: c.Golds, Metrics: reward.Evaluate(c.Prediction, c.Golds)})
	}
	n := float64(len(records))
	if n < 300 {
		t.Fatalf("%v cases", n)
	}
	cell := Summarize(NaiveRAG, "cases", records)
	for _, m := range []struct {
		name      string
		got, want float64
	}{{"em", cell.EM, em / n}, {"acc", cell.Acc, acc / n}, {"f1", cell.F1, f1 / n}} {
		if math.Abs(m.got-m.want) > 1e-12 {
			t.Errorf("%s mean %.15f, FlashRAG %.15f", m.name, m.got, m.want)
		}
	}
	t.Logf("EM %.4f acc %.4f F1 %.4f over %v predictions", cell.EM, cell.Acc, cell.F1, n)
}

func TestSummarizeJudge(t *testing.T) {
	recs := []Record{
		{Metrics: reward.Metrics{EM: 1}, Judge: &judge.Verdict{Judgement: judge.Correct, Model: "j"}},
		{Judge: &judge.Verdict{Judgement: judge.Incorrect}},
		{Judge: &judge.Verdict{Error: "500"}},
		{Judge: &judge.Verdict{Judgement: judge.Correct}},
	}
	c := Summarize(Research, "d", recs)
	if c.LJ == nil || *c.LJ != 0.5 || c.JudgeFailures != 1 || c.Judged != 4 || c.EM != 0.25 {
		t.Errorf("cell %+v: want LJ 2/4 with the failure in the denominator", c)
	}
	c = Summarize(Research, "d", append(recs, Record{}))
	if c.LJ != nil {
		t.Errorf("LJ %v reported with one question unjudged", *c.LJ)
	}
}

func TestOutputResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	o, err := OpenOutput(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a", "b"} {
		if err := o.Append(&Record{Version: RecordVersion, ID: id, Prediction: "<answer>"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Append(&Record{Version: RecordVersion, ID: "a"}); err == nil {
		t.Error("duplicate id accepted")
	}
	o.Close()
	// A crash while writing leaves a torn line: it is dropped on reopening.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"version":1,"id":"c","pr`)
	f.Close()
	o, err = OpenOutput(path)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Done("a") || !o.Done("b") || o.Done("c") || len(o.Records()) != 2 {
		t.Fatalf("resumed: %d records", len(o.Records()))
	}
	if err := o.Append(&Record{Version: RecordVersion, ID: "c"}); err != nil {
		t.Fatal(err)
	}
	recs := o.Records()
	recs[0].Judge = &judge.Verdict{Judgement: judge.Correct}
	if err := o.Rewrite(recs); err != nil {
		t.Fatal(err)
	}
	if err := o.Append(&Record{Version: RecordVersion, ID: "d"}); err != nil {
		t.Fatal(err)
	}
	o.Close()
	got, err := ReadRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || !got[0].Judge.IsCorrect() || got[3].ID != "d" || got[0].Prediction != "<answer>" {
		t.Errorf("records after rewrite and append: %+v", got)
	}
	raw, _ := os.ReadFile(path)
	if !strings.Contains(string(raw), `"pred":"<answer>"`) {
		t.Error("tags are HTML-escaped in the results file")
	}
}

func TestOutputDropIncomplete(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	o, err := OpenOutput(path)
	if err != nil {
		t.Fatal(err)
	}
	failedSearch := &rollout.Trajectory{Searches: []rollout.Search{{Query: "q"}, {Query: "r", Error: "connection refused"}}}
	goodSearch := &rollout.Trajectory{Searches: []rollout.Search{{Query: "q"}}}
	for _, rec := range []*Record{
		{Version: RecordVersion, ID: "ok"},
		{Version: RecordVersion, ID: "searched", Trajectory: goodSearch},
		{Version: RecordVersion, ID: "error", Finish: FinishError, Error: "prompt does not fit"},
		{Version: RecordVersion, ID: "search failed", Trajectory: failedSearch},
	} {
		if err := o.Append(rec); err != nil {
			t.Fatal(err)
		}
	}
	n, err := o.DropIncomplete()
	if err != nil || n != 2 {
		t.Fatalf("dropped %d (%v), want 2", n, err)
	}
	for id, want := range map[string]bool{"ok": true, "searched": true, "error": false, "search failed": false} {
		if o.Done(id) != want {
			t.Errorf("Done(%q) = %v, want %v", id, o.Done(id), want)
		}
	}
	if err := o.Append(&Record{Version: RecordVersion, ID: "error"}); err != nil {
		t.Fatalf("rerun of a dropped question: %v", err)
	}
	o.Close()
	got, err := ReadRecords(path)
	if err != nil || len(got) != 3 {
		t.Fatalf("file after the rerun: %d records (%v), want 3", len(got), err)
	}
}

func TestOutputRefusals(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"version": `{"version":7,"id":"a"}` + "\n",
		"json":    "{\n",
		"noid":    `{"version":1}` + "\n",
		"dup":     `{"version":1,"id":"a"}` + "\n" + `{"version":1,"id":"a"}` + "\n",
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(content), 0o644)
		if _, err := OpenOutput(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line") {
			t.Errorf("%s: err %v, want one naming the file and line", name, err)
		}
	}
}

func TestReportLayout(t *testing.T) {
	dir := t.TempDir()
	write := func(m Method, ds string, recs ...Record) {
		os.MkdirAll(filepath.Join(dir, string(m)), 0o755)
		o, err := OpenOutput(ResultsPath(dir, m, ds))
		if err != nil {
			t.Fatal(err)
		}
		for i := range recs {
			recs[i].Version, recs[i].ID = RecordVersion, string(rune('a'+i))
			if err := o.Append(&recs[i]); err != nil {
				t.Fatal(err)
			}
		}
		o.Close()
	}
	ok := Record{Metrics: reward.Metrics{EM: 1, Acc: 1, F1: 1}, Judge: &judge.Verdict{Judgement: judge.Correct}}
	write(Research, "bamboogle", ok, Record{Judge: &judge.Verdict{Error: "timeout"}})
	write(Research, "hotpotqa_500", ok)
	write(NaiveGen, "bamboogle", Record{})
	if err := WriteManifest(filepath.Join(dir, string(Research), ManifestFile), &Manifest{Version: ManifestVersion, Method: Research, Data: []DataFile{{Name: "bamboogle", Path: "b.jsonl", Examples: 2}}}); err != nil {
		t.Fatal(err)
	}
	rep, err := BuildReport(dir)
	if err != nil {
		t.Fatal(err)
	}
	md := rep.Markdown()
	for _, want := range []string{
		"| Method | hotpotqa_500 EM | hotpotqa_500 LJ | bamboogle EM | bamboogle LJ |",
		"| Naive Generation | – | – | 0.00 | – |",
		"| ReSearch | 100.00 | 100.00 | 50.00 | 50.00 |",
		"| ReSearch | 100.00 | 100.00 | 1 | 0 | 0 | 0 | 50.00 | 50.00 | 2 | 1 | 0 | 0 |",
		"b.jsonl (2 questions",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	if strings.Index(md, "Naive Generation") > strings.Index(md, "| ReSearch") {
		t.Error("rows not in Table 2 order")
	}
	if _, err := BuildReport(filepath.Join(dir, "none")); err == nil {
		t.Error("missing directory accepted")
	}
}

func TestManifestSameSetup(t *testing.T) {
	a := Manifest{Method: Research, Decoding: Decoding{MaxTokens: 8192}, Policy: PolicyID{Kind: "local", Location: "m"}}
	b := a
	b.Data = []DataFile{{Name: "x"}}
	if err := a.SameSetup(&b); err != nil {
		t.Errorf("data files are not setup: %v", err)
	}
	b.Decoding.Temperature = 0.7
	if err := a.SameSetup(&b); err == nil || !strings.Contains(err.Error(), "decoding") {
		t.Errorf("temperature change: %v", err)
	}
}

// TestSummarizeCountsFailures checks that questions that could not be run
// and failed searches are counted in a cell and make it incomplete: a run
// whose retriever died used to report no failure at all.
func TestSummarizeCountsFailures(t *testing.T) {
	searched := func(errs ...string) Record {
		tr := &rollout.Trajectory{}
		for _, e := range errs {
			tr.Searches = append(tr.Searches, rollout.Search{Error: e})
		}
		return Record{Trajectory: tr}
	}
	for _, tc := range []struct {
		name             string
		records          []Record
		errors, searches int
		incomplete       string
	}{
		{"clean", []Record{searched("", ""), {}}, 0, 0, ""},
		{"dead retriever", []Record{searched("", "connection refused"), searched("connection refused")}, 0, 2, "2 searches failed"},
		{"too long", []Record{{Error: "prompt (5000 tokens) leaves no room in the model's context of 4096", Finish: FinishError}, {}}, 1, 0, "1 questions failed"},
		{"judge", []Record{{Judge: &judge.Verdict{Error: "timeout"}}}, 0, 0, "1 judge failures"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Summarize(Research, "d", tc.records)
			if c.Errors != tc.errors || c.SearchFailures != tc.searches || c.Incomplete() != tc.incomplete {
				t.Errorf("errors %d, search failures %d, incomplete %q; want %d, %d, %q",
					c.Errors, c.SearchFailures, c.Incomplete(), tc.errors, tc.searches, tc.incomplete)
			}
		})
	}
}
