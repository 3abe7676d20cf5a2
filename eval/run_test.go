package eval

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"research/dataset"
	"research/protocol"
	"research/rollout"
	"research/rollout/rollouttest"
	"research/search"
)

// replyPolicy answers each call with reply(prompt, call index of its
// question), cut as an engine cuts: at a stop id, at the end of a stop
// string, or at the budget; a reply that ends without a stop gets EOS.
type replyPolicy struct {
	reply func(prompt string, call int) string
	mu    sync.Mutex
	calls map[string]int
	reqs  []rollout.Request
}

func (p *replyPolicy) Generate(ctx context.Context, req rollout.Request) (rollout.Completion, error) {
	tok := rollouttest.ByteTokenizer{}
	prompt, _ := tok.Decode(req.Tokens, false)
	q := req.Key[:strings.LastIndexByte(req.Key, '/')]
	p.mu.Lock()
	if p.calls == nil {
		p.calls = map[string]int{}
	}
	call := p.calls[q]
	p.calls[q]++
	p.reqs = append(p.reqs, req)
	p.mu.Unlock()
	text := p.reply(prompt, call)
	c := rollout.Completion{StopID: -1, Finish: rollout.FinishLength}
	for _, id := range append(tok.Encode(text), rollouttest.IMEnd) {
		if len(c.Tokens) == req.MaxTokens {
			return c, nil
		}
		c.Tokens = append(c.Tokens, id)
		if id == rollouttest.IMEnd {
			c.Finish, c.StopID = rollout.FinishStop, id
			return c, nil
		}
		done, _ := tok.Decode(c.Tokens, false)
		for _, s := range req.StopStrings {
			if strings.HasSuffix(done, s) {
				c.Finish, c.StopString = rollout.FinishStop, s
				return c, nil
			}
		}
	}
	return c, nil
}

// scoredRetriever returns fixed passages per query with chosen scores.
type scoredRetriever struct {
	docs    map[string][]search.Doc
	mu      sync.Mutex
	queries []string
	fail    error
}

func (r *scoredRetriever) Search(ctx context.Context, queries []string, k int) ([][]search.Doc, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, queries...)
	if r.fail != nil {
		return nil, r.fail
	}
	out := make([][]search.Doc, len(queries))
	for i, q := range queries {
		d := r.docs[q]
		out[i] = d[:min(k, len(d))]
	}
	return out, nil
}

func doc(id string, score float64) search.Doc {
	return search.Doc{ID: id, Contents: "\"" + id + "\"\ntext of " + id, Score: score}
}

func newRunner(m Method, p rollout.Policy, r search.Retriever) *Runner {
	cfg := Defaults(m, protocol.Base, []int{rollouttest.IMEnd}, "<|im_end|>")
	cfg.Workers = 2
	return &Runner{Policy: p, Retriever: r, Tokenizer: rollouttest.ByteTokenizer{}, Config: cfg}
}

