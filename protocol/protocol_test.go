package protocol

import (
	"os"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSearchQuery(t *testing.T) {
	tests := []struct{ text, want string }{
		{"<think> x </think> <search> capital of France </search>", "capital of France"},
		{"<search> a </search> <result> r </result> <search>\n b \t</search>", "b"},
		{"<search> a <search> b </search>", "b"},                                      // last opening before the close
		{"<search> a </search> <result> </search> </result>", "a </search> <result>"}, // last close
		{"<search> unfinished", ""},
		{"no tags at all", ""},
		{"</search> <search>", ""},
		{"<search></search>", ""},
	}
	for _, tt := range tests {
		if got := SearchQuery(tt.text); got != tt.want {
			t.Errorf("SearchQuery(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestRenderResult(t *testing.T) {
	tests := []struct {
		contents []string
		want     string
	}{
		{[]string{"\"A\"\na text", "\"B\"\nb text"}, " <result>\n\"A\"\na text\n\n\"B\"\nb text\n</result>"},
		{[]string{"  padded  "}, " <result>\npadded\n</result>"},
		{nil, " <result>\n\n</result>"},
	}
	for _, tt := range tests {
		if got := RenderResult(tt.contents); got != tt.want {
			t.Errorf("RenderResult(%q) = %q, want %q", tt.contents, got, tt.want)
		}
	}
}

func TestLastBoxedAndRemove(t *testing.T) {
	tests := []struct {
		in, box, answer string
		boxOK, removeOK bool
	}{
		{`The final answer is \[ \boxed{Paris} \]`, `\boxed{Paris}`, "Paris", true, true},
		{`\boxed{a} then \boxed{b{c}}`, `\boxed{b{c}}`, "b{c}", true, true},
		{`\boxed Eric, Eric$ x`, `\boxed Eric, Eric`, "Eric, Eric", true, true},
		{`\boxed{x} \boxed y`, `\boxed y`, "y", true, true}, // the spaced branch wins
		{`\fbox{x}`, `\fbox{x}`, "", true, false},
		{`\boxedx{y}`, `\boxedx{y}`, "", true, false},
		{`} \boxed{open`, "", "", false, false},
		{`no box`, "", "", false, false},
	}
	for _, tt := range tests {
		box, ok := LastBoxed(tt.in)
		if box != tt.box || ok != tt.boxOK {
			t.Errorf("LastBoxed(%q) = %q, %v; want %q, %v", tt.in, box, ok, tt.box, tt.boxOK)
			continue
		}
		if !ok {
			continue
		}
		answer, err := RemoveBoxed(box)
		if answer != tt.answer || (err == nil) != tt.removeOK {
			t.Errorf("RemoveBoxed(%q) = %q, %v; want %q, ok=%v", box, answer, err, tt.answer, tt.removeOK)
		}
	}
}

func TestValidateFormat(t *testing.T) {
	const good = ` <think> a </think> <search> q </search> <result> r </result> <think> b </think> <answer> \boxed{x} </answer>`
	tests := []struct{ text, reason string }{
		{good, ReasonFormatOK},
		{`<think> a <answer> \boxed{x} </answer>`, ReasonThinkUnpaired},
		{`<answer> \boxed{x} </answer>`, ReasonThinkMissing},
		{`<think></think> <answer> \boxed{x} </answer> <answer>`, ReasonAnswerMissing},
		{`<think></think> <search> q </search> <answer> \boxed{x} </answer>`, ReasonSearchIncomplete},
		{`<think></think> <result> r </result> <search> q </search> <answer> \boxed{x} </answer>`, ReasonSearchIncomplete},
		{`<think></think> <search> q <result> r </result> </search> <result> </result><answer> \boxed{x} </answer>`, ReasonSearchOrder},
		{`<think></think> </answer> \boxed{x} <answer>`, ReasonAnswerOrder},
		{`<think></think> <answer> x </answer>`, ReasonBoxMissing},
		{`<think></think> <answer> \boxed{x </answer> }`, ReasonBoxMissing},
	}
	for _, tt := range tests {
		ok, reason := ValidateFormat(tt.text)
		if reason != tt.reason || ok != (tt.reason == ReasonFormatOK) {
			t.Errorf("ValidateFormat(%q) = %v, %q; want %q", tt.text, ok, reason, tt.reason)
		}
	}
}

func TestPrompts(t *testing.T) {
	base := BasePrompt("Who wrote Dune?")
	if !strings.HasSuffix(base, "User: Who wrote Dune?. Assistant:") || strings.Contains(base, "{question}") {
		t.Errorf("base prompt ends %q", base[len(base)-40:])
	}
	inst := InstructPrompt("Who wrote Dune?")
	want := "<|im_start|>system\n" + InstructSystemPrompt() + "<|im_end|>\n<|im_start|>user\nWho wrote Dune?<|im_end|>\n<|im_start|>assistant\n"
	if inst != want {
		t.Errorf("instruct prompt = %q, want %q", inst, want)
	}
	for _, tpl := range []Template{Base, Instruct} {
		p := tpl.Prompt("q")
		if !strings.HasSuffix(p, tpl.ResponseMarker()) {
			t.Errorf("%s prompt does not end with its response marker %q", tpl, tpl.ResponseMarker())
		}
	}
	if _, err := ParseTemplate("chat"); err == nil {
		t.Error("ParseTemplate accepted an unknown name")
	}
}

// TestTemplatesVerbatim checks the embedded prompt texts byte for byte
// against the team's reference copies.
func TestTemplatesVerbatim(t *testing.T) {
	for ref, got := range map[string]string{
		"template_base.txt":            baseTemplate,
		"template_instruct_system.txt": instructSystem,
	} {
		want, err := os.ReadFile("../../shared/reference/" + ref)
		if os.IsNotExist(err) {
			t.Skipf("../shared/reference is absent: cannot compare %s", ref)
		}
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("embedded %s differs from ../shared/reference/%s", ref, ref)
		}
	}
}

func FuzzTags(f *testing.F) {
	for _, s := range []string{
		`<think> a </think> <search> q </search> <result> r </result> <answer> \boxed{x} </answer>`,
		`\boxed x$`, `\fbox{{}}}`, `<search><search></search>`, "\x1c<answer>\xff</answer>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := SearchQuery(s)
		if len(q) > len(s) {
			t.Fatalf("query longer than text")
		}
		ValidateFormat(s)
		if span, ok := AnswerSpan(s); ok && !strings.Contains(s, AnswerOpen+span+AnswerClose) {
			t.Fatalf("answer span %q not between the tags", span)
		}
		if box, ok := LastBoxed(s); ok {
			if ans, err := RemoveBoxed(box); err == nil && utf8.ValidString(s) && !utf8.ValidString(ans) {
				t.Fatalf("invalid UTF-8 answer %q from valid text", ans)
			}
		}
	})
}

func TestExtractAnswer(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`<think> x </think> <answer> The final answer is \[ \boxed{Paris} \] </answer>`, "Paris", true},
		{`<answer> \boxed{a} \boxed{b} </answer> <answer> \boxed{c} </answer>`, "b", true},
		{`<answer> \fbox{a} </answer>`, "", false},
		{`\boxed{a}`, "", false},
		{`<answer>\boxed{a{b}}</answer>`, "a{b}", true},
		{`<answer>\boxed x$y</answer>`, "x", true},
		{`<answer>\boxed{a</answer>`, "", false},
	}
	for _, tt := range tests {
		if got, ok := ExtractAnswer(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("ExtractAnswer(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
