package view

import (
	"strings"
)

// Doc is a report.md parsed into the few blocks the reports use
// (headings, pipe tables, lists, paragraphs), so that the page renders it
// through the escaping template instead of trusting generated HTML.
type Doc struct {
	Blocks []Block
}

// Block is one block of a Doc; Kind says which fields are set.
type Block struct {
	Kind   string // "heading", "table", "list", "para"
	Level  int    // heading level; list item depth
	Inline []Span // heading and paragraph text
	Header [][]Span
	Rows   [][][]Span
	Items  []Item
}

// Item is one list item.
type Item struct {
	Depth  int
	Inline []Span
}

// Span is a run of text, bold or not.
type Span struct {
	Text string
	Bold bool
}

// ParseMarkdown reads the subset of Markdown the reports write; anything
// else is kept as paragraph text.
func ParseMarkdown(src string) *Doc {
	d := &Doc{}
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	for i := 0; i < len(lines); {
		line := lines[i]
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "":
			i++
		case strings.HasPrefix(trimmed, "#"):
			level := len(trimmed) - len(strings.TrimLeft(trimmed, "#"))
			d.Blocks = append(d.Blocks, Block{Kind: "heading", Level: min(level+1, 6), Inline: inline(strings.TrimSpace(trimmed[level:]))})
			i++
		case strings.HasPrefix(trimmed, "|"):
			b := Block{Kind: "table"}
			for ; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
				cells := splitRow(lines[i])
				switch {
				case b.Header == nil:
					b.Header = cells
				case isRule(cells):
				default:
					b.Rows = append(b.Rows, cells)
				}
			}
			d.Blocks = append(d.Blocks, b)
		case strings.HasPrefix(trimmed, "- ") || strings.HasPrefix(trimmed, "* "):
			b := Block{Kind: "list"}
			for ; i < len(lines); i++ {
				t := strings.TrimSpace(lines[i])
				if !strings.HasPrefix(t, "- ") && !strings.HasPrefix(t, "* ") {
					break
				}
				depth := (len(lines[i]) - len(strings.TrimLeft(lines[i], " "))) / 2
				b.Items = append(b.Items, Item{Depth: depth, Inline: inline(t[2:])})
			}
			d.Blocks = append(d.Blocks, b)
		default:
			var para []string
			for ; i < len(lines); i++ {
				t := strings.TrimSpace(lines[i])
				if t == "" || strings.HasPrefix(t, "#") || strings.HasPrefix(t, "|") || strings.HasPrefix(t, "- ") {
					break
				}
				para = append(para, t)
			}
			d.Blocks = append(d.Blocks, Block{Kind: "para", Inline: inline(strings.Join(para, " "))})
		}
	}
	return d
}

func splitRow(line string) [][]Span {
	t := strings.TrimSpace(line)
	t = strings.TrimPrefix(t, "|")
	t = strings.TrimSuffix(t, "|")
	var out [][]Span
	for _, c := range strings.Split(t, "|") {
		out = append(out, inline(strings.TrimSpace(c)))
	}
	return out
}

// isRule reports whether a row is the header rule (|---|---:|).
func isRule(cells [][]Span) bool {
	for _, c := range cells {
		for _, s := range c {
			if strings.Trim(s.Text, "-: ") != "" {
				return false
			}
		}
	}
	return true
}

// inline splits text on ** into plain and bold spans; backticks are
// dropped, their text kept.
func inline(text string) []Span {
	text = strings.ReplaceAll(text, "`", "")
	var out []Span
	bold := false
	for {
		before, after, ok := strings.Cut(text, "**")
		if before != "" {
			out = append(out, Span{Text: before, Bold: bold})
		}
		if !ok {
			return out
		}
		bold, text = !bold, after
	}
}