func runAll(t *testing.T, r *Runner, examples []dataset.Example) map[string]*Record {
	t.Helper()
	out := map[string]*Record{}
	err := r.Run(context.Background(), "ds", examples, func(rec *Record) error {
		if out[rec.ID] != nil {
			t.Errorf("record %s twice", rec.ID)
		}
		out[rec.ID] = rec
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(examples) {
		t.Fatalf("%d records for %d examples", len(out), len(examples))
	}
	return out
}

var paris = dataset.Example{ID: "q1", Question: "Where is the tower?", Answers: []string{"Paris"}}

func TestNaiveMethods(t *testing.T) {
	ret := &scoredRetriever{docs: map[string][]search.Doc{paris.Question: {doc("a", 3), doc("b", 2), doc("c", 1), doc("d", 0.5), doc("e", 0.4), doc("f", 0.1)}}}
	for _, m := range []Method{NaiveGen, NaiveRAG} {
		p := &replyPolicy{reply: func(prompt string, call int) string { return "Paris\nmore" }}
		rec := runAll(t, newRunner(m, p, ret), []dataset.Example{paris})["q1"]
		want := templateOf(m, false)
		var docs []search.Doc
		if m == NaiveRAG {
			docs = ret.docs[paris.Question][:5]
		}
		prompt, _ := want.render(paris.Question, docs, "")
		if len(rec.Steps) != 1 || rec.Steps[0].Prompt != prompt {
			t.Fatalf("%s: steps %+v, want one with prompt %q", m, rec.Steps, prompt)
		}
		// FlashRAG takes the whole generation as the prediction (no stop
		// strings; EOS skipped), and EM does not forgive the second line.
		if rec.Prediction != "Paris\nmore" || rec.Metrics.EM != 0 || rec.Metrics.Acc != 1 || rec.Finish != rollout.FinishStop {
			t.Errorf("%s: record %+v", m, rec)
		}
		if m == NaiveRAG && (rec.Steps[0].Query != paris.Question || len(rec.Steps[0].DocIDs) != 5) {
			t.Errorf("naive RAG step %+v: want the question as query and 5 docs", rec.Steps[0])
		}
		if req := p.reqs[0]; req.MaxTokens != 8192 || len(req.StopStrings) != 0 {
			t.Errorf("%s: request budget %d stops %q", m, req.MaxTokens, req.StopStrings)
		}
	}
}

func TestIterRetGen(t *testing.T) {
	q := paris.Question
	ret := &scoredRetriever{docs: map[string][]search.Doc{
		q: {doc("a", 1)}, q + " France": {doc("b", 1)}, q + " Paris": {doc("c", 1)},
	}}
	answers := []string{"France", "Paris", "Paris"}
	p := &replyPolicy{reply: func(prompt string, call int) string { return answers[call] }}
	rec := runAll(t, newRunner(IterRetGen, p, ret), []dataset.Example{paris})["q1"]
	if got := strings.Join(ret.queries, "|"); got != q+"|"+q+" France|"+q+" Paris" {
		t.Errorf("queries %q: want the question, then question + previous answer", got)
	}
	if len(rec.Steps) != 3 || rec.Prediction != "Paris" || rec.Metrics.EM != 1 {
		t.Fatalf("record %+v", rec)
	}
	// Each prompt holds the question and the latest passages only.
	if p3 := rec.Steps[2].Prompt; !strings.Contains(p3, `Doc 1(Title: "c") text of c`) || strings.Contains(p3, `"a"`) {
		t.Errorf("third prompt %q", p3)
	}
}

func TestIRCoT(t *testing.T) {
	q := paris.Question
	ret := &scoredRetriever{docs: map[string][]search.Doc{
		q:                           {doc("a", 5), doc("b", 1)},
		"The tower is in France.":   {doc("b", 7), doc("c", 2)},
		"\n":                        {doc("x", 9)},
		"France's capital is Paris": nil,
	}}
	thoughts := []string{"The tower is in France. It is", "\n", "", "So the answer is: Paris. Done"}
	p := &replyPolicy{reply: func(prompt string, call int) string { return thoughts[call] }}
	rec := runAll(t, newRunner(IRCoT, p, ret), []dataset.Example{paris})["q1"]
	if len(rec.Steps) != 4 {
		t.Fatalf("%d steps, want 4 (stop after the answer)", len(rec.Steps))
	}
	// Thoughts end at the first "." or newline, which they keep.
	if rec.Steps[0].Output != "The tower is in France." || rec.Steps[3].Output != "So the answer is: Paris." {
		t.Errorf("thoughts %q, %q", rec.Steps[0].Output, rec.Steps[3].Output)
	}
	if rec.Prediction != "Paris." || rec.Metrics.EM != 1 {
		t.Errorf("prediction %q metrics %+v", rec.Prediction, rec.Metrics)
	}
	// A newline thought is searched as FlashRAG does; the pool is sorted by
	// best score ascending: a (5), b (max 1, 7), x (9) → c 2, a 5, b 7, x 9.
	if got := strings.Join(ret.queries, "|"); got != q+"|The tower is in France.|\n" {
		t.Errorf("queries %q", got)
	}
	// The empty thought is not searched: the last step has no query and
	// its prompt the same pool.
	if rec.Steps[2].Query != "\n" || rec.Steps[3].Query != "" || rec.Steps[3].DocIDs != nil {
		t.Errorf("steps 3 and 4 searched %q and %q %v", rec.Steps[2].Query, rec.Steps[3].Query, rec.Steps[3].DocIDs)
	}
	p4 := rec.Steps[3].Prompt
	ic, ia, ib, ix := strings.Index(p4, "Wikipedia Title: \"c\""), strings.Index(p4, "Wikipedia Title: \"a\""), strings.Index(p4, "Wikipedia Title: \"b\""), strings.Index(p4, "Wikipedia Title: \"x\"")
	if !(ic >= 0 && ic < ia && ia < ib && ib < ix) {
		t.Errorf("last prompt's passages not in ascending score order c, a, b, x:\n%s", p4)
	}
	if !strings.HasSuffix(p4, "Thought:The tower is in France. \n ") {
		t.Errorf("last prompt ends %q: want the previous thoughts joined by spaces after \"Thought:\"", p4[len(p4)-60:])
	}
	if req := p.reqs[0]; strings.Join(req.StopStrings, "|") != ".|\n" {
		t.Errorf("stop strings %q", req.StopStrings)
	}
}

func TestIRCoTGivesUpAfterFive(t *testing.T) {
	ret := &scoredRetriever{docs: map[string][]search.Doc{}}
	p := &replyPolicy{reply: func(prompt string, call int) string { return fmt.Sprintf("step %d.", call) }}
	rec := runAll(t, newRunner(IRCoT, p, ret), []dataset.Example{paris})["q1"]
	if len(rec.Steps) != IRCoTMaxIterations || rec.Prediction != "step 0. step 1. step 2. step 3. step 4." {
		t.Errorf("%d steps, prediction %q", len(rec.Steps), rec.Prediction)
	}
}

func TestResearchMethod(t *testing.T) {
	examples := []dataset.Example{paris, {ID: "q2", Question: "Who?", Answers: []string{"Ann"}}, {ID: "q3", Question: "Long?", Answers: []string{"x"}}}
	p := &replyPolicy{reply: func(prompt string, call int) string {
		switch {
		case strings.Contains(prompt, "Long?"):
			return strings.Repeat("a", 9000)
		case call == 0 && strings.Contains(prompt, "tower"):
			return "<think>look</think><search>tower city</search>"
		case call == 1 && strings.Contains(prompt, "tower"):
			return "<think>again</think><search> </search>"
		case strings.Contains(prompt, "tower"):
			return "<think>ok</think><answer>The answer is \\boxed{Paris}</answer>"
		}
		return "<answer>Ann</answer>" // no box: no prediction
	}}
	recs := runAll(t, newRunner(Research, p, &rollouttest.Retriever{}), examples)
	if r := recs["q1"]; r.Prediction != "Paris" || r.Metrics.EM != 1 || len(r.Trajectory.Searches) != 2 || r.Trajectory.Reward != 1 {
		t.Errorf("q1: %+v", r)
	}
	if text := recs["q1"].Trajectory.ResponseText; !strings.Contains(text, "<search> </search> <result>\nnothing to search\n</result>") {
		t.Errorf("empty query: response %q, want FlashRAG's \"nothing to search\"", text)
	}
	if r := recs["q2"]; r.Prediction != "" || r.Metrics.EM != 0 {
		t.Errorf("q2: prediction %q, want none without \\boxed", r.Prediction)
	}
	if r := recs["q3"]; r.Finish != rollout.EndLength || r.Prediction != "" || r.Tokens != 8192 {
		t.Errorf("q3: finish %s prediction %q tokens %d, want the budget of 8192 spent and no prediction", r.Finish, r.Prediction, r.Tokens)
	}
	for _, req := range p.reqs {
		if req.StopStrings[0] != protocol.SearchClose {
			t.Errorf("request stops %q", req.StopStrings)
		}
	}
}

func TestErrorsStopTheRun(t *testing.T) {
	boom := errors.New("boom")
	ret := &scoredRetriever{fail: boom}
	p := &replyPolicy{reply: func(string, int) string { return "x" }}
	err := newRunner(NaiveRAG, p, ret).Run(context.Background(), "ds", []dataset.Example{paris}, func(*Record) error { return nil })
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), `"q1"`) {
		t.Errorf("retriever failure: %v", err)
	}
	stop := errors.New("disk full")
	for _, m := range []Method{NaiveGen, Research} {
		err = newRunner(m, p, &rollouttest.Retriever{}).Run(context.Background(), "ds", []dataset.Example{paris, {ID: "q2", Question: "b", Answers: []string{"c"}}}, func(*Record) error { return stop })
		if !errors.Is(err, stop) {
			t.Errorf("%s: write failure gave %v", m, err)
		}
	}
	bad := newRunner(NaiveGen, p, ret)
	bad.Config.TopK = 0
	if err := bad.Run(context.Background(), "ds", nil, nil); err == nil {
		t.Error("top-k 0 accepted")
	}
}

