package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"research/eval"
	"research/generate"
	"research/generate/server"
	"research/internal/tinymodel"
	"research/model"
	"research/rollout"
	"research/search/bm25"
	"research/tokenizer"
	"research/world"
)

// evalFixture is a held-out synthetic world indexed with BM25, a byte-level
// tokenizer for the random tiny model, and the test split's questions.
type evalFixture struct {
	dir, index, tokenizer, questions string
	model                            string // the tiny model with room for a prompt
	tok                              *tokenizer.Tokenizer
}

func newEvalFixture(t *testing.T) evalFixture {
	t.Helper()
	dir := t.TempDir()
	cfg := world.DefaultConfig
	cfg.Entities, cfg.HeldOut, cfg.TrainQuestions, cfg.DevQuestions, cfg.TestQuestions = 60, 60, 0, 0, 4
	g, err := world.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	wdir := filepath.Join(dir, "world")
	if err := g.WriteDir(wdir); err != nil {
		t.Fatal(err)
	}
	corpus, err := os.Open(filepath.Join(wdir, world.CorpusFile))
	if err != nil {
		t.Fatal(err)
	}
	defer corpus.Close()
	index := filepath.Join(dir, "bm25")
	if _, err := bm25.Build(context.Background(), corpus, world.CorpusFile, index, bm25.BuildOptions{Params: bm25.DefaultParams}); err != nil {
		t.Fatal(err)
	}
	tok, err := tinymodel.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	tokPath := filepath.Join(dir, "tokenizer.json")
	if err := tok.Save(tokPath); err != nil {
		t.Fatal(err)
	}
	// The tiny model's nominal 128 positions hold no ReSearch prompt.
	mdir := filepath.Join(dir, "model")
	if err := tinymodel.Copy(mdir, 4096); err != nil {
		t.Fatal(err)
	}
	return evalFixture{dir: dir, index: index, tokenizer: tokPath, questions: filepath.Join(wdir, world.QuestionFile(world.Test)), tok: tok, model: mdir}
}

