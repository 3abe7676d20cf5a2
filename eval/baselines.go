package eval

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"research/dataset"
	"research/protocol"
	"research/reward"
	"research/rollout"
	"research/search"
)

// baseline runs one question through a FlashRAG baseline.
func (r *Runner) baseline(ctx context.Context, datasetName string, ex dataset.Example) (*Record, error) {
	q := &question{r: r, key: datasetName + "/" + ex.ID,
		tpl: templateOf(r.Config.Method, r.Config.Template == protocol.Instruct)}
	var (
		pred string
		err  error
	)
	switch r.Config.Method {
	case NaiveGen:
		pred, err = q.generate(ctx, Step{}, ex.Question, nil, "", nil)
	case NaiveRAG:
		pred, err = q.naiveRAG(ctx, ex.Question)
	case IterRetGen:
		pred, err = q.iterRetGen(ctx, ex.Question)
	case IRCoT:
		pred, err = q.ircot(ctx, ex.Question)
	default:
		err = fmt.Errorf("eval: %q is not a baseline", r.Config.Method)
	}
	if err != nil {
		return nil, err
	}
	rec := &Record{
		Version: RecordVersion, Dataset: datasetName, ID: ex.ID, Method: r.Config.Method,
		Question: ex.Question, Golds: ex.Answers, Prediction: pred, Metrics: reward.Evaluate(pred, ex.Answers),
		Steps: q.steps,
	}
	for _, s := range q.steps {
		rec.Tokens += s.Tokens
		rec.Finish = s.Finish
	}
	return rec, nil
}

// question is one question's run through a baseline: its steps so far.
type question struct {
	r     *Runner
	key   string
	tpl   promptTemplate
	steps []Step
}

// naiveRAG is SequentialPipeline.run: retrieve top-k for the question,
// answer from the default RAG prompt.
func (q *question) naiveRAG(ctx context.Context, question string) (string, error) {
	docs, step, err := q.retrieve(ctx, question)
	if err != nil {
		return "", err
	}
	return q.generate(ctx, step, question, docs, "", nil)
}

// iterRetGen is IterativePipeline.run: each iteration retrieves with the
// question followed by the previous answer, then answers from the new
// passages; the last answer is the prediction.
func (q *question) iterRetGen(ctx context.Context, question string) (string, error) {
	var answer string
	for i := range IterRetGenIterations {
		query := question
		if i > 0 {
			query = question + " " + answer
		}
		docs, step, err := q.retrieve(ctx, query)
		if err != nil {
			return "", err
		}
		if answer, err = q.generate(ctx, step, question, docs, "", nil); err != nil {
			return "", err
		}
	}
	return answer, nil
}

// ircot is IRCOTPipeline.run_batch for one question: generate one thought
// (stopping at "." or a newline, which stays in the thought), stop when it
// says "So the answer is:", else retrieve with the thought and merge the
// passages into the pool by their best score. The prediction is
// ircot_pred_parse of the thoughts joined by spaces.
func (q *question) ircot(ctx context.Context, question string) (string, error) {
	docs, step, err := q.retrieve(ctx, question)
	if err != nil {
		return "", err
	}
	pool := newDocPool(docs)
	var thoughts []string
	for range IRCoTMaxIterations {
		thought, err := q.generate(ctx, step, question, docs, strings.Join(thoughts, " "), ircotStops)
		if err != nil {
			return "", err
		}
		step = Step{}
		thoughts = append(thoughts, thought)
		if strings.Contains(thought, ircotAnswerPrefix) {
			break
		}
		if thought == "" {
			continue // FlashRAG would send it, and its server answers 400
		}
		var found []search.Doc
		if found, step, err = q.retrieve(ctx, thought); err != nil {
			return "", err
		}
		docs = pool.merge(found)
	}
	return ircotAnswer(strings.Join(thoughts, " ")), nil
}

// ircotAnswer is ircot_pred_parse: the text after the first "So the answer
// is:" (up to a second one, as Python's split(...)[1] takes it), stripped;
// the whole text when there is none.
func ircotAnswer(text string) string {
	parts := strings.SplitN(text, ircotAnswerPrefix, 3)
	if len(parts) < 2 {
		return text
	}
	return protocol.TrimSpace(parts[1])
}