func TestTruncate(t *testing.T) {
	ids := []int{1, 2, 3, 4, 5, 6, 7}
	if got := fmt.Sprint(truncate(ids, 4)); got != "[1 2 6 7]" {
		t.Errorf("truncate = %s", got)
	}
	if got := fmt.Sprint(truncate(ids, 7)); got != "[1 2 3 4 5 6 7]" {
		t.Errorf("truncate at the limit = %s", got)
	}
}

// TestPromptLimit: a prompt over MaxPromptTokens is sent as its first and
// last halves, and the step says how many tokens went.
func TestPromptLimit(t *testing.T) {
	p := &replyPolicy{reply: func(string, int) string { return "x" }}
	r := newRunner(NaiveGen, p, nil)
	r.Config.MaxPromptTokens = 10
	rec := runAll(t, r, []dataset.Example{paris})["q1"]
	full := rollouttest.ByteTokenizer{}.Encode(rec.Steps[0].Prompt)
	sent := p.reqs[0].Tokens
	if rec.Steps[0].PromptTokens != 10 || len(sent) != 10 || fmt.Sprint(sent) != fmt.Sprint(append(full[:5:5], full[len(full)-5:]...)) {
		t.Errorf("sent %v (%d recorded) of a %d-token prompt", sent, rec.Steps[0].PromptTokens, len(full))
	}
}