// serveModel serves the model in dir like research serve-model, as
// "served", and returns its API's base URL.
func serveModel(t *testing.T, dir string, tok *tokenizer.Tokenizer) string {
	t.Helper()
	m, err := model.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	dec := generate.DecoderFunc(func(ids []int) string { s, _ := tok.Decode(ids, false); return s })
	e, err := generate.NewEngine(m, generate.Options{Decoder: dec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	h, err := server.New(server.Config{Engine: e, Tokenizer: tok, ModelName: "served", EOSIDs: rollout.StopIDs(tok, m.Config.EOSTokenIDs)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

// TestEvalInProcessEqualsServed runs every method on the held-out world with
// the random tiny model in process and through serve-model: the predictions
// and the traces' generated text must be identical. (The trained demo
// policy goes through this same path.)
func TestEvalInProcessEqualsServed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the tiny model through five methods twice")
	}
	fx := newEvalFixture(t)
	url := serveModel(t, fx.model, fx.tok)
	common := []string{"--data", fx.questions, "--name", "world", "--index", fx.index, "--tokenizer", fx.tokenizer,
		"--max-tokens", "12", "--limit", "3", "--workers", "2"}
	local, served := filepath.Join(fx.dir, "local"), filepath.Join(fx.dir, "served")
	predicted := 0
	for _, m := range eval.Methods {
		if _, _, err := runCLI(t, "", append([]string{"eval", "--method", string(m), "--out", local, "--model", fx.model}, common...)...); err != nil {
			t.Fatalf("%s in process: %v", m, err)
		}
		stdout, _, err := runCLI(t, "", append([]string{"eval", "--method", string(m), "--out", served, "--llm-url", url, "--llm-model", "served"}, common...)...)
		if err != nil {
			t.Fatalf("%s served: %v", m, err)
		}
		if !strings.Contains(stdout, "| "+m.Title()+" |") {
			t.Errorf("%s: report lacks its row:\n%s", m, stdout)
		}
		a := readResults(t, eval.ResultsPath(local, m, "world"))
		b := readResults(t, eval.ResultsPath(served, m, "world"))
		if len(a) != 3 || len(b) != 3 {
			t.Fatalf("%s: %d and %d results, want 3", m, len(a), len(b))
		}
		for id, ra := range a {
			rb := b[id]
			if ra.Prediction != rb.Prediction || !reflect.DeepEqual(outputs(ra), outputs(rb)) {
				t.Errorf("%s %s: in process %q %q, served %q %q", m, id, ra.Prediction, outputs(ra), rb.Prediction, outputs(rb))
			}
			if len(outputs(ra)) == 0 || ra.Tokens == 0 {
				t.Errorf("%s %s: nothing generated", m, id)
			}
			if ra.Prediction != "" {
				predicted++
			}
			t.Logf("%s %s: %d tokens, prediction %q", m, id, ra.Tokens, ra.Prediction)
		}
	}
	if predicted == 0 {
		t.Error("no method predicted anything: the comparison is vacuous")
	}
	man, err := eval.ReadManifest(filepath.Join(local, "research", eval.ManifestFile))
	if err != nil || man == nil {
		t.Fatalf("manifest: %v", err)
	}
	if man.Policy.Kind != "local" || man.Policy.Identity == "" || man.Retriever.Identity == "" || man.Retriever.Docs == 0 ||
		len(man.Data) != 1 || man.Data[0].SHA256 == "" || man.Prompt.SHA256 == "" || man.Policy.Tokenizer == "" {
		t.Errorf("manifest incomplete: %+v", man)
	}
}

// outputs lists what the policy wrote for a record.
func outputs(r eval.Record) []string {
	if r.Trajectory != nil {
		return []string{r.Trajectory.ResponseText}
	}
	var out []string
	for _, s := range r.Steps {
		out = append(out, s.Output)
	}
	return out
}

func readResults(t *testing.T, path string) map[string]eval.Record {
	t.Helper()
	recs, err := eval.ReadRecords(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]eval.Record{}
	for _, r := range recs {
		m[r.ID] = r
	}
	return m
}

// TestEvalResumeAndJudge: a rerun skips what is done and redoes a lost
// line identically; a changed setup (top-k, the policy's dtype) is
// refused; the judge fills the LJ
// column from a fake endpoint.
func TestEvalResumeAndJudge(t *testing.T) {
	fx := newEvalFixture(t)
	out := filepath.Join(fx.dir, "out")
	args := []string{"eval", "--method", "naive-rag", "--data", fx.questions, "--index", fx.index, "--tokenizer", fx.tokenizer,
		"--model", fx.model, "--max-tokens", "8", "--out", out}
	if _, _, err := runCLI(t, "", args...); err != nil {
		t.Fatal(err)
	}
	path := eval.ResultsPath(out, eval.NaiveRAG, "test")
	first, _ := os.ReadFile(path)
	lines := strings.SplitAfter(strings.TrimSpace(string(first)), "\n")
	if len(lines) != 4 {
		t.Fatalf("%d result lines, want 4", len(lines))
	}
	// Lose the last line and tear the one before: both are redone.
	os.WriteFile(path, []byte(strings.Join(lines[:2], "")+lines[2][:20]), 0o644)
	if _, _, err := runCLI(t, "", args...); err != nil {
		t.Fatal(err)
	}
	a, b := readResults(t, path), decodeResults(t, first)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("resumed results differ from the first run")
	}
	if _, _, err := runCLI(t, "", append(args, "--top-k", "3")...); err == nil || !strings.Contains(err.Error(), "another setup") {
		t.Errorf("changed top-k into the same directory: %v", err)
	}
	if _, _, err := runCLI(t, "", append(args, "--dtype", "bf16")...); err == nil || !strings.Contains(err.Error(), "another setup") {
		t.Errorf("bf16 weights into the same directory: %v", err)
	}
	changed := filepath.Join(fx.dir, "changed", "test.jsonl")
	os.MkdirAll(filepath.Dir(changed), 0o755)
	orig, _ := os.ReadFile(fx.questions)
	os.WriteFile(changed, append(orig, '\n'), 0o644)
	changedArgs := append([]string(nil), args...)
	changedArgs[4] = changed
	if _, _, err := runCLI(t, "", changedArgs...); err == nil || !strings.Contains(err.Error(), "another file named \"test\"") {
		t.Errorf("another file under the same name: %v", err)
	}

	url, calls := fakeJudge(t)
	stdout, _, err := runCLI(t, "", "eval-report", out, "--judge-url", url, "--judge-model", "j", "--judge-attempts", "2")
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 5 || !strings.Contains(stdout, "| Naive RAG | 0.00 | 0.00 |") {
		t.Errorf("%d judge calls, report:\n%s", calls.Load(), stdout)
	}
	// Verdicts are cached: judging again asks nothing.
	if _, _, err := runCLI(t, "", "eval-report", out, "--judge-url", url, "--judge-model", "j"); err != nil || calls.Load() != 5 {
		t.Errorf("second judging: %v, %d calls", err, calls.Load())
	}
	for _, name := range []string{eval.ReportJSON, eval.ReportMarkdown, eval.JudgeCacheFile} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
}

// fakeJudge is an OpenAI-compatible chat endpoint that answers "not json"
// once, then "incorrect"; it counts its calls.
func fakeJudge(t *testing.T) (string, *atomic.Int32) {
	calls := new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		content := `{"rationale": "r", "judgement": "incorrect"}`
		if calls.Add(1) == 1 {
			content = "not json"
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": "x", "object": "chat.completion", "model": "j",
			"choices": []any{map[string]any{"index": 0, "finish_reason": "stop", "message": map[string]any{"role": "assistant", "content": content}}}})
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1", calls
}

// TestEvalJudgesIntoNewDir: eval --judge-url judges as it goes, into an
// output directory that does not exist yet.
func TestEvalJudgesIntoNewDir(t *testing.T) {
	fx := newEvalFixture(t)
	url, calls := fakeJudge(t)
	out := filepath.Join(fx.dir, "new", "dir")
	stdout, _, err := runCLI(t, "", "eval", "--method", "naive-gen", "--data", fx.questions, "--limit", "2", "--index", fx.index,
		"--tokenizer", fx.tokenizer, "--model", fx.model, "--max-tokens", "4", "--out", out, "--judge-url", url)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || !strings.Contains(stdout, "| Naive Generation | 0.00 | 0.00 |") {
		t.Errorf("%d judge calls, report:\n%s", calls.Load(), stdout)
	}
}

func decodeResults(t *testing.T, data []byte) map[string]eval.Record {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.jsonl")
	os.WriteFile(path, data, 0o644)
	return readResults(t, path)
}

func TestEvalFlagErrors(t *testing.T) {
	fx := newEvalFixture(t)
	base := []string{"eval", "--index", fx.index, "--tokenizer", fx.tokenizer, "--model", fx.model, "--out", filepath.Join(fx.dir, "o")}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--method", "magic", "--data", fx.questions}, "--method"},
		{[]string{"--data", filepath.Join(fx.dir, "none.jsonl")}, "none.jsonl"},
		{[]string{"--data", fx.questions, "--name", "a,b"}, "--name"},
		{[]string{"--data", fx.questions, "--name", "../x"}, "dataset name"},
		{[]string{"--data", fx.questions + "," + fx.questions}, "two datasets"},
		{[]string{}, "--data"},
		{[]string{"--data", fx.questions, "--workers", "0"}, "workers"},
		{[]string{"--data", fx.questions, "--judge-url", "http://x", "--judge-workers", "0"}, "judge-workers"},
	} {
		_, _, err := runCLI(t, "", append(base, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one mentioning %q", tt.args, err, tt.want)
		}
	}
	if _, _, err := runCLI(t, "", "eval-report", filepath.Join(fx.dir, "nothing")); err == nil {
		t.Error("eval-report of a missing directory succeeded")
	}
}

// TestEvalIncompleteFails: questions that do not fit in the model's context
// (the tiny model's nominal 128 positions) are recorded as failed and
// counted in the report, and the run exits non-zero instead of 0.
func TestEvalIncompleteFails(t *testing.T) {
	fx := newEvalFixture(t)
	out := filepath.Join(fx.dir, "out")
	for _, m := range []eval.Method{eval.Research, eval.NaiveGen} {
		_, _, err := runCLI(t, "", "eval", "--method", string(m), "--data", fx.questions, "--index", fx.index, "--tokenizer", fx.tokenizer,
			"--model", tinymodel.Dir(), "--max-tokens", "8", "--out", out)
		if err == nil || !strings.Contains(err.Error(), "results incomplete") || !strings.Contains(err.Error(), "4 questions failed") {
			t.Fatalf("%s: error %v, want results incomplete with 4 failed questions", m, err)
		}
		recs := readResults(t, eval.ResultsPath(out, m, "test"))
		for id, r := range recs {
			if r.Finish != eval.FinishError || !strings.Contains(r.Error, id) || !strings.Contains(r.Error, "context of 128") {
				t.Errorf("%s %s: finish %q error %q, want a failure naming the question and the limit", m, id, r.Finish, r.Error)
			}
		}
	}
	raw, _ := os.ReadFile(filepath.Join(out, eval.ReportJSON))
	if !strings.Contains(string(raw), `"errors": 4`) {
		t.Errorf("report.json does not count the failed questions:\n%s", raw)
	}
	// The same command again runs the failed questions again rather than
	// keeping their failures.
	_, stderr, err := runCLI(t, "", "eval", "--method", string(eval.NaiveGen), "--data", fx.questions, "--index", fx.index, "--tokenizer", fx.tokenizer,
		"--model", tinymodel.Dir(), "--max-tokens", "8", "--out", out)
	if err == nil || !strings.Contains(stderr, "running again 4 questions") {
		t.Errorf("rerun: error %v, stderr %q; want the 4 failed questions run again", err, stderr)
	}
	if n := len(readResults(t, eval.ResultsPath(out, eval.NaiveGen, "test"))); n != 4 {
		t.Errorf("rerun left %d records, want 4", n)
	}
}
