package tokenizer

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestQwenChat compares with Jinja2's rendering of Qwen2.5's template
// (testdata/chat_cases.py made the cases).
func TestQwenChat(t *testing.T) {
	cases := readChatCases(t)
	for i, c := range cases {
		got, err := QwenChat(c.Messages, c.AddGenerationPrompt)
		if err != nil || got != c.Text {
			t.Errorf("case %d: got %q, %v\nwant %q", i, got, err, c.Text)
		}
	}
	if len(cases) < 10 {
		t.Errorf("only %d cases", len(cases))
	}
}

type chatCase struct {
	Messages            []Message `json:"messages"`
	AddGenerationPrompt bool      `json:"add_generation_prompt"`
	Text                string    `json:"text"`
}

func readChatCases(t *testing.T) []chatCase {
	data, err := os.ReadFile("testdata/chat_cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var cases []chatCase
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var c chatCase
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	return cases
}

func TestQwenChatErrors(t *testing.T) {
	if _, err := QwenChat(nil, true); err == nil {
		t.Error("no messages: want an error")
	}
	if _, err := QwenChat([]Message{{Role: "robot", Content: "x"}}, true); err == nil {
		t.Error("unknown role: want an error")
	}
}

// TestQwenChatIDs: our rendering of each chat, encoded by us, gives the ids
// HF encoded Jinja2's rendering to (generate.sh), <|im_start|> and
// <|im_end|> as special ids. Runs on the committed Qwen2.5 subset.
func TestQwenChatIDs(t *testing.T) {
	tk, err := Load("testdata/qwen2.5_subset.json")
	if err != nil {
		t.Fatal(err)
	}
	chats := readChatCases(t)
	want := readEncodings(t, "testdata/qwen2.5_chat_ids.jsonl")
	if len(chats) != len(want) {
		t.Fatalf("%d chats but %d encodings", len(chats), len(want))
	}
	start, _ := tk.TokenID("<|im_start|>")
	for i, c := range chats {
		text, err := QwenChat(c.Messages, c.AddGenerationPrompt)
		if err != nil {
			t.Fatal(err)
		}
		if ids := tk.Encode(text); !slices.Equal(ids, want[i].IDs) || ids[0] != start || !tk.IsSpecial(start) {
			t.Errorf("chat %d: ids %v, want %v", i, ids, want[i].IDs)
		}
	}
}
