package view

import (
	"strings"

	"research/protocol"
	"research/rollout"
)

// Part is one span of a response: text outside any tag, or the content of
// a think, search, result or answer block.
type Part struct {
	Kind     string // "text", "think", "search", "result", "answer"
	Text     string // without the tags
	Unclosed bool   // the block's closing tag never came
	// Search is the search turn a result block answers, when the
	// trajectory recorded it.
	Search *rollout.Search
}

var blocks = []struct{ kind, open, close string }{
	{"think", protocol.ThinkOpen, protocol.ThinkClose},
	{"search", protocol.SearchOpen, protocol.SearchClose},
	{"result", protocol.ResultOpen, protocol.ResultClose},
	{"answer", protocol.AnswerOpen, protocol.AnswerClose},
}

// traceParts splits a response into its blocks as rollout.Style.Paint
// colours them: each block runs from its opening tag to its closing tag,
// or to the end. Result blocks are matched with the searches in order.
func traceParts(t *rollout.Trajectory) []Part {
	var parts []Part
	text := t.ResponseText
	results := 0
	for len(text) > 0 {
		first, which := len(text), -1
		for i, b := range blocks {
			if j := strings.Index(text, b.open); j >= 0 && j < first {
				first, which = j, i
			}
		}
		if s := text[:first]; strings.TrimSpace(s) != "" {
			parts = append(parts, Part{Kind: "text", Text: s})
		}
		if which < 0 {
			break
		}
		b := blocks[which]
		body := text[first+len(b.open):]
		p := Part{Kind: b.kind}
		if end := strings.Index(body, b.close); end >= 0 {
			p.Text, text = body[:end], body[end+len(b.close):]
		} else {
			p.Text, p.Unclosed, text = body, true, ""
		}
		if p.Kind == "result" {
			if results < len(t.Searches) {
				p.Search = &t.Searches[results]
			}
			results++
		}
		parts = append(parts, p)
	}
	return parts
}