// docPool is IRCoT's growing set of passages: each keeps its best score,
// and the prompt lists them by ascending score (FlashRAG sorts with
// reverse=False, so the best passage comes last, next to the question).
type docPool struct {
	docs []search.Doc // in first-seen order, the order Python's dict keeps
	at   map[string]int
}

func newDocPool(first []search.Doc) *docPool {
	p := &docPool{at: map[string]int{}}
	p.merge(first)
	return p
}

// merge adds docs and returns the pool sorted for the next prompt.
func (p *docPool) merge(docs []search.Doc) []search.Doc {
	for _, d := range docs {
		i, ok := p.at[d.ID]
		if !ok {
			p.at[d.ID] = len(p.docs)
			p.docs = append(p.docs, d)
			continue
		}
		best := max(p.docs[i].Score, d.Score)
		p.docs[i] = d
		p.docs[i].Score = best
	}
	sorted := slices.Clone(p.docs)
	slices.SortStableFunc(sorted, func(a, b search.Doc) int {
		switch {
		case a.Score < b.Score:
			return -1
		case a.Score > b.Score:
			return 1
		}
		return 0
	})
	return sorted
}

// retrieve searches for one query and returns the passages and the step
// that records the search, for generate to complete.
func (q *question) retrieve(ctx context.Context, query string) ([]search.Doc, Step, error) {
	res, err := q.r.Retriever.Search(ctx, []string{query}, q.r.Config.TopK)
	if err != nil {
		return nil, Step{}, fmt.Errorf("search %q: %w", query, err)
	}
	if len(res) != 1 {
		return nil, Step{}, fmt.Errorf("search %q: retriever returned %d result lists for 1 query", query, len(res))
	}
	s := Step{Query: query}
	for _, d := range res[0] {
		s.DocIDs = append(s.DocIDs, d.ID)
		s.Scores = append(s.Scores, d.Score)
	}
	return res[0], s, nil
}

// generate renders the prompt and generates greedily until EOS, a stop
// string or the budget, returning the text as FlashRAG's SGLang generator
// does: special tokens skipped, cut after the stop string that ended it.
// It records the generation in s (which may hold the search before it) and
// appends s to the steps.
func (q *question) generate(ctx context.Context, s Step, question string, docs []search.Doc, previous string, stops []string) (string, error) {
	prompt, err := q.tpl.render(question, docs, previous)
	if err != nil {
		return "", err
	}
	cfg := q.r.Config
	ids := truncate(q.r.Tokenizer.Encode(prompt), cfg.MaxPromptTokens)
	key := fmt.Sprintf("eval/%s/%d", q.key, len(q.steps))
	c, err := q.r.Policy.Generate(ctx, rollout.Request{Key: key, Tokens: ids, MaxTokens: cfg.MaxTokens, StopIDs: cfg.EOSIDs, StopStrings: stops})
	if rel, ok := q.r.Policy.(rollout.Releaser); ok {
		rel.Release(key)
	}
	if err != nil {
		return "", err
	}
	text, err := q.r.Tokenizer.Decode(c.Tokens, true)
	if err != nil {
		return "", fmt.Errorf("decode the policy's tokens: %w", err)
	}
	if c.StopString != "" {
		text = cutAfter(text, stops)
	}
	s.Prompt, s.PromptTokens, s.Output, s.Finish, s.Tokens = prompt, len(ids), text, c.Finish, len(c.Tokens)
	q.steps = append(q.steps, s)
	return text, nil
}

// cutAfter cuts text after the earliest stop string in it: a stop may end
// inside a token, and the server returns the text up to the stop, to which
// FlashRAG appends the stop.
func cutAfter(text string, stops []string) string {
	end := len(text)
	for _, s := range stops {
		if i := strings.Index(text, s); i >= 0 && i+len(s) < end {
			end = i + len(s)
		}
	}
	return text[:end]
}

// truncate keeps the first and last halves of a prompt longer than limit,
// as FlashRAG's truncate_prompt does.
func truncate(ids []int, limit int) []int {
	if len(ids) <= limit {
		return ids
	}
	half := limit / 2
	return append(ids[:half:half], ids[len(ids)-half:]...)
}
