package eval

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"research/dataset"
	"research/internal/ctxlimit"
	"research/protocol"
	"research/rollout"
	"research/rollout/rollouttest"
)

// limitedPolicy is replyPolicy on a model of limit positions, as the
// in-process engine is: budgets are cut to the context, and a prompt that
// fills it is refused.
type limitedPolicy struct {
	replyPolicy
	limit int
}

func (p *limitedPolicy) MaxContext() int { return p.limit }

func (p *limitedPolicy) Generate(ctx context.Context, req rollout.Request) (rollout.Completion, error) {
	fit, err := ctxlimit.Fit(len(req.Tokens), req.MaxTokens, p.limit)
	if err != nil {
		return rollout.Completion{}, err
	}
	req.MaxTokens = fit
	return p.replyPolicy.Generate(ctx, req)
}

// TestContextLimit: a question too long for the model's context is
// recorded as failed, naming the question and the limit, and the run goes
// on; the others run within the context.
func TestContextLimit(t *testing.T) {
	tok := rollouttest.ByteTokenizer{}
	limit := len(tok.Encode(protocol.Base.Prompt(paris.Question))) + 600
	long := dataset.Example{ID: "q-long", Question: strings.Repeat("word ", 3000), Answers: []string{"x"}}
	for _, m := range []Method{Research, NaiveGen} {
		t.Run(string(m), func(t *testing.T) {
			p := &limitedPolicy{limit: limit, replyPolicy: replyPolicy{reply: func(string, int) string { return strings.Repeat("a", 5000) }}}
			recs := runAll(t, newRunner(m, p, &rollouttest.Retriever{}), []dataset.Example{paris, long})
			r := recs["q-long"]
			if r.Finish != FinishError || !strings.Contains(r.Error, `"q-long"`) || !strings.Contains(r.Error, "context of "+itoa(limit)) {
				t.Errorf("long question: finish %q, error %q; want a failure naming q-long and the limit %d", r.Finish, r.Error, limit)
			}
			if r := recs["q1"]; r.Error != "" || r.Finish == FinishError {
				t.Errorf("q1 failed: %q", r.Error)
			}
			for _, req := range p.reqs {
				if len(req.Tokens)+req.MaxTokens > limit {
					t.Errorf("request of %d + %d tokens on a context of %d", len(req.Tokens), req.MaxTokens, limit)
				}
			}
			if c := Summarize(m, "ds", []Record{*recs["q1"], *r}); c.Errors != 1 {
				t.Errorf("report counts %d errors, want 1", c.Errors)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
