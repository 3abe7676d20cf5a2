package eval

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"

	"research/search"
	"research/tokenizer"
)

// TestPromptsMatchFlashRAG renders every baseline prompt and compares it
// with FlashRAG's own PromptTemplate run on the same inputs
// (testdata/flashrag_prompts.py): plain prompts byte for byte, chat prompts
// as the messages FlashRAG hands to the chat template.
func TestPromptsMatchFlashRAG(t *testing.T) {
	f, err := os.Open("testdata/flashrag_prompts.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for s := bufio.NewScanner(f); s.Scan(); n++ {
		var c struct {
			Method, Question, Prompt, Chain, Pred string
			PreviousGen                           string `json:"previous_gen"`
			Chat                                  bool
			Docs                                  []struct{ ID, Contents string }
			Messages                              []tokenizer.Message
		}
		if err := json.Unmarshal(s.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		if c.Method == "ircot-parse" {
			if got := ircotAnswer(c.Chain); got != c.Pred {
				t.Errorf("ircotAnswer(%q) = %q, FlashRAG %q", c.Chain, got, c.Pred)
			}
			continue
		}
		var docs []search.Doc
		for _, d := range c.Docs {
			docs = append(docs, search.Doc{ID: d.ID, Contents: d.Contents})
		}
		m, err := ParseMethod(c.Method)
		if err != nil {
			t.Fatal(err)
		}
		tpl := templateOf(m, true) // the fixture's chat flag is FlashRAG's decision for an instruct model
		if !c.Chat {
			tpl.chat = false
		}
		want := c.Prompt
		if c.Chat {
			if want, err = tokenizer.QwenChat(c.Messages, true); err != nil {
				t.Fatal(err)
			}
		}
		got, err := tpl.render(c.Question, docs, c.PreviousGen)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s chat=%v question %q previous %q:\n got %q\nwant %q", c.Method, c.Chat, c.Question, c.PreviousGen, got, want)
		}
	}
	if n < 40 {
		t.Fatalf("only %d fixture cases", n)
	}
}

// TestChatFollowsTemplate: instruct models get chat prompts, except IRCoT,
// whose pipeline disables chat.
func TestChatFollowsTemplate(t *testing.T) {
	for _, m := range []Method{NaiveGen, NaiveRAG, IterRetGen} {
		if !templateOf(m, true).chat || templateOf(m, false).chat {
			t.Errorf("%s: chat should follow the template", m)
		}
	}
	if templateOf(IRCoT, true).chat {
		t.Error("IRCoT must not use the chat template")
	}
}
