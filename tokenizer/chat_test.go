package tokenizer

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestQwenChat compares with Jinja2's rendering of Qwen2.5's template
// (testdata/chat_cases.py made the cases).
func TestQwenChat(t *testing.T) {
	data, err := os.ReadFile("testdata/chat_cases.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for i, line := range lines {
		var c struct {
			Messages            []Message `json:"messages"`
			AddGenerationPrompt bool      `json:"add_generation_prompt"`
			Text                string    `json:"text"`
		}
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatal(err)
		}
		got, err := QwenChat(c.Messages, c.AddGenerationPrompt)
		if err != nil || got != c.Text {
			t.Errorf("case %d: got %q, %v\nwant %q", i, got, err, c.Text)
		}
	}
	if len(lines) < 10 {
		t.Errorf("only %d cases", len(lines))
	}
}

func TestQwenChatErrors(t *testing.T) {
	if _, err := QwenChat(nil, true); err == nil {
		t.Error("no messages: want an error")
	}
	if _, err := QwenChat([]Message{{Role: "robot", Content: "x"}}, true); err == nil {
		t.Error("unknown role: want an error")
	}
}

// TestQwenChatIDs: HF's encoding of the rendered chats (made by
// generate.sh) must equal ours, with <|im_start|>/<|im_end|> as special ids.
func TestQwenChatIDs(t *testing.T) {
	tk := qwen(t)
	cases := readEncodings(t, "testdata/qwen2.5_chat_ids.jsonl")
	checkEncodings(t, tk, cases)
	start, _ := tk.TokenID("<|im_start|>")
	for _, c := range cases {
		if !tk.IsSpecial(c.IDs[0]) || c.IDs[0] != start {
			t.Errorf("%q does not start with <|im_start|>: %v", trunc(c.Text), c.IDs[:3])
		}
	}
}
