package eval

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"research/dataset"
	"research/protocol"
	"research/search"
	"research/tokenizer"
)

// TestResearchMatchesFlashRAG replays testdata/flashrag_research.jsonl:
// FlashRAG's ReSearchPipeline run with scripted replies and passages
// (flashrag_research.py). The ReSearch method must build the same prompt,
// the same response with the same inserted results, and take the same
// prediction.
func TestResearchMatchesFlashRAG(t *testing.T) {
	var spec struct {
		Questions []struct {
			ID, Question string
			Golds        []string `json:"golden_answers"`
			Replies      []string
		}
		Docs map[string][]struct{ ID, Contents string }
	}
	raw, err := os.ReadFile("testdata/flashrag_research_in.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	var examples []dataset.Example
	for _, q := range spec.Questions {
		examples = append(examples, dataset.Example{ID: q.ID, Question: q.Question, Answers: q.Golds})
	}
	ret := retrieverFunc(func(query string) []search.Doc {
		docs, ok := spec.Docs[query]
		if !ok {
			return []search.Doc{{ID: "u", Contents: "\"U\"\nabout " + query}}
		}
		var out []search.Doc
		for _, d := range docs {
			out = append(out, search.Doc{ID: d.ID, Contents: d.Contents})
		}
		return out
	})
	reply := func(prompt string, call int) string {
		for _, q := range spec.Questions {
			if strings.Contains(prompt, q.Question) {
				return q.Replies[call]
			}
		}
		return "no question in the prompt"
	}
	runs := map[bool]map[string]*Record{}
	for _, chat := range []bool{false, true} {
		r := newRunner(Research, &replyPolicy{reply: reply}, ret)
		if chat {
			r.Config.Template = protocol.Instruct
		}
		runs[chat] = runAll(t, r, examples)
	}

	f, err := os.Open("testdata/flashrag_research.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for s := bufio.NewScanner(f); s.Scan(); n++ {
		var c struct {
			Chat                       bool
			ID, Prompt, Response, Pred string
		}
		if err := json.Unmarshal(s.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		rec := runs[c.Chat][c.ID]
		want := c.Prompt
		if c.Chat {
			var msgs []tokenizer.Message
			if err := json.Unmarshal([]byte(c.Prompt), &msgs); err != nil {
				t.Fatal(err)
			}
			if want, err = tokenizer.QwenChat(msgs, true); err != nil {
				t.Fatal(err)
			}
		}
		if rec.Trajectory.PromptText != want {
			t.Errorf("chat %v %s: prompt\n got %q\nwant %q", c.Chat, c.ID, rec.Trajectory.PromptText, want)
		}
		// SGLang's text leaves out the EOS token the trajectory keeps.
		if got := strings.TrimSuffix(rec.Trajectory.ResponseText, "<|im_end|>"); got != c.Response {
			t.Errorf("chat %v %s: response\n got %q\nwant %q", c.Chat, c.ID, got, c.Response)
		}
		if rec.Prediction != c.Pred {
			t.Errorf("chat %v %s: prediction %q, FlashRAG %q", c.Chat, c.ID, rec.Prediction, c.Pred)
		}
	}
	if n != 8 {
		t.Fatalf("%d fixture lines, want 8", n)
	}
}
